/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the worker may ask of the key process, over one SOCK_SEQPACKET
 * socketpair per worker thread: sign this digest with key N, scheme S;
 * seal this session ticket with ticket key T; open this one. The key
 * process checks every request with keyproc_decode(); anything that is
 * not exactly such a request ends the key process.
 */
#ifndef KTLSD_KEYPROC_WIRE_H
#define KTLSD_KEYPROC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ktls/signer.h"
#include "ktls/tickets.h"

#define KEYPROC_MAGIC 0x6b74736b	/* "ktsk" */

/* The keys of one configuration; ids are fixed by role. */
enum keyproc_key_id {
	KEYPROC_KEY_SERVER = 1,		/* [server] private_key */
	KEYPROC_KEY_UPCALL_SERVER = 2,	/* [upcall] private_key */
	KEYPROC_KEY_UPCALL_CLIENT = 3,	/* [upcall] client_private_key */
	KEYPROC_NR_KEYS = 4,
};

/*
 * Session ticket keys: one per server context that issues tickets, so a
 * ticket opens only on the context that made it. Only [server] does
 * (kernel upcalls are TLS 1.3 without tickets).
 */
enum keyproc_ticket_id {
	KEYPROC_TICKET_SERVER = 1,	/* [server] session_tickets = yes */
	KEYPROC_NR_TICKETS = 2,
};

/* A ticket key seals for this long, then opens for as long again. */
#define KEYPROC_TICKET_LIFETIME_S 3600

/* What a request asks: a signature scheme (enum ktls_sign_alg), or these. */
enum keyproc_op {
	KEYPROC_OP_TICKET_SEAL = 16,	/* in: the ticket; out: sealed */
	KEYPROC_OP_TICKET_OPEN = 17,	/* in: sealed; out: the ticket */
};

/* A sealed ticket's clear fields, before its ciphertext. */
#define KEYPROC_TICKET_HEADER \
	(KTLS_TICKET_NAME_LEN + KTLS_TICKET_IV_LEN + KTLS_TICKET_MAC_LEN)
#define KEYPROC_MAX_IN (KEYPROC_TICKET_HEADER + KTLS_TICKET_MAX_LEN)

struct keyproc_request {
	uint32_t magic;
	uint32_t key_id;	/* enum keyproc_key_id or keyproc_ticket_id */
	uint32_t op;		/* enum ktls_sign_alg or keyproc_op */
	uint32_t hash;		/* enum ktls_sign_hash; 0 for tickets */
	uint32_t in_len;
	uint8_t in[KEYPROC_MAX_IN];	/* only in_len bytes are sent */
};

#define KEYPROC_REQUEST_HEADER offsetof(struct keyproc_request, in)

/*
 * status: a signature's 0 or -errno; a ticket's KTLS_TICKET_* verdict.
 * out: the signature; name, iv, mac and ciphertext of a sealed ticket
 * (KEYPROC_TICKET_HEADER + its length); an opened ticket (OK, RENEW).
 */
struct keyproc_response {
	uint32_t magic;
	int32_t status;
	uint32_t out_len;
	uint8_t out[KEYPROC_MAX_IN];	/* only out_len bytes are sent */
};

#define KEYPROC_RESPONSE_HEADER offsetof(struct keyproc_response, out)

/*
 * Check the @len bytes of @buf, one received message, and copy them to
 * @req: 0, or -EBADMSG with what was wrong in @why.
 */
int keyproc_decode(const void *buf, size_t len, struct keyproc_request *req,
		   char *why, size_t why_len);

#endif /* KTLSD_KEYPROC_WIRE_H */
