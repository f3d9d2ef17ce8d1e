// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hello: the ClientHello/ServerHello reader behind the PSK checks
 * (userspace/lib/hello.c), fed what a peer sends before anything is
 * authenticated.
 *
 * Input: the handshake type (1 ClientHello, 2 ServerHello, anything else
 * is refused), then the message body as it follows the 4-byte handshake
 * header. Seeds in fuzz/corpus/hello/ are real hellos (OpenSSL 3.0 and
 * WolfSSL 5.5.4, TLS 1.2 and 1.3, PSK, HelloRetryRequest), taken from
 * `openssl s_client/s_server -msg` against each other, ktls-probe and
 * ktls-serve.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ktls_hello hello, again;
	uint8_t *body;
	int ret;

	if (!size)
		return 0;
	/* A copy of exactly the body: ASan sees any read past its end. */
	body = malloc(size - 1 ? size - 1 : 1);
	if (!body)
		return 0;
	memcpy(body, data + 1, size - 1);
	ret = ktls_hello_parse(data[0], body, size - 1, &hello);
	if (ret && ret != -EPROTO && ret != -EINVAL)
		abort();
	if (ret == -EINVAL && (data[0] == 1 || data[0] == 2))
		abort();
	if (hello.hello_retry && (ret || data[0] != 2 || hello.key_share))
		abort();
	if (hello.nr_groups > KTLS_HELLO_MAX_GROUPS ||
	    (hello.supported_groups && data[0] != 1))
		abort();
	if (hello.nr_shares > KTLS_HELLO_MAX_SHARES ||
	    (hello.nr_shares && (data[0] != 1 || !hello.key_share)))
		abort();
	/* A reader with no state: the same bytes, the same answer. */
	if (ktls_hello_parse(data[0], body, size - 1, &again) != ret ||
	    memcmp(&hello, &again, sizeof(hello)))
		abort();
	free(body);
	return 0;
}
