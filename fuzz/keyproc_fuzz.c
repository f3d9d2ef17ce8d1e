// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key process's request decoder (userspace/ktlsd/keyproc_wire.c): the
 * only parser in the process that holds the private keys and the session
 * ticket keys. Whatever it accepts must be a request the key process can
 * take as it is: a signature of a known key, or a ticket to seal or open
 * whose length fits the response.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../userspace/ktlsd/keyproc_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ticket(const struct keyproc_request *req)
{
	size_t header = req->op == KEYPROC_OP_TICKET_OPEN ?
				KEYPROC_TICKET_HEADER : 0;

	if (!req->key_id || req->key_id >= KEYPROC_NR_TICKETS || req->hash ||
	    req->in_len <= header || req->in_len - header > KTLS_TICKET_MAX_LEN)
		abort();
	/* A sealed ticket's answer is the header and the ticket. */
	if (req->op == KEYPROC_OP_TICKET_SEAL &&
	    KEYPROC_TICKET_HEADER + req->in_len >
		    sizeof(((struct keyproc_response *)0)->out))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyproc_request req;
	char why[128];

	if (keyproc_decode(data, size, &req, why, sizeof(why)))
		return 0;
	/* Accepted: every field is in range and the length is the message's. */
	if (req.magic != KEYPROC_MAGIC || req.in_len > sizeof(req.in) ||
	    KEYPROC_REQUEST_HEADER + req.in_len != size)
		abort();
	if (req.op == KEYPROC_OP_TICKET_SEAL || req.op == KEYPROC_OP_TICKET_OPEN)
		check_ticket(&req);
	else if (!req.key_id || req.key_id >= KEYPROC_NR_KEYS ||
		 req.op < KTLS_SIGN_ECDSA || req.op > KTLS_SIGN_RSA_PSS ||
		 req.in_len > KTLS_SIGN_MAX_IN)
		abort();
	return 0;
}
