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
 * ktls-serve, and ch-huge (a ClientHello of 80 KiB: 20000 signature
 * schemes, 300 unknown and GREASE extensions in a scrambled order,
 * pre_shared_key last, 20000 cipher suites).
 *
 * The same bytes, as a handshake message, also go through the collector
 * that gathers hellos from records (struct ktls_hs_buf) in pieces whose
 * sizes come from the input: the message comes out whole and unchanged,
 * or the collector says it is over its bound.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ktls/tls_prot.h"
#include "lib/hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The handshake message of @body, fed to a collector in pieces. */
static void collect(uint8_t type, const uint8_t *body, size_t len)
{
	const uint8_t hdr[TLS_HS_HEADER_LEN] = {
		type, (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
	};
	struct ktls_hs_buf b = { 0 };
	size_t at = 0, piece = 1 + (len ? body[0] : 0) * 64;
	long body_len;
	bool whole;

	if (__ktls_hs_buf_add(&b, hdr, sizeof(hdr)))
		abort();
	while (at < len) {
		size_t n = len - at < piece ? len - at : piece;
		bool last = n == len - at;

		if (__ktls_hs_buf_add(&b, body + at, n))
			abort();	/* the input is shorter than the bound */
		at += n;
		body_len = ktls_hs_buf_peek(&b, &whole);
		if (body_len != (long)len || whole != last)
			abort();
	}
	body_len = ktls_hs_buf_peek(&b, &whole);
	if (body_len != (long)len || !whole || b.cap < b.len ||
	    memcmp(b.msg + TLS_HS_HEADER_LEN, body, len))
		abort();
	__ktls_hs_buf_drop(&b, len);
	if (b.len || ktls_hs_buf_peek(&b, &whole) != -1)
		abort();
	__ktls_hs_buf_free(&b);
}

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
	ret = __ktls_hello_parse(data[0], body, size - 1, &hello);
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
	if (__ktls_hello_parse(data[0], body, size - 1, &again) != ret ||
	    memcmp(&hello, &again, sizeof(hello)))
		abort();
	if (size - 1 <= KTLS_HELLO_MAX)
		collect(data[0], body, size - 1);
	free(body);
	return 0;
}
