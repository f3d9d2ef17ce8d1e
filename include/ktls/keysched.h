/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS 1.3 key schedule (RFC 8446 §7): HKDF (RFC 5869) on wolfCrypt's
 * HMAC, HKDF-Expand-Label, Derive-Secret and the traffic key/IV expansion.
 *
 * Every function returns 0 or a negative errno. Output buffers must hold
 * the stated number of bytes; nothing is allocated.
 */
#ifndef KTLS_KEYSCHED_H
#define KTLS_KEYSCHED_H

#include <stddef.h>
#include <stdint.h>

enum ktls_hash {
	KTLS_HASH_SHA256,
	KTLS_HASH_SHA384,
};

#define KTLS_MAX_HASH_LEN 48

/* Digest length of @hash in bytes, 0 for an unknown value. */
size_t __ktls_hash_len(enum ktls_hash hash);

/* out (hash_len bytes) = Hash(data). Transcript-Hash of a message list. */
int __ktls_hash(enum ktls_hash hash, const uint8_t *data, size_t len,
		uint8_t *out);

/*
 * prk (hash_len bytes) = HKDF-Extract(salt, ikm). A NULL or empty salt means
 * hash_len zero bytes, as RFC 5869 §2.2 says.
 */
int __ktls_hkdf_extract(enum ktls_hash hash, const uint8_t *salt,
			size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		      uint8_t *prk);

/* okm = HKDF-Expand(prk, info, okm_len); okm_len <= 255 * hash_len. */
int __ktls_hkdf_expand(enum ktls_hash hash, const uint8_t *prk, size_t prk_len,
		       const uint8_t *info, size_t info_len, uint8_t *okm,
		     size_t okm_len);

/*
 * out = HKDF-Expand-Label(secret, label, context, out_len) (RFC 8446 §7.1).
 * @label is given without the "tls13 " prefix; @secret is hash_len bytes.
 */
int __ktls_hkdf_expand_label(enum ktls_hash hash, const uint8_t *secret,
			     const char *label, const uint8_t *context,
			   size_t context_len, uint8_t *out, size_t out_len);

/*
 * out (hash_len bytes) = Derive-Secret(secret, label, messages), given
 * @transcript_hash = Transcript-Hash(messages) (hash_len bytes).
 */
int __ktls_derive_secret(enum ktls_hash hash, const uint8_t *secret,
			 const char *label, const uint8_t *transcript_hash,
		       uint8_t *out);

/* The write key and IV of a traffic secret (RFC 8446 §7.3). */
int __ktls_traffic_key_iv(enum ktls_hash hash, const uint8_t *traffic_secret,
			  uint8_t *key, size_t key_len, uint8_t *iv,
			size_t iv_len);

#endif /* KTLS_KEYSCHED_H */
