// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * upcall_accept: what the kernel answers an ACCEPT with, as one recv()
 * of the command socket: netlink messages run through mnl_cb_run() the
 * way upcall_transact_locked() does, each reply parsed by
 * upcall_accept_parse() (userspace/upcall/accept.c) into an upcall_req.
 * Seeds: fuzz/seeds/upcall_accept.py.
 */
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>

#include "fuzz.h"
#include "upcall/upcall_internal.h"

/* What the seeds' replies carry (a real reply echoes our request's). */
#define FUZZ_SEQ 1
#define FUZZ_PORTID 4242

struct reply {
	struct upcall_req req;
	struct upcall_caps caps;
	bool bad;
};

/*
 * The kernel never sends a message longer than the datagram, nor one
 * whose length is not a multiple of 4 (attributes are padded), and
 * libmnl 1.0.4 trusts both: mnl_nlmsg_ok() compares nlmsg_len as an int,
 * so one of 2 GiB or more passes and mnl_cb_run() spins on it; attributes
 * are walked up to the aligned end, up to 3 bytes past the message. Only
 * the kernel or CAP_NET_ADMIN can write to the command socket (generic
 * netlink has no NL_CFG_F_NONROOT_SEND): keep to what the kernel sends.
 */
static bool kernel_framed(const uint8_t *data, size_t size)
{
	size_t off = 0;
	uint32_t len;

	while (size - off >= sizeof(struct nlmsghdr)) {
		memcpy(&len, data + off, sizeof(len));
		if (len > size - off || len % 4)
			return false;
		if (len < sizeof(struct nlmsghdr))
			break;
		off += MNL_ALIGN(len);
		if (off > size)
			break;
	}
	return true;
}

static int reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;

	if (upcall_accept_parse(nlh, &r->req, &r->caps))
		r->bad = true;
	return MNL_CB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply r;

	if (!kernel_framed(data, size))
		return 0;
	memset(&r, 0, sizeof(r));
	r.req.sockfd = -1;
	mnl_cb_run(data, size, FUZZ_SEQ, FUZZ_PORTID, reply_cb, &r);
	/* What accept_one() and the handshake rely on, whatever came in. */
	if (r.req.num_peerids > UPCALL_MAX_PEERIDS ||
	    !memchr(r.req.peername, '\0', sizeof(r.req.peername)))
		abort();
	return 0;
}
