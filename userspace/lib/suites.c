// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What ktlsd negotiates: only cipher suites the kernel can take over (with
 * the kernel's name for each cipher and the layout of its crypto_info), and
 * only ECDHE groups. Configuration strings are checked against these tables,
 * so a suite kTLS cannot offload is never offered.
 */
#include <errno.h>
#include <linux/tls.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ktls_internal.h"

#define TLS12 TLS_1_2_VERSION
#define TLS13 TLS_1_3_VERSION

/* The kernel's names and sizes, and its struct for the cipher's keys. */
#define CIPHER(c, aead, st) \
	.kernel_cipher = TLS_CIPHER_##c, .kernel_aead = aead, \
	.key_len = TLS_CIPHER_##c##_KEY_SIZE, \
	.salt_len = TLS_CIPHER_##c##_SALT_SIZE, \
	.iv_len = TLS_CIPHER_##c##_IV_SIZE, \
	.rec_seq_len = TLS_CIPHER_##c##_REC_SEQ_SIZE, \
	.tag_len = TLS_CIPHER_##c##_TAG_SIZE, \
	.key_off = offsetof(struct st, key), \
	.salt_off = offsetof(struct st, salt), \
	.iv_off = offsetof(struct st, iv), \
	.rec_seq_off = offsetof(struct st, rec_seq), \
	.info_size = sizeof(struct st)

static const struct ktls_cipher aes_gcm_128 = {
	CIPHER(AES_GCM_128, "gcm(aes)", tls12_crypto_info_aes_gcm_128)
};

static const struct ktls_cipher aes_gcm_256 = {
	CIPHER(AES_GCM_256, "gcm(aes)", tls12_crypto_info_aes_gcm_256)
};

static const struct ktls_cipher aes_ccm_128 = {
	CIPHER(AES_CCM_128, "ccm(aes)", tls12_crypto_info_aes_ccm_128)
};

static const struct ktls_cipher chacha20_poly1305 = {
	CIPHER(CHACHA20_POLY1305, "rfc7539(chacha20,poly1305)",
	       tls12_crypto_info_chacha20_poly1305)
};

/* In order of preference. */
static const struct ktls_suite suites[] = {
	{ 0x1301, "TLS_AES_128_GCM_SHA256", "TLS13-AES128-GCM-SHA256", TLS13,
	  KTLS_HASH_SHA256, &aes_gcm_128 },
	{ 0x1302, "TLS_AES_256_GCM_SHA384", "TLS13-AES256-GCM-SHA384", TLS13,
	  KTLS_HASH_SHA384, &aes_gcm_256 },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256",
	  "TLS13-CHACHA20-POLY1305-SHA256", TLS13, KTLS_HASH_SHA256,
	  &chacha20_poly1305 },
	{ 0x1304, "TLS_AES_128_CCM_SHA256", "TLS13-AES128-CCM-SHA256", TLS13,
	  KTLS_HASH_SHA256, &aes_ccm_128 },
	{ 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	  "ECDHE-ECDSA-AES128-GCM-SHA256", TLS12, KTLS_HASH_SHA256,
	  &aes_gcm_128 },
	{ 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	  "ECDHE-ECDSA-AES256-GCM-SHA384", TLS12, KTLS_HASH_SHA384,
	  &aes_gcm_256 },
	{ 0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	  "ECDHE-ECDSA-CHACHA20-POLY1305", TLS12, KTLS_HASH_SHA256,
	  &chacha20_poly1305 },
	{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	  "ECDHE-RSA-AES128-GCM-SHA256", TLS12, KTLS_HASH_SHA256,
	  &aes_gcm_128 },
	{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	  "ECDHE-RSA-AES256-GCM-SHA384", TLS12, KTLS_HASH_SHA384,
	  &aes_gcm_256 },
	{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	  "ECDHE-RSA-CHACHA20-POLY1305", TLS12, KTLS_HASH_SHA256,
	  &chacha20_poly1305 },
};

#define NR_SUITES (sizeof(suites) / sizeof(suites[0]))

/*
 * Our names are also WolfSSL's curves-list names. In order of preference:
 * the post-quantum hybrids (ML-KEM-768 with X25519 or P-256, the standard
 * codepoints of draft-ietf-tls-ecdhe-mlkem) before the classical groups,
 * so that recorded traffic stays secret against a future quantum computer.
 */
static const struct ktls_group {
	const char *name;
	const char *wolfssl_name;	/* as wolfSSL_get_curve_name() says it */
	uint16_t iana;			/* NamedGroup, RFC 8446 §4.2.7 */
	bool hybrid;			/* ECDHE + ML-KEM */
} groups[] = {
	{ "X25519MLKEM768", "X25519MLKEM768", 0x11ec, true },
	{ "SecP256r1MLKEM768", "SecP256r1MLKEM768", 0x11eb, true },
	{ "X25519", "X25519", 0x001d, false },
	{ "P-256", "SECP256R1", 0x0017, false },
	{ "P-384", "SECP384R1", 0x0018, false },
};

#define NR_GROUPS (sizeof(groups) / sizeof(groups[0]))

const struct ktls_suite *__ktls_suite_find(uint16_t iana)
{
	for (size_t i = 0; i < NR_SUITES; i++)
		if (suites[i].iana == iana)
			return &suites[i];
	return NULL;
}

static const struct ktls_suite *suite_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_SUITES; i++)
		if (strlen(suites[i].name) == len &&
		    !strncmp(suites[i].name, name, len))
			return &suites[i];
	return NULL;
}

static int append(char *out, size_t out_len, size_t *pos, const char *word)
{
	int n = snprintf(out + *pos, out_len - *pos, "%s%s", *pos ? ":" : "",
			 word);

	if (n < 0 || (size_t)n >= out_len - *pos)
		return -ENOSPC;
	*pos += (size_t)n;
	return 0;
}

int __ktls_suites_to_wolfssl(const char *names, uint16_t min_version,
			     uint16_t max_version, char *out, size_t out_len)
{
	const char *p = names;
	size_t pos = 0;

	out[0] = '\0';
	if (!names) {
		for (size_t i = 0; i < NR_SUITES; i++) {
			if (suites[i].version < min_version ||
			    suites[i].version > max_version)
				continue;
			if (append(out, out_len, &pos, suites[i].wolfssl_name))
				return __ktls_fail(-ENOSPC, "cipher list too long");
		}
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, ":");
		const struct ktls_suite *suite = suite_by_name(p, len);

		if (!suite)
			return __ktls_fail(-EINVAL,
					 "cipher suite '%.*s' is unknown or cannot be offloaded to kernel TLS",
					 (int)len, p);
		if (suite->version >= min_version &&
		    suite->version <= max_version &&
		    append(out, out_len, &pos, suite->wolfssl_name))
			return __ktls_fail(-ENOSPC, "cipher list too long");
		p += len;
		if (*p)
			p++;
	}
	if (!pos)
		return __ktls_fail(-EINVAL,
				 "no cipher suite in '%s' is usable with the configured TLS versions",
				 names);
	return 0;
}

static const struct ktls_group *group_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_GROUPS; i++)
		if (strlen(groups[i].name) == len &&
		    !strncmp(groups[i].name, name, len))
			return &groups[i];
	return NULL;
}

static const struct ktls_group *group_by_iana(uint16_t iana)
{
	for (size_t i = 0; i < NR_GROUPS; i++)
		if (groups[i].iana == iana)
			return &groups[i];
	return NULL;
}

int __ktls_groups_parse(const char *names, uint16_t *out, size_t *nr_out)
{
	const char *p = names ? names : KTLS_DEFAULT_GROUPS;
	size_t n = 0;

	while (*p) {
		size_t len = strcspn(p, ":");
		const struct ktls_group *group = group_by_name(p, len);

		if (!group)
			return __ktls_fail(-EINVAL,
					 "group '%.*s' is not supported (use X25519MLKEM768, SecP256r1MLKEM768, X25519, P-256 or P-384)",
					 (int)len, p);
		for (size_t i = 0; i < n; i++)
			if (out[i] == group->iana)
				return __ktls_fail(-EINVAL,
						 "group '%s' is listed twice",
						 group->name);
		out[n++] = group->iana;
		p += len;
		if (*p)
			p++;
	}
	if (!n)
		return __ktls_fail(-EINVAL, "no group configured");
	*nr_out = n;
	return 0;
}

const char *__ktls_group_iana_name(uint16_t iana)
{
	const struct ktls_group *group = group_by_iana(iana);

	return group ? group->name : NULL;
}

bool __ktls_group_is_hybrid(uint16_t iana)
{
	const struct ktls_group *group = group_by_iana(iana);

	return group && group->hybrid;
}

const char *__ktls_group_name(const char *wolfssl_name)
{
	if (!wolfssl_name)
		return "none";
	for (size_t i = 0; i < NR_GROUPS; i++)
		if (!strcmp(groups[i].wolfssl_name, wolfssl_name))
			return groups[i].name;
	return wolfssl_name;
}

bool __ktls_group_in(const char *names, uint16_t iana)
{
	const char *p = names ? names : KTLS_DEFAULT_GROUPS;

	while (*p) {
		size_t len = strcspn(p, ":");
		const struct ktls_group *group = group_by_name(p, len);

		if (group && group->iana == iana)
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}
