// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * der: key material from a key serial that is not PEM goes through
 * upcall_der_to_pem() (userspace/upcall/der.c), as a certificate and as a
 * private key. Whatever it accepts must be one PEM block whose base64
 * body is the same DER, since that is what libktls then loads.
 */
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>

#include "fuzz.h"
#include "upcall/upcall_internal.h"

static void check_pem(const uint8_t *pem, size_t pem_len,
		      const uint8_t *der, size_t der_len)
{
	const uint8_t *body, *end;
	word32 out_len = (word32)der_len + 16;
	uint8_t *out = malloc(out_len);

	if (!out)
		return;
	body = memchr(pem, '\n', pem_len);
	end = memmem(pem, pem_len, "\n-----END ", 10);
	if (!upcall_is_pem(pem, pem_len) || !body || !end || end < body ||
	    Base64_Decode(body + 1, (word32)(end - body), out, &out_len) ||
	    out_len != der_len || memcmp(out, der, der_len))
		abort();
	free(out);
}

static void convert(const uint8_t *data, size_t size, bool private_key)
{
	uint8_t *pem;
	size_t pem_len;

	if (upcall_der_to_pem(1, data, size, private_key, &pem, &pem_len))
		return;
	check_pem(pem, pem_len, data, size);
	free(pem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	convert(data, size, false);
	convert(data, size, true);
	return 0;
}
