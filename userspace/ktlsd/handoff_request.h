/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Decoding one handoff request (include/ktls/handoff_wire.h) from the
 * bytes and the control buffer recvmsg() gave: pure, no system calls, never
 * touching the descriptors the cmsgs name (the caller owns and closes
 * them), so it can be fuzzed with made-up fd numbers.
 */
#ifndef KTLSD_HANDOFF_REQUEST_H
#define KTLSD_HANDOFF_REQUEST_H

#include <stddef.h>

#include "ktls/handoff_wire.h"

/* The most descriptors ktlsd's control buffer has room for. */
#define HANDOFF_REQUEST_MAX_FDS 8

struct handoff_request {
	struct ktls_handoff_wire_req req;	/* valid when decode gave 0 */
	/* Every descriptor the SCM_RIGHTS cmsgs carried, in order. */
	int fds[HANDOFF_REQUEST_MAX_FDS];
	int nr_fds;	/* stored in fds[] */
	int nr_named;	/* named by the cmsgs; > nr_fds only for bad input */
};

/*
 * The descriptors in @control (@control_len bytes, as msg_controllen after
 * recvmsg): every SCM_RIGHTS cmsg walked with its length checked against
 * the buffer, never past it. Call it first, even when the data is bad:
 * the kernel has already installed these fds.
 */
void handoff_request_fds(const void *control, size_t control_len,
			 struct handoff_request *out);

/*
 * Check @len bytes of @data (recvmsg's return, with its @msg_flags) as one
 * request, with the fds handoff_request_fds() found: 0 and out->req, or
 * -EBADMSG / -EPROTO / -EINVAL and why.
 */
int handoff_request_decode(const void *data, size_t len, int msg_flags,
			   struct handoff_request *out, char *why,
			   size_t why_len);

#endif /* KTLSD_HANDOFF_REQUEST_H */
