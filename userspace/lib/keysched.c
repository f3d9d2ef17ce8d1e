// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS 1.3 key schedule (RFC 8446 §7) on wolfCrypt's HMAC. WolfSSL hands
 * us traffic secrets through its secret callback; the keys the kernel gets
 * are expanded here, so the derivation is ours and checked against RFC 8448.
 */
#include <errno.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/hash.h>

#include "ktls/keysched.h"

/* "tls13 " + label fits a one-byte length (RFC 8446 §7.1: 7..255). */
#define LABEL_PREFIX "tls13 "
#define LABEL_PREFIX_LEN (sizeof(LABEL_PREFIX) - 1)
#define MAX_LABEL_LEN 255
#define MAX_CONTEXT_LEN 255

size_t __ktls_hash_len(enum ktls_hash hash)
{
	switch (hash) {
	case KTLS_HASH_SHA256:
		return 32;
	case KTLS_HASH_SHA384:
		return 48;
	}
	return 0;
}

static int wc_hash_type(enum ktls_hash hash)
{
	return hash == KTLS_HASH_SHA384 ? WC_SHA384 : WC_SHA256;
}

int __ktls_hash(enum ktls_hash hash, const uint8_t *data, size_t len,
		uint8_t *out)
{
	int ret;

	if (!__ktls_hash_len(hash) || len > UINT32_MAX)
		return -EINVAL;
	if (hash == KTLS_HASH_SHA384)
		ret = wc_Sha384Hash(data, (word32)len, out);
	else
		ret = wc_Sha256Hash(data, (word32)len, out);
	return ret ? -EIO : 0;
}

/* out = HMAC-Hash(key, part1 || part2 || part3); any part may be empty. */
static int hmac3(enum ktls_hash hash, const uint8_t *key, size_t key_len,
		 const uint8_t *p1, size_t l1, const uint8_t *p2, size_t l2,
		 const uint8_t *p3, size_t l3, uint8_t *out)
{
	Hmac mac;
	int ret;

	if (wc_HmacInit(&mac, NULL, INVALID_DEVID))
		return -EIO;
	ret = wc_HmacSetKey(&mac, wc_hash_type(hash), key, (word32)key_len);
	if (!ret && l1)
		ret = wc_HmacUpdate(&mac, p1, (word32)l1);
	if (!ret && l2)
		ret = wc_HmacUpdate(&mac, p2, (word32)l2);
	if (!ret && l3)
		ret = wc_HmacUpdate(&mac, p3, (word32)l3);
	if (!ret)
		ret = wc_HmacFinal(&mac, out);
	wc_HmacFree(&mac);
	/* wc_HmacFree leaves ipad/opad (key ^ 0x36/0x5c): the key itself. */
	explicit_bzero(&mac, sizeof(mac));
	return ret ? -EIO : 0;
}

int __ktls_hkdf_extract(enum ktls_hash hash, const uint8_t *salt,
			size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		      uint8_t *prk)
{
	static const uint8_t zeros[KTLS_MAX_HASH_LEN];
	size_t hash_len = __ktls_hash_len(hash);

	if (!hash_len || salt_len > UINT32_MAX || ikm_len > UINT32_MAX)
		return -EINVAL;
	if (!salt || !salt_len) {
		salt = zeros;
		salt_len = hash_len;
	}
	return hmac3(hash, salt, salt_len, ikm, ikm_len, NULL, 0, NULL, 0,
		     prk);
}

int __ktls_hkdf_expand(enum ktls_hash hash, const uint8_t *prk, size_t prk_len,
		       const uint8_t *info, size_t info_len, uint8_t *okm,
		     size_t okm_len)
{
	size_t hash_len = __ktls_hash_len(hash);
	uint8_t block[KTLS_MAX_HASH_LEN];
	size_t prev_len = 0, done = 0;
	uint8_t counter = 1;
	int ret;

	if (!hash_len || okm_len > 255 * hash_len || prk_len > UINT32_MAX ||
	    info_len > UINT32_MAX)
		return -EINVAL;

	/* T(n) = HMAC(PRK, T(n-1) || info || n) */
	while (done < okm_len) {
		size_t take = okm_len - done < hash_len ? okm_len - done :
							   hash_len;

		ret = hmac3(hash, prk, prk_len, block, prev_len, info,
			    info_len, &counter, 1, block);
		if (ret)
			goto wipe_block;
		memcpy(okm + done, block, take);
		done += take;
		prev_len = hash_len;
		counter++;
	}
	ret = 0;
wipe_block:
	explicit_bzero(block, sizeof(block));
	return ret;
}

int __ktls_hkdf_expand_label(enum ktls_hash hash, const uint8_t *secret,
			     const char *label, const uint8_t *context,
			   size_t context_len, uint8_t *out, size_t out_len)
{
	/*
	 * struct HkdfLabel { uint16 length; opaque label<7..255>;
	 * opaque context<0..255>; }
	 */
	uint8_t info[2 + 1 + MAX_LABEL_LEN + 1 + MAX_CONTEXT_LEN];
	size_t hash_len = __ktls_hash_len(hash);
	size_t label_len, pos = 0;

	if (!hash_len || !label)
		return -EINVAL;
	label_len = strlen(label);
	if (LABEL_PREFIX_LEN + label_len > MAX_LABEL_LEN ||
	    context_len > MAX_CONTEXT_LEN || out_len > UINT16_MAX)
		return -EINVAL;

	info[pos++] = (uint8_t)(out_len >> 8);
	info[pos++] = (uint8_t)out_len;
	info[pos++] = (uint8_t)(LABEL_PREFIX_LEN + label_len);
	memcpy(info + pos, LABEL_PREFIX, LABEL_PREFIX_LEN);
	pos += LABEL_PREFIX_LEN;
	memcpy(info + pos, label, label_len);
	pos += label_len;
	info[pos++] = (uint8_t)context_len;
	if (context_len)
		memcpy(info + pos, context, context_len);
	pos += context_len;

	return __ktls_hkdf_expand(hash, secret, hash_len, info, pos, out,
				out_len);
}

int __ktls_derive_secret(enum ktls_hash hash, const uint8_t *secret,
			 const char *label, const uint8_t *transcript_hash,
		       uint8_t *out)
{
	size_t hash_len = __ktls_hash_len(hash);

	if (!hash_len)
		return -EINVAL;
	return __ktls_hkdf_expand_label(hash, secret, label, transcript_hash,
				      hash_len, out, hash_len);
}

int __ktls_traffic_key_iv(enum ktls_hash hash, const uint8_t *traffic_secret,
			  uint8_t *key, size_t key_len, uint8_t *iv,
			size_t iv_len)
{
	int ret;

	ret = __ktls_hkdf_expand_label(hash, traffic_secret, "key", NULL, 0,
				       key, key_len);
	if (ret)
		return ret;
	return __ktls_hkdf_expand_label(hash, traffic_secret, "iv", NULL, 0,
				      iv, iv_len);
}
