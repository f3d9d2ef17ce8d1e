// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Does the server's private key belong to its certificate? WolfSSL 5.5.4's
 * wolfSSL_CTX_check_private_key() accepts an ECDSA key that is not the
 * certificate's, which would only show up as failed handshakes. We sign a
 * message with the key and verify it with the certificate's public key.
 */
#include <errno.h>

#include "ktls_internal.h"

#include <wolfssl/openssl/evp.h>

static const unsigned char probe_message[] = "ktlsd: key matches certificate";

static int sign_probe(WOLFSSL_EVP_PKEY *key, unsigned char *sig, size_t *len)
{
	WOLFSSL_EVP_MD_CTX *md = wolfSSL_EVP_MD_CTX_new();
	int ok;

	if (!md)
		return -ENOMEM;
	ok = wolfSSL_EVP_DigestSignInit(md, NULL, wolfSSL_EVP_sha256(), NULL,
					key) == WOLFSSL_SUCCESS &&
	     wolfSSL_EVP_DigestSignUpdate(md, probe_message,
					  sizeof(probe_message)) == WOLFSSL_SUCCESS &&
	     wolfSSL_EVP_DigestSignFinal(md, sig, len) == WOLFSSL_SUCCESS;
	wolfSSL_EVP_MD_CTX_free(md);
	return ok ? 0 : -EINVAL;
}

static bool verify_probe(WOLFSSL_EVP_PKEY *pub, const unsigned char *sig,
			 size_t len)
{
	WOLFSSL_EVP_MD_CTX *md = wolfSSL_EVP_MD_CTX_new();
	bool ok;

	if (!md)
		return false;
	ok = wolfSSL_EVP_DigestVerifyInit(md, NULL, wolfSSL_EVP_sha256(), NULL,
					  pub) == WOLFSSL_SUCCESS &&
	     wolfSSL_EVP_DigestVerifyUpdate(md, probe_message,
					    sizeof(probe_message)) == WOLFSSL_SUCCESS &&
	     wolfSSL_EVP_DigestVerifyFinal(md, sig, len) == WOLFSSL_SUCCESS;
	wolfSSL_EVP_MD_CTX_free(md);
	return ok;
}

int __ktls_check_key_pair(WOLFSSL_CTX *wctx, const char *key_file,
			  const char *cert_file)
{
	WOLFSSL_EVP_PKEY *key = wolfSSL_CTX_get0_privatekey(wctx);
	WOLFSSL_X509 *cert = wolfSSL_CTX_get0_certificate(wctx);
	WOLFSSL_EVP_PKEY *pub;
	unsigned char sig[1024];	/* RSA-8192 at most */
	size_t sig_len = sizeof(sig);
	bool match;

	if (!key || !cert)
		return __ktls_fail(-EINVAL, "cannot read back the key of %s",
				 cert_file);
	pub = wolfSSL_X509_get_pubkey(cert);
	if (!pub)
		return __ktls_fail(-EINVAL, "cannot read the public key of %s",
				 cert_file);
	match = !sign_probe(key, sig, &sig_len) &&
		verify_probe(pub, sig, sig_len);
	wolfSSL_EVP_PKEY_free(pub);
	if (!match)
		return __ktls_fail(-EINVAL,
				 "private key %s does not match certificate %s",
				 key_file, cert_file);
	return 0;
}
