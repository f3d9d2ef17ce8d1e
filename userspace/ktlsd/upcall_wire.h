/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the upcall broker (ktlsd-upcall, upcall_broker.c) and the worker
 * say to each other. The broker ACCEPTs a kernel request and sends the
 * worker UPW_REQUEST on the jobs channel (one SOCK_SEQPACKET pair per
 * generation) with two fds: the request's socket and one end of a
 * socketpair of that request alone, its channel. On the request's
 * channel the worker may ask UPW_LOOKUP (a PSK server: the key for the
 * identity the client offered), answered UPW_KEY, and ends with one
 * UPW_RESULT; the broker then reports DONE and closes the channel.
 *
 * The broker takes nothing from the worker on trust: every message is
 * checked by upw_decode_worker() (exact size, known type, terminated
 * strings), then against the request the channel belongs to
 * (upcall_broker.c). The broker's messages to the worker are checked by
 * upw_decode_request() and upw_decode_key().
 */
#ifndef KTLSD_UPCALL_WIRE_H
#define KTLSD_UPCALL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "keyproc_wire.h"
#include "ktls/ktls.h"

enum upw_type {
	UPW_REQUEST = 1,	/* broker -> worker, jobs channel, 2 fds */
	UPW_LOOKUP = 2,		/* worker -> broker, request channel */
	UPW_KEY = 3,		/* broker -> worker, request channel */
	UPW_RESULT = 4,		/* worker -> broker, request channel, last */
	UPW_SIGN = 5,		/* worker -> broker, request channel */
	UPW_SIG = 6,		/* broker -> worker, request channel */
};

/* Key material a request may carry (kernel "user" keys hold 32 KiB). */
#define UPW_CERT_MAX 32768
#define UPW_KEY_MAX 16384
#define UPW_IDENTITY_MAX 1024	/* as libktls's PSK identities */
#define UPW_PSK_MAX 64

struct upw_hdr {
	uint32_t type;
	uint32_t len;		/* the whole message's */
	uint64_t id;		/* the request's, chosen by the broker */
};

/* UPW_REQUEST flags */
#define UPW_F_PSK_LOOKUP 1u	/* a PSK server: ask UPW_LOOKUP */
#define UPW_F_SIGN 2u		/* the key is the broker's: ask UPW_SIGN */

struct upw_request {
	struct upw_hdr hdr;
	uint32_t msg_type;
	uint32_t auth_mode;
	uint32_t timeout_ms;
	uint32_t flags;
	int64_t accepted_ms;
	int32_t cert;		/* the key serials' numbers, for names */
	int32_t privkey;
	char peername[256];
	uint32_t cert_len;	/* then cert PEM, key PEM, identity, PSK */
	uint32_t key_len;
	uint32_t identity_len;
	uint32_t psk_len;
	uint8_t data[];
};

struct upw_lookup {
	struct upw_hdr hdr;
	uint32_t identity_len;
	uint32_t reserved;	/* 0 */
	char identity[UPW_IDENTITY_MAX];	/* only identity_len sent */
};

#define UPW_LOOKUP_HEADER offsetof(struct upw_lookup, identity)

struct upw_key {
	struct upw_hdr hdr;
	int32_t err;		/* 0, -ENOKEY (unknown identity) or -errno */
	uint32_t key_len;
	uint8_t key[UPW_PSK_MAX];
};

struct upw_result {
	struct upw_hdr hdr;
	int32_t status;		/* DONE's: 0 or a positive errno */
	uint32_t peer_cert;	/* 1: @peer is the verified peer's */
	struct ktls_cert_info peer;
	char why[512];
};

/*
 * A signature with the request's own key: the key process's request and
 * answer (keyproc_wire.h, checked by keyproc_decode()), behind our header;
 * key_id is KEYPROC_KEY_UPCALL_SERVER and means nothing here. Only
 * KEYPROC_REQUEST_HEADER + in_len (KEYPROC_RESPONSE_HEADER + out_len)
 * bytes of the inner struct are sent.
 */
struct upw_sign {
	struct upw_hdr hdr;
	struct keyproc_request req;
};

struct upw_sig {
	struct upw_hdr hdr;
	struct keyproc_response res;
};

/* A message from the worker, decoded. */
struct upw_worker_msg {
	uint32_t type;		/* UPW_LOOKUP, UPW_SIGN or UPW_RESULT */
	uint64_t id;
	union {
		struct upw_lookup lookup;	/* identity NUL-terminated */
		struct keyproc_request sign;
		struct upw_result result;
	};
};

/*
 * Check the @len bytes of @buf, one message from the worker, into @msg:
 * 0, or -EBADMSG with what was wrong in @why.
 */
int upw_decode_worker(const void *buf, size_t len, struct upw_worker_msg *msg,
		      char *why, size_t why_len);

/*
 * The worker's side: a UPW_REQUEST's @len bytes; 0 and its parts, or
 * -EBADMSG.
 */
struct upw_request_view {
	const struct upw_request *req;
	const uint8_t *cert, *key, *psk;
	const char *identity;	/* not terminated: identity_len bytes */
};

int upw_decode_request(const void *buf, size_t len,
		       struct upw_request_view *view);
/* A UPW_KEY for request @id: 0, or -EBADMSG. */
int upw_decode_key(const void *buf, size_t len, uint64_t id);
/* A UPW_SIG of @len bytes for request @id: 0, or -EBADMSG. */
int upw_decode_sig(const struct upw_sig *sig, size_t len, uint64_t id);

#endif /* KTLSD_UPCALL_WIRE_H */
