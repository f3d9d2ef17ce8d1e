// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The handshake side of privilege separation: a context with a certificate
 * and no private key signs through WolfSSL's PK callbacks, which ask the
 * caller's signer (include/ktls/signer.h) and never see a key. An RSA
 * signature is checked against the certificate's public key before it
 * goes out, as WolfSSL checks its own (a faulty signature leaks the key).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ktls_internal.h"
#include "ktls/signer.h"

#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/rsa.h>

struct ktls_remote_key {
	struct ktls_signer signer;
	bool rsa;
	RsaKey rsa_pub;		/* for the check of our own signatures */
	/*
	 * WolfSSL's RsaKey keeps state while it works, and the context's
	 * sessions run on several threads (ktlsd's event loops): one check
	 * at a time.
	 */
	pthread_mutex_t rsa_lock;
};

static struct ktls_remote_key *remote_key_of(WOLFSSL *ssl)
{
	struct ktls_session *session = wolfSSL_get_ex_data(ssl, 0);

	return session ? session->ctx->remote_key : NULL;
}

static int ask(WOLFSSL *ssl, enum ktls_sign_alg alg, enum ktls_sign_hash hash,
	       const unsigned char *in, unsigned int in_len, unsigned char *out,
	       word32 *out_len)
{
	struct ktls_remote_key *rk = remote_key_of(ssl);
	size_t len = *out_len;
	int ret;

	if (!rk)
		return BAD_FUNC_ARG;
	ret = rk->signer.sign(rk->signer.arg, rk->signer.key_id, alg, hash,
			      in, in_len, out, &len);
	if (ret || len > *out_len)
		return WC_HW_E;		/* the handshake fails, and says so */
	*out_len = (word32)len;
	return 0;
}

static int ecc_sign(WOLFSSL *ssl, const unsigned char *in, unsigned int in_len,
		    unsigned char *out, word32 *out_len,
		    const unsigned char *key_der, unsigned int key_len,
		    void *arg)
{
	(void)key_der;
	(void)key_len;
	(void)arg;
	return ask(ssl, KTLS_SIGN_ECDSA, KTLS_SIGN_HASH_NONE, in, in_len, out,
		   out_len);
}

static int rsa_sign(WOLFSSL *ssl, const unsigned char *in, unsigned int in_len,
		    unsigned char *out, word32 *out_len,
		    const unsigned char *key_der, unsigned int key_len,
		    void *arg)
{
	(void)key_der;
	(void)key_len;
	(void)arg;
	return ask(ssl, KTLS_SIGN_RSA_PKCS1, KTLS_SIGN_HASH_NONE, in, in_len,
		   out, out_len);
}

/* WolfSSL names the PSS digest by its OID sum. */
static enum ktls_sign_hash pss_hash(int oid_sum, enum wc_HashType *type,
				    int *mgf)
{
	switch (oid_sum) {
	case SHA256h:
		*type = WC_HASH_TYPE_SHA256;
		*mgf = WC_MGF1SHA256;
		return KTLS_SIGN_SHA256;
	case SHA384h:
		*type = WC_HASH_TYPE_SHA384;
		*mgf = WC_MGF1SHA384;
		return KTLS_SIGN_SHA384;
	case SHA512h:
		*type = WC_HASH_TYPE_SHA512;
		*mgf = WC_MGF1SHA512;
		return KTLS_SIGN_SHA512;
	}
	return KTLS_SIGN_HASH_NONE;
}

static int rsa_pss_sign(WOLFSSL *ssl, const unsigned char *in,
			unsigned int in_len, unsigned char *out,
			unsigned int *out_len, int hash, int mgf,
			const unsigned char *key_der, unsigned int key_len,
			void *arg)
{
	enum wc_HashType type;
	enum ktls_sign_hash h = pss_hash(hash, &type, &mgf);
	word32 len = *out_len;
	int ret;

	(void)key_der;
	(void)key_len;
	(void)arg;
	if (h == KTLS_SIGN_HASH_NONE)
		return BAD_FUNC_ARG;
	ret = ask(ssl, KTLS_SIGN_RSA_PSS, h, in, in_len, out, &len);
	*out_len = len;
	return ret;
}

/* The public-key operation on our own signature: its "plaintext". */
static int rsa_check(WOLFSSL *ssl, unsigned char *sig, unsigned int sig_len,
		     unsigned char **out, const unsigned char *key_der,
		     unsigned int key_len, void *arg)
{
	struct ktls_remote_key *rk = remote_key_of(ssl);
	int ret;

	(void)key_der;
	(void)key_len;
	(void)arg;
	if (!rk || !rk->rsa)
		return BAD_FUNC_ARG;
	pthread_mutex_lock(&rk->rsa_lock);
	ret = wc_RsaSSL_VerifyInline(sig, sig_len, out, &rk->rsa_pub);
	pthread_mutex_unlock(&rk->rsa_lock);
	return ret;
}

static int rsa_pss_check(WOLFSSL *ssl, unsigned char *sig,
			 unsigned int sig_len, unsigned char **out, int hash,
			 int mgf, const unsigned char *key_der,
			 unsigned int key_len, void *arg)
{
	struct ktls_remote_key *rk = remote_key_of(ssl);
	enum wc_HashType type;

	(void)key_der;
	(void)key_len;
	(void)arg;
	int ret;

	if (!rk || !rk->rsa ||
	    pss_hash(hash, &type, &mgf) == KTLS_SIGN_HASH_NONE)
		return BAD_FUNC_ARG;
	pthread_mutex_lock(&rk->rsa_lock);
	ret = wc_RsaPSS_VerifyInline(sig, sig_len, out, type, mgf,
				     &rk->rsa_pub);
	pthread_mutex_unlock(&rk->rsa_lock);
	return ret;
}

static int load_rsa_public(struct ktls_remote_key *rk, WOLFSSL_X509 *cert,
			   const char *cert_file)
{
	unsigned char der[2048];
	int len = sizeof(der);
	word32 idx = 0;

	if (wc_InitRsaKey(&rk->rsa_pub, NULL))
		return __ktls_fail(-ENOMEM, "cannot set up an RSA key");
	pthread_mutex_init(&rk->rsa_lock, NULL);
	rk->rsa = true;
	if (wolfSSL_X509_get_pubkey_buffer(cert, der, &len) != WOLFSSL_SUCCESS ||
	    wc_RsaPublicKeyDecode(der, &idx, &rk->rsa_pub, (word32)len))
		return __ktls_fail(-EINVAL, "cannot read the RSA public key of %s",
				 cert_file);
	return 0;
}

int __ktls_signer_setup(struct ktls_ctx *ctx, const struct ktls_config *config)
{
	WOLFSSL_X509 *cert = wolfSSL_CTX_get0_certificate(ctx->wolfssl);
	struct ktls_remote_key *rk;
	int type;

	if (!config->signer->sign)
		return __ktls_fail(-EINVAL, "the signer has no sign function");
	if (!cert)
		return __ktls_fail(-EINVAL, "cannot read back the certificate %s",
				 config->cert_file);
	rk = calloc(1, sizeof(*rk));
	if (!rk)
		return __ktls_fail(-ENOMEM, "out of memory");
	rk->signer = *config->signer;
	ctx->remote_key = rk;
	type = wolfSSL_X509_get_pubkey_type(cert);
	if (type == RSAk) {
		int ret = load_rsa_public(rk, cert, config->cert_file);

		if (ret)
			return ret;
		wolfSSL_CTX_SetRsaSignCb(ctx->wolfssl, rsa_sign);
		wolfSSL_CTX_SetRsaSignCheckCb(ctx->wolfssl, rsa_check);
		wolfSSL_CTX_SetRsaPssSignCb(ctx->wolfssl, rsa_pss_sign);
		wolfSSL_CTX_SetRsaPssSignCheckCb(ctx->wolfssl, rsa_pss_check);
	} else if (type == ECDSAk) {
		wolfSSL_CTX_SetEccSignCb(ctx->wolfssl, ecc_sign);
	} else {
		return __ktls_fail(-EINVAL,
				 "%s: only ECDSA and RSA certificates can sign through a key process",
				 config->cert_file);
	}
	return 0;
}

void __ktls_signer_free(struct ktls_ctx *ctx)
{
	struct ktls_remote_key *rk = ctx->remote_key;

	if (!rk)
		return;
	if (rk->rsa) {
		wc_FreeRsaKey(&rk->rsa_pub);
		pthread_mutex_destroy(&rk->rsa_lock);
	}
	free(rk);
	ctx->remote_key = NULL;
}
