// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key holder's side of privilege separation: one private key, decoded
 * with wolfCrypt, checked against its certificate at load, and used only
 * to sign what a handshake elsewhere asks for (signer.c is that side).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ktls_internal.h"
#include "ktls/signer.h"

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

struct ktls_private_key {
	bool rsa;
	union {
		ecc_key ecc;
		RsaKey rsa;
	} k;
	/*
	 * WolfSSL's RsaKey keeps state while it signs (it is not only read):
	 * threads that share the key sign with it one at a time.
	 */
	pthread_mutex_t rsa_lock;
};

/*
 * One random number generator per thread: a key is shared by the threads
 * that sign with it (ktlsd's key process has one per worker thread); an
 * ECC key is only read as it signs, an RSA key is also locked (rsa_lock).
 */
static __thread WC_RNG thread_rng;
static __thread bool thread_rng_ready;

static WC_RNG *rng(void)
{
	if (!thread_rng_ready) {
		if (wc_InitRng(&thread_rng))
			return NULL;
		thread_rng_ready = true;
	}
	return &thread_rng;
}

/* The DER of a PEM key, in locked memory the caller wipes and unmaps. */
static int pem_to_der(const uint8_t *pem, size_t pem_len, const char *what,
		      uint8_t **der, size_t *der_max, int *der_len)
{
	*der_max = pem_len + 4096;
	*der = mmap(NULL, *der_max, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*der == MAP_FAILED)
		return __ktls_fail(-ENOMEM, "out of memory");
	/* Never swapped out, never in a core dump. */
	mlock(*der, *der_max);
	madvise(*der, *der_max, MADV_DONTDUMP);
	*der_len = wc_KeyPemToDer(pem, (int)pem_len, *der, (int)*der_max, NULL);
	if (*der_len <= 0)
		return __ktls_fail(-EINVAL, "%s is not a PEM private key", what);
	return 0;
}

static void der_free(uint8_t *der, size_t der_max)
{
	if (der == MAP_FAILED)
		return;
	explicit_bzero(der, der_max);
	munlock(der, der_max);
	munmap(der, der_max);
}

static int decode(struct ktls_private_key *key, uint8_t *der, int der_len,
		  const char *what)
{
	word32 idx = 0, off = 0;
	int ret;

	/* PKCS#8 wraps the traditional key: skip to it. */
	ret = wc_GetPkcs8TraditionalOffset(der, &off, (word32)der_len);
	if (ret < 0)
		off = 0;
	if (!wc_ecc_init(&key->k.ecc)) {
		idx = off;
		if (!wc_EccPrivateKeyDecode(der, &idx, &key->k.ecc,
					    (word32)der_len))
			return 0;
		wc_ecc_free(&key->k.ecc);
	}
	if (wc_InitRsaKey(&key->k.rsa, NULL))
		return __ktls_fail(-ENOMEM, "cannot set up an RSA key");
	idx = off;
	if (!wc_RsaPrivateKeyDecode(der, &idx, &key->k.rsa, (word32)der_len)) {
		key->rsa = true;
		return 0;
	}
	wc_FreeRsaKey(&key->k.rsa);
	return __ktls_fail(-EINVAL, "%s is neither an ECDSA nor an RSA private key",
			 what);
}

/* Load into a throwaway WolfSSL context, which checks key against cert. */
static int check_pair(const uint8_t *key_pem, size_t key_len,
		      const uint8_t *cert_pem, size_t cert_len,
		      const char *what, const char *cert_what)
{
	WOLFSSL_CTX *wctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
	int ret;

	if (!wctx)
		return __ktls_fail(-ENOMEM, "cannot create a WolfSSL context");
	if (wolfSSL_CTX_use_certificate_chain_buffer(wctx, cert_pem,
						     (long)cert_len) !=
	    WOLFSSL_SUCCESS)
		ret = __ktls_fail(-EINVAL, "%s is not a PEM certificate chain",
				  cert_what);
	else if (wolfSSL_CTX_use_PrivateKey_buffer(wctx, key_pem, (long)key_len,
						   WOLFSSL_FILETYPE_PEM) !=
		 WOLFSSL_SUCCESS)
		ret = __ktls_fail(-EINVAL, "%s is not a PEM private key", what);
	else
		ret = __ktls_check_key_pair(wctx, what, cert_what);
	wolfSSL_CTX_free(wctx);
	return ret;
}

static int load_mem(const uint8_t *key_pem, size_t key_len,
		    const uint8_t *cert_pem, size_t cert_len, const char *what,
		    const char *cert_what, struct ktls_private_key **out)
{
	struct ktls_private_key *key;
	uint8_t *der = MAP_FAILED;
	size_t der_max = 0;
	int der_len = 0, ret;

	ret = wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 :
		__ktls_fail(-EIO, "wolfSSL_Init failed");
	if (!ret)
		ret = check_pair(key_pem, key_len, cert_pem, cert_len, what,
				 cert_what);
	if (ret)
		return ret;
	key = calloc(1, sizeof(*key));
	if (!key)
		return __ktls_fail(-ENOMEM, "out of memory");
	pthread_mutex_init(&key->rsa_lock, NULL);
	ret = pem_to_der(key_pem, key_len, what, &der, &der_max, &der_len);
	if (!ret)
		ret = decode(key, der, der_len, what);
	der_free(der, der_max);
	if (ret) {
		pthread_mutex_destroy(&key->rsa_lock);
		explicit_bzero(key, sizeof(*key));
		free(key);
		return ret;
	}
	*out = key;
	return 0;
}

int __ktls_private_key_load_mem(const uint8_t *key_pem, size_t key_len,
				const uint8_t *cert_pem, size_t cert_len,
			      const char *what, struct ktls_private_key **key)
{
	return load_mem(key_pem, key_len, cert_pem, cert_len, what,
			"its certificate", key);
}

int __ktls_private_key_load(const char *key_file, const char *cert_file,
			    struct ktls_private_key **key)
{
	uint8_t *key_pem, *cert_pem;
	size_t key_len, cert_len;
	int ret;

	ret = __ktls_read_secret_file("private key file", key_file, &key_pem,
				      &key_len);
	if (ret)
		return ret;
	ret = ktls_read_file("certificate file", cert_file, &cert_pem,
			     &cert_len);
	if (!ret) {
		ret = load_mem(key_pem, key_len, cert_pem, cert_len, key_file,
			       cert_file, key);
		ktls_file_free(cert_pem, cert_len);
	}
	__ktls_secret_free(key_pem, key_len);
	return ret;
}

static int pss_params(enum ktls_sign_hash hash, enum wc_HashType *type,
		      int *mgf, size_t *digest_len)
{
	switch (hash) {
	case KTLS_SIGN_SHA256:
		*type = WC_HASH_TYPE_SHA256;
		*mgf = WC_MGF1SHA256;
		*digest_len = 32;
		return 0;
	case KTLS_SIGN_SHA384:
		*type = WC_HASH_TYPE_SHA384;
		*mgf = WC_MGF1SHA384;
		*digest_len = 48;
		return 0;
	case KTLS_SIGN_SHA512:
		*type = WC_HASH_TYPE_SHA512;
		*mgf = WC_MGF1SHA512;
		*digest_len = 64;
		return 0;
	case KTLS_SIGN_HASH_NONE:
		break;
	}
	return -EINVAL;
}

int __ktls_private_key_sign(struct ktls_private_key *key,
			    enum ktls_sign_alg alg, enum ktls_sign_hash hash,
			  const uint8_t *in, size_t in_len, uint8_t *sig,
			  size_t *sig_len)
{
	enum wc_HashType type;
	size_t digest_len;
	word32 len = (word32)*sig_len;
	WC_RNG *r = rng();
	int mgf, ret;

	if (!r)
		return __ktls_fail(-EIO, "cannot seed a random number generator");
	if (!in_len || in_len > KTLS_SIGN_MAX_IN)
		return __ktls_fail(-EINVAL, "a signing request of %zu bytes",
				 in_len);
	switch (alg) {
	case KTLS_SIGN_ECDSA:
		if (key->rsa || hash != KTLS_SIGN_HASH_NONE)
			break;
		ret = wc_ecc_sign_hash(in, (word32)in_len, sig, &len, r,
				       &key->k.ecc);
		if (ret)
			return __ktls_fail(-EIO, "ECDSA signing failed (%d)", ret);
		*sig_len = len;
		return 0;
	case KTLS_SIGN_RSA_PKCS1:
		if (!key->rsa || hash != KTLS_SIGN_HASH_NONE)
			break;
		pthread_mutex_lock(&key->rsa_lock);
		ret = wc_RsaSSL_Sign(in, (word32)in_len, sig, len, &key->k.rsa,
				     r);
		pthread_mutex_unlock(&key->rsa_lock);
		if (ret <= 0)
			return __ktls_fail(-EIO, "RSA signing failed (%d)", ret);
		*sig_len = (size_t)ret;
		return 0;
	case KTLS_SIGN_RSA_PSS:
		if (!key->rsa || pss_params(hash, &type, &mgf, &digest_len) ||
		    in_len != digest_len)
			break;
		pthread_mutex_lock(&key->rsa_lock);
		ret = wc_RsaPSS_Sign(in, (word32)in_len, sig, len, type, mgf,
				     &key->k.rsa, r);
		pthread_mutex_unlock(&key->rsa_lock);
		if (ret <= 0)
			return __ktls_fail(-EIO, "RSA-PSS signing failed (%d)", ret);
		*sig_len = (size_t)ret;
		return 0;
	}
	return __ktls_fail(-EINVAL, "this key cannot sign with algorithm %d, hash %d",
			 alg, hash);
}

void __ktls_private_key_free(struct ktls_private_key *key)
{
	if (!key)
		return;
	if (key->rsa)
		wc_FreeRsaKey(&key->k.rsa);
	else
		wc_ecc_free(&key->k.ecc);
	pthread_mutex_destroy(&key->rsa_lock);
	explicit_bzero(key, sizeof(*key));
	free(key);
}
