/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ClientHello/ServerHello reader behind psk.c's and groups.c's checks: a pure
 * function over the bytes of one handshake message body (no socket, no
 * WolfSSL), so it can be fuzzed on its own (fuzz/hello_fuzz.c).
 */
#ifndef KTLS_HELLO_H
#define KTLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktls/tls_prot.h"

/* The random of a HelloRetryRequest: SHA-256("HelloRetryRequest"). */
#define KTLS_HELLO_RANDOM_LEN 32
extern const uint8_t __ktls_hrr_random[KTLS_HELLO_RANDOM_LEN];

/* A bounds-checked reader of handshake bytes; once bad, every take fails. */
struct ktls_reader {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static inline uint16_t ktls_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline const uint8_t *ktls_take(struct ktls_reader *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

/* Skip a vector with a @width-byte length prefix. */
static inline void ktls_skip_vector(struct ktls_reader *r, size_t width)
{
	const uint8_t *len = ktls_take(r, width);

	if (len)
		ktls_take(r, width == 1 ? len[0] : ktls_get16(len));
}

/*
 * The longest hello body we read, OpenSSL's limit too: a well-formed
 * ClientHello (cipher_suites and extensions both up to 2^16 bytes) fits.
 * One that says it is longer gets illegal_parameter, as from OpenSSL.
 */
#define KTLS_HELLO_MAX 131396

/*
 * Handshake messages collected from plaintext records until each is whole
 * (a ClientHello may span several records). It grows with what arrived,
 * never past one message of KTLS_HELLO_MAX: a peer's length alone
 * allocates nothing.
 */
struct ktls_hs_buf {
	uint8_t *msg;
	size_t len, cap;
};

/* Append @n bytes: 0, -EMSGSIZE past the bound, or -ENOMEM. */
int __ktls_hs_buf_add(struct ktls_hs_buf *b, const uint8_t *p, size_t n);

/*
 * The first message's body length if it has its header, else -1 (not yet
 * known). *@whole says whether all of it is in @b.
 */
static inline long ktls_hs_buf_peek(const struct ktls_hs_buf *b, bool *whole)
{
	size_t body_len;

	*whole = false;
	if (b->len < TLS_HS_HEADER_LEN)
		return -1;
	body_len = (size_t)b->msg[1] << 16 | (size_t)b->msg[2] << 8 |
		   b->msg[3];
	*whole = b->len >= TLS_HS_HEADER_LEN + body_len;
	return (long)body_len;
}

/* Drop the first message, of @body_len bytes after its header. */
void __ktls_hs_buf_drop(struct ktls_hs_buf *b, size_t body_len);
void __ktls_hs_buf_free(struct ktls_hs_buf *b);

/* supported_groups entries kept; a longer list sets groups_truncated. */
#define KTLS_HELLO_MAX_GROUPS 32

/* key_share entries kept (their groups); more set shares_truncated. */
#define KTLS_HELLO_MAX_SHARES 8

/* What a hello says about how a PSK would be used. */
struct ktls_hello {
	bool hello_retry;	/* a ServerHello that is a HelloRetryRequest */
	bool supported_versions;	/* TLS 1.3 (else 1.2 or older) */
	bool pre_shared_key;
	bool key_share;
	bool psk_dhe_ke;	/* ClientHello: psk_key_exchange_modes has it */
	/* ClientHello: its supported_groups (NamedGroup values) */
	bool supported_groups;
	bool groups_truncated;
	size_t nr_groups;
	uint16_t groups[KTLS_HELLO_MAX_GROUPS];
	/* ClientHello: the groups of its key_share entries, in order */
	bool shares_truncated;
	size_t nr_shares;
	uint16_t shares[KTLS_HELLO_MAX_SHARES];
};

/*
 * Read the body (after the 4-byte handshake header) of a hello of @type.
 * A HelloRetryRequest is reported as such and not read further. An
 * extension counts if it comes before any malformed one. 0, or -EPROTO
 * if the hello does not parse (-EINVAL for another @type).
 */
/* @r at the extensions of a hello of @type; false if it does not get there. */
bool __ktls_hello_extensions(struct ktls_reader *r, uint8_t type);

int __ktls_hello_parse(uint8_t type, const uint8_t *body, size_t len,
		       struct ktls_hello *hello);

#endif /* KTLS_HELLO_H */
