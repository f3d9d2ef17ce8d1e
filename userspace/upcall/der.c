// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Key material from the kernel's key serials may be DER (tlshd only takes
 * DER) or PEM; libktls loads PEM. Turn DER into PEM in memory, naming the
 * private key's format from its structure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include "upcall_internal.h"

bool upcall_is_pem(const uint8_t *data, size_t len)
{
	static const char begin[] = "-----BEGIN ";

	return len >= sizeof(begin) - 1 &&
	       !memcmp(data, begin, sizeof(begin) - 1);
}

/*
 * A DER private key is SEQUENCE { INTEGER version, X, ... }: X is a
 * SEQUENCE (the algorithm) in PKCS#8, an OCTET STRING (the key) in SEC 1
 * (EC), an INTEGER (the modulus) in PKCS#1 (RSA). -1 if it is none.
 */
static int private_key_type(const uint8_t *der, size_t len)
{
	size_t i = 2;

	if (len < 8 || der[0] != 0x30)
		return -1;
	if (der[1] & 0x80)
		i += der[1] & 0x7f;	/* long form: that many length bytes */
	if (i + 3 >= len || der[i] != 0x02 || der[i + 1] != 1)
		return -1;
	switch (der[i + 3]) {
	case 0x30:
		return PKCS8_PRIVATEKEY_TYPE;
	case 0x04:
		return ECC_PRIVATEKEY_TYPE;
	case 0x02:
		return PRIVATEKEY_TYPE;	/* "RSA PRIVATE KEY" */
	}
	return -1;
}

int upcall_der_to_pem(int32_t serial, const uint8_t *der, size_t len,
		      bool private_key, uint8_t **pem, size_t *pem_len)
{
	int type = private_key ? private_key_type(der, len) : CERT_TYPE;
	/* base64 is 4/3 of the size, plus line breaks and the two lines */
	size_t max = len * 2 + 128;
	int n;

	if (type < 0 || (!private_key && (len < 4 || der[0] != 0x30)))
		return upcall_fail(-EKEYREJECTED,
				   "key %d is neither PEM nor DER %s", serial,
				   private_key ?
				   "private key (PKCS#8, SEC 1 or PKCS#1)" :
				   "certificate");
	*pem = malloc(max);
	if (!*pem)
		return -ENOMEM;
	n = wc_DerToPem(der, (word32)len, *pem, (word32)max, type);
	if (n <= 0) {
		free(*pem);
		*pem = NULL;
		return upcall_fail(-EKEYREJECTED,
				   "key %d: cannot turn its DER into PEM (%d)",
				   serial, n);
	}
	*pem_len = (size_t)n;
	return 0;
}
