// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The upcall broker's judgement of the worker (upcall_broker.h). A
 * request's channel carries only its own LOOKUPs and one RESULT: any other
 * message, a message for another request, a LOOKUP for a request that is
 * no PSK server, a success the broker cannot account for, or the channel
 * closing early ends the request with DONE EIO. The worker never names a
 * socket, a key serial or a keyring: those are the broker's, from ACCEPT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "upcall_broker.h"

struct broker_req *broker_add(struct broker *b, const struct upcall_req *req,
			      int chan, uint32_t flags, int64_t deadline_ms)
{
	struct broker_req *r;

	if (b->nr_reqs == b->cap) {
		unsigned int cap = b->cap ? b->cap * 2 : 16;
		struct broker_req **reqs = realloc(b->reqs,
						   cap * sizeof(*reqs));

		if (!reqs)
			return NULL;
		b->reqs = reqs;
		b->cap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->req = *req;
	r->id = ++b->next_id;
	r->chan = chan;
	r->flags = flags;
	r->deadline_ms = deadline_ms;
	if (req->auth_mode == HANDSHAKE_AUTH_PSK &&
	    req->msg_type == HANDSHAKE_MSG_TYPE_CLIENTHELLO)
		r->psk_serial = req->peerids[0];
	b->reqs[b->nr_reqs++] = r;
	return r;
}

static void forget(struct broker *b, struct broker_req *r)
{
	for (unsigned int i = 0; i < b->nr_reqs; i++) {
		if (b->reqs[i] != r)
			continue;
		b->reqs[i] = b->reqs[--b->nr_reqs];
		break;
	}
	if (r->chan >= 0)
		close(r->chan);
	if (r->req.sockfd >= 0)
		close(r->req.sockfd);
	__ktls_private_key_free(r->key);
	free(r);
}

static void report(struct broker *b, struct broker_req *r,
		   const struct upcall_outcome *out)
{
	const char *role = upcall_msg_type_name(r->req.msg_type);
	int ret;

	ret = b->ops.report(b->ops.arg, &r->req, out, r->psk_serial);
	if (ret < 0)
		log_warning("upcall: %s request %llu: DONE failed: %s", role,
			    (unsigned long long)r->id, upcall_reason());
	r->req.sockfd = -1;	/* report closed it */
	forget(b, r);
}

void broker_fail(struct broker *b, struct broker_req *r, int status,
		 const char *why)
{
	struct upcall_outcome out = { .status = status };

	snprintf(out.why, sizeof(out.why), "%s", why);
	report(b, r, &out);
}

/* The worker broke the rules for @r: it gets nothing more from us. */
static bool hostile(struct broker *b, struct broker_req *r, const char *why)
{
	log_error("upcall: request %llu: %s: closing its channel, DONE EIO",
		  (unsigned long long)r->id, why);
	broker_fail(b, r, EIO, "the worker broke the upcall protocol");
	return true;
}

static bool lookup(struct broker *b, struct broker_req *r,
		   const struct upw_lookup *l)
{
	struct upw_key key = {
		.hdr = { .type = UPW_KEY, .len = sizeof(key), .id = r->id },
	};
	size_t key_len = sizeof(key.key);
	int32_t serial = 0;
	ssize_t n;

	if (!(r->flags & UPW_F_PSK_LOOKUP))
		return hostile(b, r, "a key lookup for a request that is no PSK server");
	if (++r->lookups > BROKER_MAX_LOOKUPS)
		return hostile(b, r, "more key lookups than one handshake makes");
	key.err = b->ops.psk_find(b->ops.arg, &r->req, l->identity, key.key,
				  &key_len, &serial);
	if (key.err > 0)
		key.err = -EIO;
	if (!key.err) {
		key.key_len = (uint32_t)key_len;
		r->psk_serial = serial;
	}
	n = send(r->chan, &key, sizeof(key), MSG_NOSIGNAL | MSG_DONTWAIT);
	explicit_bzero(&key, sizeof(key));
	if (n != sizeof(key))
		return hostile(b, r, "the worker does not take the key's answer");
	return false;
}

static bool sign(struct broker *b, struct broker_req *r,
		 const struct keyproc_request *q)
{
	struct upw_sig sig = {
		.hdr = { .type = UPW_SIG, .id = r->id },
		.res = { .magic = KEYPROC_MAGIC },
	};
	size_t sig_len = KTLS_SIGN_MAX_SIG, len;
	ssize_t n;

	if (!r->key)
		return hostile(b, r, "a signature for a request whose key the broker does not hold");
	if (++r->signs > BROKER_MAX_SIGNS)
		return hostile(b, r, "more signatures than one handshake makes");
	sig.res.status = __ktls_private_key_sign(r->key, q->op, q->hash, q->in,
						 q->in_len, sig.res.out,
					       &sig_len);
	if (sig.res.status > 0)
		sig.res.status = -EIO;
	if (!sig.res.status)
		sig.res.out_len = (uint32_t)sig_len;
	len = sizeof(sig.hdr) + KEYPROC_RESPONSE_HEADER + sig.res.out_len;
	sig.hdr.len = (uint32_t)len;
	n = send(r->chan, &sig, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != (ssize_t)len)
		return hostile(b, r, "the worker does not take the signature");
	return false;
}

static bool result(struct broker *b, struct broker_req *r,
		   const struct upw_result *res)
{
	struct upcall_outcome out = {
		.status = res->status,
		.peer_cert = res->peer_cert,
		.peer = res->peer,
	};

	if (r->req.auth_mode == HANDSHAKE_AUTH_PSK && res->peer_cert)
		return hostile(b, r, "a PSK result naming a peer certificate");
	/* A PSK server's success must be with a key we gave it. */
	if (!res->status && r->req.auth_mode == HANDSHAKE_AUTH_PSK &&
	    !r->psk_serial)
		return hostile(b, r, "a PSK success without a key from us");
	snprintf(out.why, sizeof(out.why), "%s", res->why);
	report(b, r, &out);
	return true;
}

bool broker_message(struct broker *b, struct broker_req *r, const void *buf,
		    size_t len)
{
	struct upw_worker_msg *msg;
	char why[128];
	bool over;

	if (!len)
		return hostile(b, r, "the worker closed the request's channel before its result");
	msg = malloc(sizeof(*msg));
	if (!msg) {
		broker_fail(b, r, EIO, "out of memory");
		return true;
	}
	if (upw_decode_worker(buf, len, msg, why, sizeof(why))) {
		over = hostile(b, r, why);
	} else if (msg->id != r->id) {
		snprintf(why, sizeof(why),
			 "a message for request %llu on this request's channel",
			 (unsigned long long)msg->id);
		over = hostile(b, r, why);
	} else if (msg->type == UPW_LOOKUP) {
		over = lookup(b, r, &msg->lookup);
	} else if (msg->type == UPW_SIGN) {
		over = sign(b, r, &msg->sign);
	} else {
		over = result(b, r, &msg->result);
	}
	explicit_bzero(msg, sizeof(*msg));
	free(msg);
	return over;
}

int broker_expire(struct broker *b, int64_t now_ms)
{
	int64_t next = -1;
	unsigned int i = 0;

	while (i < b->nr_reqs) {
		struct broker_req *r = b->reqs[i];

		if (r->deadline_ms > now_ms) {
			if (next < 0 || r->deadline_ms < next)
				next = r->deadline_ms;
			i++;
			continue;
		}
		log_warning("upcall: request %llu: the worker did not finish it in time",
			    (unsigned long long)r->id);
		broker_fail(b, r, ETIMEDOUT, "the worker did not finish in time");
	}
	if (next < 0)
		return -1;
	return next - now_ms > 60000 ? 60000 : (int)(next - now_ms);
}

void broker_fail_all(struct broker *b, int status, const char *why)
{
	while (b->nr_reqs)
		broker_fail(b, b->reqs[b->nr_reqs - 1], status, why);
}
