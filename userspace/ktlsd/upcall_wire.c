// SPDX-License-Identifier: GPL-2.0-or-later
/* Decoding the upcall broker's and the worker's messages (upcall_wire.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "upcall_wire.h"

static int bad(char *why, size_t why_len, const char *what)
{
	snprintf(why, why_len, "%s", what);
	return -EBADMSG;
}

/* A fixed-size string field holds a C string: a NUL before its end. */
static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size);
}

static bool cert_info_ok(const struct ktls_cert_info *c)
{
	return terminated(c->subject, sizeof(c->subject)) &&
	       terminated(c->issuer, sizeof(c->issuer)) &&
	       terminated(c->san, sizeof(c->san)) &&
	       terminated(c->not_before, sizeof(c->not_before)) &&
	       terminated(c->not_after, sizeof(c->not_after));
}

static int decode_lookup(const void *buf, size_t len,
			 struct upw_worker_msg *msg, char *why, size_t why_len)
{
	struct upw_lookup *l = &msg->lookup;

	if (len < UPW_LOOKUP_HEADER)
		return bad(why, why_len, "a lookup shorter than its header");
	memcpy(l, buf, UPW_LOOKUP_HEADER);
	if (l->reserved)
		return bad(why, why_len, "a lookup with reserved bits set");
	if (!l->identity_len || l->identity_len >= sizeof(l->identity))
		return bad(why, why_len, "a lookup's identity is empty or too long");
	if (len != UPW_LOOKUP_HEADER + l->identity_len)
		return bad(why, why_len, "a lookup's length is not its identity's");
	memcpy(l->identity, (const uint8_t *)buf + UPW_LOOKUP_HEADER,
	       l->identity_len);
	if (memchr(l->identity, '\0', l->identity_len))
		return bad(why, why_len, "a lookup's identity holds a NUL");
	l->identity[l->identity_len] = '\0';
	return 0;
}

static int decode_result(const void *buf, size_t len,
			 struct upw_worker_msg *msg, char *why, size_t why_len)
{
	struct upw_result *r = &msg->result;

	if (len != sizeof(*r))
		return bad(why, why_len, "a result of the wrong size");
	memcpy(r, buf, sizeof(*r));
	/* A positive errno DONE can carry; 0 is success. */
	if (r->status < 0 || r->status > 4095)
		return bad(why, why_len, "a result's status is no errno");
	if (r->peer_cert > 1)
		return bad(why, why_len, "a result's peer_cert is not 0 or 1");
	if (r->peer_cert && r->status)
		return bad(why, why_len, "a failed result names a peer");
	if (!terminated(r->why, sizeof(r->why)) ||
	    (r->peer_cert && !cert_info_ok(&r->peer)))
		return bad(why, why_len, "a result's text is not terminated");
	return 0;
}

int upw_decode_worker(const void *buf, size_t len, struct upw_worker_msg *msg,
		      char *why, size_t why_len)
{
	struct upw_hdr hdr;

	if (len < sizeof(hdr))
		return bad(why, why_len, "a message shorter than its header");
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.len != len)
		return bad(why, why_len, "a message whose length field lies");
	msg->type = hdr.type;
	msg->id = hdr.id;
	switch (hdr.type) {
	case UPW_LOOKUP:
		return decode_lookup(buf, len, msg, why, why_len);
	case UPW_RESULT:
		return decode_result(buf, len, msg, why, why_len);
	case UPW_SIGN:
		if (keyproc_decode((const uint8_t *)buf + sizeof(hdr),
				   len - sizeof(hdr), &msg->sign, why, why_len))
			return -EBADMSG;
		/* The broker holds signing keys only, never a ticket key. */
		if (msg->sign.op == KEYPROC_OP_TICKET_SEAL ||
		    msg->sign.op == KEYPROC_OP_TICKET_OPEN)
			return bad(why, why_len, "a ticket request to the broker");
		return 0;
	}
	return bad(why, why_len, "a message of a type the worker may not send");
}

int upw_decode_request(const void *buf, size_t len,
		       struct upw_request_view *view)
{
	const struct upw_request *r = buf;
	size_t need = sizeof(*r);

	if (len < sizeof(*r) || r->hdr.type != UPW_REQUEST ||
	    r->hdr.len != len || r->cert_len > UPW_CERT_MAX ||
	    r->key_len > UPW_KEY_MAX || r->identity_len >= UPW_IDENTITY_MAX ||
	    r->psk_len > UPW_PSK_MAX ||
	    !terminated(r->peername, sizeof(r->peername)))
		return -EBADMSG;
	need += (size_t)r->cert_len + r->key_len + r->identity_len + r->psk_len;
	if (need != len)
		return -EBADMSG;
	view->req = r;
	view->cert = r->data;
	view->key = view->cert + r->cert_len;
	view->identity = (const char *)view->key + r->key_len;
	view->psk = (const uint8_t *)view->identity + r->identity_len;
	return 0;
}

int upw_decode_key(const void *buf, size_t len, uint64_t id)
{
	const struct upw_key *k = buf;

	if (len != sizeof(*k) || k->hdr.type != UPW_KEY ||
	    k->hdr.len != len || k->hdr.id != id || k->err > 0 ||
	    k->key_len > sizeof(k->key) || (k->err && k->key_len))
		return -EBADMSG;
	return 0;
}

int upw_decode_sig(const struct upw_sig *sig, size_t len, uint64_t id)
{
	if (len < sizeof(sig->hdr) + KEYPROC_RESPONSE_HEADER ||
	    sig->hdr.type != UPW_SIG || sig->hdr.len != len ||
	    sig->hdr.id != id || sig->res.magic != KEYPROC_MAGIC ||
	    sig->res.status > 0 || sig->res.out_len > KTLS_SIGN_MAX_SIG ||
	    len != sizeof(sig->hdr) + KEYPROC_RESPONSE_HEADER +
		   sig->res.out_len)
		return -EBADMSG;
	return 0;
}
