/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signing with a private key that lives in another process: the
 * network-facing process runs the handshake with only the certificate,
 * and asks a key holder (ktlsd's key process) for each signature, as
 * OpenBSD's relayd asks its "ca" process.
 *
 * Functions return 0 or a negative errno; ktls_reason() says why.
 */
#ifndef KTLS_SIGNER_H
#define KTLS_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "ktls/ktls.h"

/* What is signed, and how. */
enum ktls_sign_alg {
	KTLS_SIGN_ECDSA = 1,	  /* @in: a digest; out: DER ECDSA-Sig-Value */
	KTLS_SIGN_RSA_PKCS1 = 2,  /* @in: a DER DigestInfo (TLS 1.2) */
	KTLS_SIGN_RSA_PSS = 3,	  /* @in: a digest; MGF1 and salt by @hash */
};

/* The digest of an RSA-PSS signature (0 for the others). */
enum ktls_sign_hash {
	KTLS_SIGN_HASH_NONE = 0,
	KTLS_SIGN_SHA256 = 1,
	KTLS_SIGN_SHA384 = 2,
	KTLS_SIGN_SHA512 = 3,
};

/* Largest input and signature a request carries: RSA-8192. */
#define KTLS_SIGN_MAX_IN 1024
#define KTLS_SIGN_MAX_SIG 1024

struct ktls_signer {
	/*
	 * Sign @in with key @key_id; write the signature to @sig (room for
	 * *@sig_len bytes) and its length to *@sig_len. Called from the
	 * handshake step, in its thread.
	 */
	int (*sign)(void *arg, uint32_t key_id, enum ktls_sign_alg alg,
		    enum ktls_sign_hash hash, const uint8_t *in, size_t in_len,
		    uint8_t *sig, size_t *sig_len);
	void *arg;
	uint32_t key_id;
};

/* The key holder's side: one private key, checked against its certificate. */
struct ktls_private_key;

/*
 * Load the PEM private key @key_file and check that it signs for the PEM
 * certificate (chain) @cert_file. The file's bytes are read into locked
 * memory and wiped after decoding.
 */
int __ktls_private_key_load(const char *key_file, const char *cert_file,
			    struct ktls_private_key **key);
/* The same from memory (keys from kernel key serials); @what names it. */
int __ktls_private_key_load_mem(const uint8_t *key_pem, size_t key_len,
				const uint8_t *cert_pem, size_t cert_len,
			      const char *what, struct ktls_private_key **key);
int __ktls_private_key_sign(struct ktls_private_key *key,
			    enum ktls_sign_alg alg, enum ktls_sign_hash hash,
			  const uint8_t *in, size_t in_len, uint8_t *sig,
			  size_t *sig_len);
/* Wipes the key. */
void __ktls_private_key_free(struct ktls_private_key *key);

#endif /* KTLS_SIGNER_H */
