// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Known-answer tests for the TLS 1.3 key schedule in include/ktls/keysched.h.
 *
 * HKDF is checked against RFC 5869 Appendix A (the SHA-256 cases 1-3) and
 * the key schedule against the trace in RFC 8448 section 3 ("Simple 1-RTT
 * Handshake", TLS_AES_128_GCM_SHA256). The vectors are copied from the RFC
 * text; each RFC 8448 value was also recomputed from the ECDHE secret and
 * the listed transcript hashes alone, so a typo here cannot pass as a bug.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <ktls/keysched.h>

#include "kselftest_harness.h"

#define SHA256_LEN	((size_t)32)
/* Largest vector: RFC 5869 case 2 has an 82-byte OKM and 80-byte inputs. */
#define VEC_MAX		128
#define CANARY		0xa5

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode @hex into @out; the byte count, or -1 if malformed or too long. */
static ssize_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t len = strlen(hex), i;

	if (len % 2 || len / 2 > max)
		return -1;
	for (i = 0; i < len / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = hi << 4 | lo;
	}
	return len / 2;
}

static const char *tohex(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = '\0';
	return out;
}

/* Decode a vector, failing the test outright if the table itself is bad. */
static size_t vec(struct __test_metadata *_metadata, const char *hex,
		  uint8_t *out, size_t max)
{
	ssize_t n = unhex(hex, out, max);

	ASSERT_LE(0, n) TH_LOG("malformed test vector \"%s\"", hex);
	return n;
}

/* As vec(), for values whose length the RFC fixes. */
static void vec_exact(struct __test_metadata *_metadata, const char *hex,
		      uint8_t *out, size_t len)
{
	ASSERT_EQ(len, vec(_metadata, hex, out, len))
		TH_LOG("test vector \"%s\" is not %zu bytes", hex, len);
}

/* Print both sides on a mismatch so the failing bytes can be read off. */
static bool hex_eq(struct __test_metadata *_metadata, const char *what,
		   const char *hex, const uint8_t *buf, size_t len)
{
	uint8_t want[VEC_MAX];
	char got[2 * VEC_MAX + 1];
	ssize_t n = unhex(hex, want, sizeof(want));

	if (len > VEC_MAX) {
		TH_LOG("%s: %zu bytes is too long to compare", what, len);
		return false;
	}
	if (n == (ssize_t)len && !memcmp(want, buf, len))
		return true;
	TH_LOG("%s mismatch", what);
	TH_LOG("  expected %s", hex);
	TH_LOG("  got      %s", tohex(buf, len, got));
	return false;
}

#define EXPECT_HEX(what, hex, buf, len) \
	EXPECT_TRUE(hex_eq(_metadata, what, hex, buf, len))

/* A function handed a length must not write past it. */
static bool untouched(const uint8_t *buf, size_t from, size_t to)
{
	for (; from < to; from++)
		if (buf[from] != CANARY)
			return false;
	return true;
}

/* RFC 5869 Appendix A */

struct hkdf_vec {
	const char *ikm, *salt, *info;
	size_t len;			/* L */
	const char *prk, *okm;
};

/* A.1. Test Case 1: basic test case with SHA-256 */
static const struct hkdf_vec rfc5869_a1 = {
	.ikm	= "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	.salt	= "000102030405060708090a0b0c",
	.info	= "f0f1f2f3f4f5f6f7f8f9",
	.len	= 42,
	.prk	= "077709362c2e32df0ddc3f0dc47bba63"
		  "90b6c73bb50f9c3122ec844ad7c2b3e5",
	.okm	= "3cb25f25faacd57a90434f64d0362f2a"
		  "2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		  "34007208d5b887185865",
};

/* A.2. Test Case 2: SHA-256 and longer inputs/outputs */
static const struct hkdf_vec rfc5869_a2 = {
	.ikm	= "000102030405060708090a0b0c0d0e0f"
		  "101112131415161718191a1b1c1d1e1f"
		  "202122232425262728292a2b2c2d2e2f"
		  "303132333435363738393a3b3c3d3e3f"
		  "404142434445464748494a4b4c4d4e4f",
	.salt	= "606162636465666768696a6b6c6d6e6f"
		  "707172737475767778797a7b7c7d7e7f"
		  "808182838485868788898a8b8c8d8e8f"
		  "909192939495969798999a9b9c9d9e9f"
		  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	.info	= "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
		  "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
		  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
		  "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
		  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	.len	= 82,
	.prk	= "06a6b88c5853361a06104c9ceb35b45c"
		  "ef760014904671014a193f40c15fc244",
	.okm	= "b11e398dc80327a1c8e7f78c596a4934"
		  "4f012eda2d4efad8a050cc4c19afa97c"
		  "59045a99cac7827271cb41c65e590e09"
		  "da3275600c2f09b8367793a9aca3db71"
		  "cc30c58179ec3e87c14c01d5c1f3434f"
		  "1d87",
};

/* A.3. Test Case 3: SHA-256 and zero-length salt/info */
static const struct hkdf_vec rfc5869_a3 = {
	.ikm	= "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	.salt	= "",
	.info	= "",
	.len	= 42,
	.prk	= "19ef24a32c717b167f33a91d6f648bdf"
		  "96596776afdb6377ac434c1c293ccb04",
	.okm	= "8da4e775a563c18f715f802a063c5a31"
		  "b8a11f5c5ee1879ec3454e5f3c738d2d"
		  "9d201395faa4b61a96c8",
};

static void check_rfc5869(struct __test_metadata *_metadata,
			  const struct hkdf_vec *v)
{
	uint8_t ikm[VEC_MAX], salt[VEC_MAX], info[VEC_MAX], prk[VEC_MAX];
	uint8_t out[VEC_MAX];
	size_t ikm_len, salt_len, info_len;

	ikm_len = vec(_metadata, v->ikm, ikm, sizeof(ikm));
	salt_len = vec(_metadata, v->salt, salt, sizeof(salt));
	info_len = vec(_metadata, v->info, info, sizeof(info));
	vec_exact(_metadata, v->prk, prk, SHA256_LEN);

	memset(out, CANARY, sizeof(out));
	ASSERT_EQ(0, __ktls_hkdf_extract(KTLS_HASH_SHA256, salt, salt_len,
					 ikm, ikm_len, out));
	EXPECT_HEX("PRK", v->prk, out, SHA256_LEN);
	EXPECT_TRUE(untouched(out, SHA256_LEN, sizeof(out)));

	/* Expand from the RFC's PRK so a broken Extract can't hide here. */
	memset(out, CANARY, sizeof(out));
	ASSERT_EQ(0, __ktls_hkdf_expand(KTLS_HASH_SHA256, prk, SHA256_LEN,
					info, info_len, out, v->len));
	EXPECT_HEX("OKM", v->okm, out, v->len);
	EXPECT_TRUE(untouched(out, v->len, sizeof(out)));
}

TEST(hkdf_rfc5869_case1)
{
	check_rfc5869(_metadata, &rfc5869_a1);
}

TEST(hkdf_rfc5869_case2)
{
	check_rfc5869(_metadata, &rfc5869_a2);
}

TEST(hkdf_rfc5869_case3)
{
	uint8_t ikm[VEC_MAX], out[SHA256_LEN];
	size_t ikm_len;

	/* Empty salt passed as a zero-length buffer ... */
	check_rfc5869(_metadata, &rfc5869_a3);

	/* ... and as NULL, which the API also defines as HashLen zeros. */
	ikm_len = vec(_metadata, rfc5869_a3.ikm, ikm, sizeof(ikm));
	ASSERT_EQ(0, __ktls_hkdf_extract(KTLS_HASH_SHA256, NULL, 0,
					 ikm, ikm_len, out));
	EXPECT_HEX("PRK (NULL salt)", rfc5869_a3.prk, out, SHA256_LEN);
}

/*
 * RFC 8448 section 3. Names follow the trace headings; the transcript
 * hashes are the "hash (32 octets)" lines the RFC prints with each step.
 */

/* {server} extract secret "early" */
static const char rfc8448_early[] =
	"33ad0a1c607ec03b09e6cd9893680ce2"
	"10adf300aa1f2660e1b22e10f170f92a";
/* {server} derive secret for handshake "tls13 derived": hash = SHA-256("") */
static const char rfc8448_empty_hash[] =
	"e3b0c44298fc1c149afbf4c8996fb924"
	"27ae41e4649b934ca495991b7852b855";
static const char rfc8448_derived_hs[] =
	"6f2615a108c702c5678f54fc9dbab697"
	"16c076189c48250cebeac3576c3611ba";
/* {server} extract secret "handshake": IKM is the x25519 shared secret */
static const char rfc8448_ecdhe[] =
	"8bd4054fb55b9d63fdfbacf9f04b9f0d"
	"35e6d63f537563efd46272900f89492d";
static const char rfc8448_hs[] =
	"1dc826e93606aa6fdc0aadc12f741b01"
	"046aa6b99f691ed221a9f0ca043fbeac";
/* {server} derive secret "tls13 {c,s} hs traffic": hash of CH..SH */
static const char rfc8448_hash_ch_sh[] =
	"860c06edc07858ee8e78f0e7428c58ed"
	"d6b43f2ca3e6e95f02ed063cf0e1cad8";
static const char rfc8448_c_hs[] =
	"b3eddb126e067f35a780b3abf45e2d8f"
	"3b1a950738f52e9600746a0e27a55a21";
static const char rfc8448_s_hs[] =
	"b67b7d690cc16c4e75e54213cb2d37b4"
	"e9c912bcded9105d42befd59d391ad38";
/* {server} derive secret for master "tls13 derived" */
static const char rfc8448_derived_ms[] =
	"43de77e0c77713859a944db9db2590b5"
	"3190a65b3ee2e4f12dd7a0bb7ce254b4";
/* {server} extract secret "master" */
static const char rfc8448_master[] =
	"18df06843d13a08bf2a449844c5f8a47"
	"8001bc4d4c627984d5a41da8d0402919";
/* {server} derive secret "tls13 {c,s} ap traffic": hash of CH..server Fin */
static const char rfc8448_hash_ch_sf[] =
	"9608102a0f1ccc6db6250b7b7e417b1a"
	"000eaada3daae4777a7686c9ff83df13";
static const char rfc8448_c_ap[] =
	"9e40646ce79a7f9dc05af8889bce6552"
	"875afa0b06df0087f792ebb7c17504a5";
static const char rfc8448_s_ap[] =
	"a11af9f05531f856ad47116b45a95032"
	"8204b4f44bfb6b3a4b4f1f3fcb631643";

/* {server} calculate finished "tls13 finished": PRK is s hs traffic */
static const char rfc8448_finished_info[] =
	"00200e746c7331332066696e69736865"
	"6400";
static const char rfc8448_finished_key[] =
	"008d3b66f816ea559f96b537e885c31f"
	"c068bf492c652f01f288a1d8cdc19fc8";
/* The info of {server} derive secret "tls13 c hs traffic" */
static const char rfc8448_c_hs_info[] =
	"002012746c7331332063206873207472"
	"616666696320860c06edc07858ee8e78"
	"f0e7428c58edd6b43f2ca3e6e95f02ed"
	"063cf0e1cad8";

TEST(rfc8448_handshake_secrets)
{
	uint8_t zeros[SHA256_LEN] = { 0 }, ecdhe[SHA256_LEN];
	uint8_t th[SHA256_LEN], empty_hash[SHA256_LEN];
	uint8_t early[SHA256_LEN], derived[SHA256_LEN], hs[SHA256_LEN];
	uint8_t out[SHA256_LEN];

	vec_exact(_metadata, rfc8448_ecdhe, ecdhe, sizeof(ecdhe));
	vec_exact(_metadata, rfc8448_hash_ch_sh, th, sizeof(th));

	/* No PSK: salt 0 and IKM of HashLen zeros. */
	ASSERT_EQ(0, __ktls_hkdf_extract(KTLS_HASH_SHA256, NULL, 0,
					 zeros, sizeof(zeros), early));
	EXPECT_HEX("early secret", rfc8448_early, early, sizeof(early));

	/* "derived" is over an empty transcript, i.e. Hash(""). */
	ASSERT_EQ(0, __ktls_hash(KTLS_HASH_SHA256, (const uint8_t *)"", 0,
				 empty_hash));
	EXPECT_HEX("Hash(\"\")", rfc8448_empty_hash, empty_hash,
		   sizeof(empty_hash));
	ASSERT_EQ(0, __ktls_derive_secret(KTLS_HASH_SHA256, early, "derived",
					  empty_hash, derived));
	EXPECT_HEX("derived (early)", rfc8448_derived_hs, derived,
		   sizeof(derived));

	ASSERT_EQ(0, __ktls_hkdf_extract(KTLS_HASH_SHA256, derived,
					 sizeof(derived), ecdhe, sizeof(ecdhe),
				       hs));
	EXPECT_HEX("handshake secret", rfc8448_hs, hs, sizeof(hs));

	ASSERT_EQ(0, __ktls_derive_secret(KTLS_HASH_SHA256, hs, "c hs traffic",
					  th, out));
	EXPECT_HEX("c hs traffic", rfc8448_c_hs, out, sizeof(out));
	ASSERT_EQ(0, __ktls_derive_secret(KTLS_HASH_SHA256, hs, "s hs traffic",
					  th, out));
	EXPECT_HEX("s hs traffic", rfc8448_s_hs, out, sizeof(out));
}

TEST(rfc8448_application_secrets)
{
	uint8_t zeros[SHA256_LEN] = { 0 }, th[SHA256_LEN];
	uint8_t empty_hash[SHA256_LEN], hs[SHA256_LEN];
	uint8_t derived[SHA256_LEN], master[SHA256_LEN], out[SHA256_LEN];

	/* Start from the RFC's handshake secret so failures stay local. */
	vec_exact(_metadata, rfc8448_hs, hs, sizeof(hs));
	vec_exact(_metadata, rfc8448_hash_ch_sf, th, sizeof(th));

	ASSERT_EQ(0, __ktls_hash(KTLS_HASH_SHA256, (const uint8_t *)"", 0,
				 empty_hash));
	ASSERT_EQ(0, __ktls_derive_secret(KTLS_HASH_SHA256, hs, "derived",
					  empty_hash, derived));
	EXPECT_HEX("derived (handshake)", rfc8448_derived_ms, derived,
		   sizeof(derived));

	ASSERT_EQ(0, __ktls_hkdf_extract(KTLS_HASH_SHA256, derived,
					 sizeof(derived), zeros, sizeof(zeros),
				       master));
	EXPECT_HEX("master secret", rfc8448_master, master, sizeof(master));

	ASSERT_EQ(0, __ktls_derive_secret(KTLS_HASH_SHA256, master,
					  "c ap traffic", th, out));
	EXPECT_HEX("c ap traffic", rfc8448_c_ap, out, sizeof(out));
	ASSERT_EQ(0, __ktls_derive_secret(KTLS_HASH_SHA256, master,
					  "s ap traffic", th, out));
	EXPECT_HEX("s ap traffic", rfc8448_s_ap, out, sizeof(out));
}

/* {server,client} derive {write,read} traffic keys for ... data */
static const struct {
	const char *name, *secret, *key, *iv;
} rfc8448_keys[] = {
	{ "server handshake", rfc8448_s_hs,
	  "3fce516009c21727d0f2e4e86ee403bc", "5d313eb2671276ee13000b30" },
	{ "client handshake", rfc8448_c_hs,
	  "dbfaa693d1762c5b666af5d950258d01", "5bd3c71b836e0b76bb73265f" },
	{ "server application", rfc8448_s_ap,
	  "9f02283b6c9c07efc26bb9f2ac92e356", "cf782b88dd83549aadf1e984" },
	{ "client application", rfc8448_c_ap,
	  "17422dda596ed5d9acd890e3c63f5051", "5b78923dee08579033e523d9" },
};

TEST(rfc8448_traffic_key_iv)
{
	uint8_t secret[SHA256_LEN], key[16 + 8], iv[12 + 8];
	char what[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rfc8448_keys); i++) {
		vec_exact(_metadata, rfc8448_keys[i].secret, secret,
			  sizeof(secret));
		memset(key, CANARY, sizeof(key));
		memset(iv, CANARY, sizeof(iv));

		/* AES-128-GCM: 16-byte key, 12-byte IV */
		ASSERT_EQ(0, __ktls_traffic_key_iv(KTLS_HASH_SHA256, secret,
						   key, 16, iv, 12));
		snprintf(what, sizeof(what), "%s key", rfc8448_keys[i].name);
		EXPECT_HEX(what, rfc8448_keys[i].key, key, 16);
		snprintf(what, sizeof(what), "%s iv", rfc8448_keys[i].name);
		EXPECT_HEX(what, rfc8448_keys[i].iv, iv, 12);
		EXPECT_TRUE(untouched(key, 16, sizeof(key)));
		EXPECT_TRUE(untouched(iv, 12, sizeof(iv)));
	}
}

/*
 * Pin the HkdfLabel encoding itself: plain HKDF-Expand over the info bytes
 * RFC 8448 prints must agree with HKDF-Expand-Label, once with an empty
 * context and once with a 32-byte one.
 */
TEST(rfc8448_expand_label_encoding)
{
	uint8_t s_hs[SHA256_LEN], hs[SHA256_LEN], th[SHA256_LEN];
	uint8_t info[VEC_MAX], out[SHA256_LEN];
	size_t info_len;

	vec_exact(_metadata, rfc8448_s_hs, s_hs, sizeof(s_hs));
	vec_exact(_metadata, rfc8448_hs, hs, sizeof(hs));
	vec_exact(_metadata, rfc8448_hash_ch_sh, th, sizeof(th));

	info_len = vec(_metadata, rfc8448_finished_info, info, sizeof(info));
	ASSERT_EQ((size_t)18, info_len);
	ASSERT_EQ(0, __ktls_hkdf_expand(KTLS_HASH_SHA256, s_hs, sizeof(s_hs),
					info, info_len, out, sizeof(out)));
	EXPECT_HEX("expand(finished info)", rfc8448_finished_key, out,
		   sizeof(out));
	ASSERT_EQ(0, __ktls_hkdf_expand_label(KTLS_HASH_SHA256, s_hs,
					      "finished", NULL, 0,
					    out, sizeof(out)));
	EXPECT_HEX("expand_label(finished)", rfc8448_finished_key, out,
		   sizeof(out));

	info_len = vec(_metadata, rfc8448_c_hs_info, info, sizeof(info));
	ASSERT_EQ((size_t)54, info_len);
	ASSERT_EQ(0, __ktls_hkdf_expand(KTLS_HASH_SHA256, hs, sizeof(hs),
					info, info_len, out, sizeof(out)));
	EXPECT_HEX("expand(c hs traffic info)", rfc8448_c_hs, out,
		   sizeof(out));
	ASSERT_EQ(0, __ktls_hkdf_expand_label(KTLS_HASH_SHA256, hs,
					      "c hs traffic", th, sizeof(th),
					    out, sizeof(out)));
	EXPECT_HEX("expand_label(c hs traffic)", rfc8448_c_hs, out,
		   sizeof(out));
}

TEST(hash_len)
{
	EXPECT_EQ(SHA256_LEN, __ktls_hash_len(KTLS_HASH_SHA256));
	EXPECT_EQ((size_t)48, __ktls_hash_len(KTLS_HASH_SHA384));
	/* Callers size buffers from this; garbage must not look valid. */
	EXPECT_EQ((size_t)0,
		  __ktls_hash_len((enum ktls_hash)(KTLS_HASH_SHA384 + 1)));
	EXPECT_EQ((size_t)0, __ktls_hash_len((enum ktls_hash)-1));
}

TEST(hkdf_expand_rejects_long_okm)
{
	static uint8_t okm[255 * SHA256_LEN + 1];
	static const uint8_t info[] = "info";
	uint8_t prk[SHA256_LEN];

	memset(prk, 0x0b, sizeof(prk));
	/* RFC 5869 2.3: L <= 255*HashLen, the block counter is one octet. */
	EXPECT_EQ(-EINVAL, __ktls_hkdf_expand(KTLS_HASH_SHA256, prk, sizeof(prk),
					      info, sizeof(info) - 1,
					    okm, sizeof(okm)));
	/* The limit itself is still allowed. */
	EXPECT_EQ(0, __ktls_hkdf_expand(KTLS_HASH_SHA256, prk, sizeof(prk),
					info, sizeof(info) - 1,
				      okm, sizeof(okm) - 1));
}

TEST(hkdf_expand_label_rejects_long_label)
{
	/* HkdfLabel.label is opaque<7..255> and includes "tls13 ". */
	char label[255 - 6 + 2];
	uint8_t secret[SHA256_LEN], out[SHA256_LEN];

	memset(secret, 0x0b, sizeof(secret));
	memset(label, 'a', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';

	ASSERT_EQ((size_t)250, strlen(label));
	EXPECT_EQ(-EINVAL, __ktls_hkdf_expand_label(KTLS_HASH_SHA256, secret,
						    label, NULL, 0,
						  out, sizeof(out)));
	/* 249 + 6 = 255 bytes is the longest legal label. */
	label[249] = '\0';
	EXPECT_EQ(0, __ktls_hkdf_expand_label(KTLS_HASH_SHA256, secret, label,
					      NULL, 0, out, sizeof(out)));
}

TEST_HARNESS_MAIN
