// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ClientHello and ServerHello, read only as far as psk.c and groups.c need:
 * which of pre_shared_key, key_share, supported_versions and
 * psk_key_exchange_modes they carry, and a ClientHello's supported_groups
 * and the groups of its key shares (RFC 8446 §4.1.2,
 * §4.1.3, §4.2). Every read is bounds-checked
 * against the message; nothing here trusts a length it has not checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ktls/tls_prot.h"
#include "hello.h"

#define PSK_DHE_KE 1

const uint8_t __ktls_hrr_random[KTLS_HELLO_RANDOM_LEN] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

bool __ktls_hello_extensions(struct ktls_reader *r, uint8_t type)
{
	const uint8_t *len;

	ktls_take(r, 2 + KTLS_HELLO_RANDOM_LEN);	/* legacy_version, random */
	ktls_skip_vector(r, 1);			/* legacy_session_id */
	if (type == TLS_HS_CLIENT_HELLO) {
		ktls_skip_vector(r, 2);		/* cipher_suites */
		ktls_skip_vector(r, 1);		/* compression methods */
	} else {
		ktls_take(r, 3);			/* cipher_suite, compression */
	}
	len = ktls_take(r, 2);
	return len && !r->bad && ktls_get16(len) == r->left;
}

/* psk_key_exchange_modes: a one-byte length, then the modes. */
static bool has_psk_dhe_ke(const uint8_t *modes, size_t len)
{
	for (size_t i = 1; i < len && i <= modes[0]; i++)
		if (modes[i] == PSK_DHE_KE)
			return true;
	return false;
}

/* supported_groups: NamedGroup named_group_list<2..2^16-1>. */
static void read_groups(const uint8_t *ext, size_t len,
			struct ktls_hello *hello)
{
	struct ktls_reader r = { .p = ext, .left = len };
	const uint8_t *list_len = ktls_take(&r, 2);
	size_t n;

	hello->supported_groups = true;
	if (!list_len)
		return;
	n = ktls_get16(list_len);
	if (n > r.left)
		n = r.left;
	for (size_t i = 0; i + 2 <= n; i += 2) {
		if (hello->nr_groups == KTLS_HELLO_MAX_GROUPS) {
			hello->groups_truncated = true;
			return;
		}
		hello->groups[hello->nr_groups++] = ktls_get16(r.p + i);
	}
}

/* ClientHello key_share: KeyShareEntry client_shares<0..2^16-1>. */
static void read_shares(const uint8_t *ext, size_t len,
			struct ktls_hello *hello)
{
	struct ktls_reader r = { .p = ext, .left = len };
	const uint8_t *list_len = ktls_take(&r, 2);
	struct ktls_reader list;

	if (!list_len || ktls_get16(list_len) > r.left)
		return;
	list = (struct ktls_reader){ .p = r.p, .left = ktls_get16(list_len) };
	while (list.left) {
		const uint8_t *group = ktls_take(&list, 2);

		ktls_skip_vector(&list, 2);		/* key_exchange */
		if (list.bad)
			return;
		if (hello->nr_shares == KTLS_HELLO_MAX_SHARES) {
			hello->shares_truncated = true;
			return;
		}
		hello->shares[hello->nr_shares++] = ktls_get16(group);
	}
}

int __ktls_hello_parse(uint8_t type, const uint8_t *body, size_t len,
		       struct ktls_hello *hello)
{
	struct ktls_reader r = { .p = body, .left = len };
	bool seen_modes = false;

	memset(hello, 0, sizeof(*hello));
	if (type != TLS_HS_CLIENT_HELLO && type != TLS_HS_SERVER_HELLO)
		return -EINVAL;
	if (type == TLS_HS_SERVER_HELLO && len >= 2 + KTLS_HELLO_RANDOM_LEN &&
	    !memcmp(body + 2, __ktls_hrr_random, KTLS_HELLO_RANDOM_LEN)) {
		hello->hello_retry = true;
		return 0;
	}
	if (!__ktls_hello_extensions(&r, type))
		return -EPROTO;
	while (r.left >= 4) {
		const uint8_t *h = ktls_take(&r, 4);
		size_t ext_len = ktls_get16(h + 2);
		const uint8_t *ext = ktls_take(&r, ext_len);

		if (!ext)
			break;
		switch (ktls_get16(h)) {
		case TLS_EXT_PRE_SHARED_KEY:
			hello->pre_shared_key = true;
			break;
		case TLS_EXT_SUPPORTED_VERSIONS:
			hello->supported_versions = true;
			break;
		case TLS_EXT_KEY_SHARE:
			if (type == TLS_HS_CLIENT_HELLO && !hello->key_share)
				read_shares(ext, ext_len, hello);
			hello->key_share = true;
			break;
		case TLS_EXT_SUPPORTED_GROUPS:
			if (type == TLS_HS_CLIENT_HELLO &&
			    !hello->supported_groups)
				read_groups(ext, ext_len, hello);
			break;
		case TLS_EXT_PSK_KEY_EXCHANGE_MODES:
			/* The first one counts, as for every type. */
			if (!seen_modes)
				hello->psk_dhe_ke = has_psk_dhe_ke(ext, ext_len);
			seen_modes = true;
			break;
		}
	}
	return 0;
}

int __ktls_hs_buf_add(struct ktls_hs_buf *b, const uint8_t *p, size_t n)
{
	const size_t bound = TLS_HS_HEADER_LEN + KTLS_HELLO_MAX;
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *msg;

	if (n > bound - b->len)
		return -EMSGSIZE;
	if (b->len + n > b->cap) {
		/* Doubling: at most twice what the peer really sent. */
		while (cap < b->len + n)
			cap *= 2;
		if (cap > bound)
			cap = bound;
		msg = realloc(b->msg, cap);
		if (!msg)
			return -ENOMEM;
		b->msg = msg;
		b->cap = cap;
	}
	memcpy(b->msg + b->len, p, n);
	b->len += n;
	return 0;
}

void __ktls_hs_buf_drop(struct ktls_hs_buf *b, size_t body_len)
{
	size_t n = TLS_HS_HEADER_LEN + body_len;

	if (n > b->len)
		n = b->len;
	b->len -= n;
	memmove(b->msg, b->msg + n, b->len);
}

void __ktls_hs_buf_free(struct ktls_hs_buf *b)
{
	free(b->msg);
	*b = (struct ktls_hs_buf){ 0 };
}
