/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the worker may ask of the key process, over one SOCK_SEQPACKET
 * socketpair per worker thread: sign this digest with key N, scheme S. The
 * key process checks every request with keyproc_decode(); anything that is
 * not exactly such a request ends the key process.
 */
#ifndef KTLSD_KEYPROC_WIRE_H
#define KTLSD_KEYPROC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ktls/signer.h"

#define KEYPROC_MAGIC 0x6b74736b	/* "ktsk" */

/* The keys of one configuration; ids are fixed by role. */
enum keyproc_key_id {
	KEYPROC_KEY_SERVER = 1,		/* [server] private_key */
	KEYPROC_KEY_UPCALL_SERVER = 2,	/* [upcall] private_key */
	KEYPROC_KEY_UPCALL_CLIENT = 3,	/* [upcall] client_private_key */
	KEYPROC_NR_KEYS = 4,
};

struct keyproc_request {
	uint32_t magic;
	uint32_t key_id;
	uint32_t alg;		/* enum ktls_sign_alg */
	uint32_t hash;		/* enum ktls_sign_hash */
	uint32_t in_len;
	uint8_t in[KTLS_SIGN_MAX_IN];	/* only in_len bytes are sent */
};

#define KEYPROC_REQUEST_HEADER offsetof(struct keyproc_request, in)

struct keyproc_response {
	uint32_t magic;
	int32_t status;		/* 0 or -errno */
	uint32_t sig_len;
	uint8_t sig[KTLS_SIGN_MAX_SIG];	/* only sig_len bytes are sent */
};

#define KEYPROC_RESPONSE_HEADER offsetof(struct keyproc_response, sig)

/*
 * Check the @len bytes of @buf, one received message, and copy them to
 * @req: 0, or -EBADMSG with what was wrong in @why.
 */
int keyproc_decode(const void *buf, size_t len, struct keyproc_request *req,
		   char *why, size_t why_len);

#endif /* KTLSD_KEYPROC_WIRE_H */
