// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key process's only parser: a signing or ticket request, size-checked
 * field by field before any of it is used (keyproc_wire.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "keyproc_wire.h"

/* A request carries a digest, a response a signature. */
_Static_assert(KTLS_SIGN_MAX_IN <= KEYPROC_MAX_IN, "digest");
_Static_assert(KTLS_SIGN_MAX_SIG <= KEYPROC_MAX_IN, "signature");

static int bad(char *why, size_t why_len, const char *what, uint32_t value)
{
	snprintf(why, why_len, "%s (%u)", what, value);
	return -EBADMSG;
}

/* The digest lengths each scheme signs. */
static bool digest_len_ok(uint32_t alg, uint32_t hash, uint32_t len)
{
	switch (alg) {
	case KTLS_SIGN_ECDSA:
		return hash == KTLS_SIGN_HASH_NONE &&
		       (len == 32 || len == 48 || len == 64);
	case KTLS_SIGN_RSA_PKCS1:
		/* A DigestInfo: 19 bytes of DER around a SHA-2 digest. */
		return hash == KTLS_SIGN_HASH_NONE &&
		       (len == 19 + 32 || len == 19 + 48 || len == 19 + 64);
	case KTLS_SIGN_RSA_PSS:
		return (hash == KTLS_SIGN_SHA256 && len == 32) ||
		       (hash == KTLS_SIGN_SHA384 && len == 48) ||
		       (hash == KTLS_SIGN_SHA512 && len == 64);
	}
	return false;
}

/* A ticket to seal (1 to KTLS_TICKET_MAX_LEN bytes), or one to open. */
static int check_ticket(const struct keyproc_request *req, char *why,
			size_t why_len)
{
	uint32_t header = req->op == KEYPROC_OP_TICKET_OPEN ?
				  KEYPROC_TICKET_HEADER : 0;

	if (!req->key_id || req->key_id >= KEYPROC_NR_TICKETS)
		return bad(why, why_len, "an unknown ticket key", req->key_id);
	if (req->hash != KTLS_SIGN_HASH_NONE)
		return bad(why, why_len, "a ticket request with a hash",
			   req->hash);
	if (req->in_len <= header || req->in_len > header + KTLS_TICKET_MAX_LEN)
		return bad(why, why_len, "a ticket of the wrong size",
			   req->in_len);
	return 0;
}

int keyproc_decode(const void *buf, size_t len, struct keyproc_request *req,
		   char *why, size_t why_len)
{
	if (len < KEYPROC_REQUEST_HEADER || len > sizeof(*req))
		return bad(why, why_len, "a request of the wrong size",
			   (uint32_t)len);
	memset(req, 0, sizeof(*req));
	memcpy(req, buf, len);
	if (req->magic != KEYPROC_MAGIC)
		return bad(why, why_len, "a request without the magic",
			   req->magic);
	if (req->in_len != len - KEYPROC_REQUEST_HEADER)
		return bad(why, why_len, "a length that is not the message's",
			   req->in_len);
	if (req->op == KEYPROC_OP_TICKET_SEAL ||
	    req->op == KEYPROC_OP_TICKET_OPEN)
		return check_ticket(req, why, why_len);
	if (!req->key_id || req->key_id >= KEYPROC_NR_KEYS)
		return bad(why, why_len, "an unknown key", req->key_id);
	if (!digest_len_ok(req->op, req->hash, req->in_len))
		return bad(why, why_len, "a scheme, hash and length that do not go together",
			   req->op);
	return 0;
}
