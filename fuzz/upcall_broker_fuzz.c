// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The upcall broker's reading of the worker (userspace/ktlsd/upcall_wire.c
 * and upcall_broker.c): the one input a root process with CAP_NET_ADMIN
 * takes from the unprivileged worker. One message on a request's channel;
 * whatever it is, the request ends with exactly one DONE or stays in
 * flight after a lookup, and the decoder's answer is self-consistent.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../userspace/ktlsd/log.h"
#include "../userspace/ktlsd/upcall_broker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int dones;

static int fake_report(void *arg, struct upcall_req *req,
		       const struct upcall_outcome *out, int32_t psk_serial)
{
	(void)arg;
	(void)psk_serial;
	if (out->status < 0 || out->status > 4095)
		abort();
	if (out->peer_cert && !memchr(out->peer.subject, 0,
				      sizeof(out->peer.subject)))
		abort();
	req->sockfd = -1;
	dones++;
	return 0;
}

static int fake_psk_find(void *arg, const struct upcall_req *req,
			 const char *identity, uint8_t *key, size_t *key_len,
			 int32_t *serial)
{
	(void)arg;
	(void)req;
	if (strlen(identity) >= UPW_IDENTITY_MAX)
		abort();
	if (identity[0] != 'N')
		return -ENOKEY;
	memset(key, 0x42, 32);
	*key_len = 32;
	*serial = 7;
	return 0;
}

static void check_decoder(const uint8_t *data, size_t size)
{
	struct upw_worker_msg *msg = malloc(sizeof(*msg));
	char why[128];

	if (!msg)
		return;
	if (!upw_decode_worker(data, size, msg, why, sizeof(why))) {
		if (msg->type == UPW_LOOKUP &&
		    (msg->lookup.identity_len != strlen(msg->lookup.identity) ||
		     UPW_LOOKUP_HEADER + msg->lookup.identity_len != size))
			abort();
		if (msg->type == UPW_RESULT && size != sizeof(msg->result))
			abort();
		/* A signing request: exactly its digest, never a ticket's. */
		if (msg->type == UPW_SIGN &&
		    (sizeof(struct upw_hdr) + KEYPROC_REQUEST_HEADER +
		     msg->sign.in_len != size ||
		     msg->sign.op == KEYPROC_OP_TICKET_SEAL ||
		     msg->sign.op == KEYPROC_OP_TICKET_OPEN))
			abort();
		if (msg->type != UPW_LOOKUP && msg->type != UPW_RESULT &&
		    msg->type != UPW_SIGN)
			abort();
	}
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct broker b = {
		.ops = { .report = fake_report, .psk_find = fake_psk_find },
	};
	static int quiet;
	struct upcall_req req = { .sockfd = -1 };
	struct broker_req *r;
	uint8_t mode = size ? data[0] : 0;
	int chan[2];

	if (!quiet++)
		ktlsd_log_setup(false, KTLSD_LOG_ERROR - 1);
	check_decoder(data, size);
	/* The first byte picks the request the channel belongs to. */
	req.msg_type = mode & 1 ? HANDSHAKE_MSG_TYPE_SERVERHELLO :
				  HANDSHAKE_MSG_TYPE_CLIENTHELLO;
	req.auth_mode = mode & 2 ? HANDSHAKE_AUTH_PSK : HANDSHAKE_AUTH_X509;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan))
		return 0;
	r = broker_add(&b, &req, chan[0],
		       (mode & 3) == 3 ? UPW_F_PSK_LOOKUP : 0, 1000);
	if (!r) {
		close(chan[0]);
		close(chan[1]);
		return 0;
	}
	/* Messages as they arrive: the id is the request's, as a real worker's. */
	if (size > 1 + sizeof(struct upw_hdr)) {
		uint8_t *msg = malloc(size - 1);
		struct upw_hdr hdr;

		if (msg) {
			memcpy(msg, data + 1, size - 1);
			memcpy(&hdr, msg, sizeof(hdr));
			if (mode & 4)
				hdr.id = r->id;
			memcpy(msg, &hdr, sizeof(hdr));
			dones = 0;
			bool over = broker_message(&b, r, msg, size - 1);
			bool one_done = dones == 1;

			if (over != one_done)
				abort();
			free(msg);
		}
	}
	broker_fail_all(&b, EIO, "end of input");
	close(chan[1]);
	return 0;
}
