// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One handoff request, decoded from what recvmsg() returned. The cmsg walk
 * is our own rather than CMSG_NXTHDR: glibc checks where the next header
 * starts, not that the current one's cmsg_len fits in the buffer.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "handoff_request.h"

void handoff_request_fds(const void *control, size_t control_len,
			 struct handoff_request *out)
{
	const unsigned char *buf = control;
	size_t off = 0;

	out->nr_fds = 0;
	out->nr_named = 0;
	while (control && control_len - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr c;
		size_t len, n;

		memcpy(&c, buf + off, sizeof(c));
		len = c.cmsg_len;
		if (len < CMSG_LEN(0) || len > control_len - off)
			return;
		if (c.cmsg_level == SOL_SOCKET && c.cmsg_type == SCM_RIGHTS) {
			n = (len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < n; i++) {
				int fd;

				memcpy(&fd, buf + off + CMSG_LEN(0) +
				       i * sizeof(int), sizeof(fd));
				if (out->nr_fds < HANDOFF_REQUEST_MAX_FDS)
					out->fds[out->nr_fds++] = fd;
				out->nr_named++;
			}
		}
		/* The last cmsg need not be padded to its full space. */
		if (CMSG_ALIGN(len) >= control_len - off)
			return;
		off += CMSG_ALIGN(len);
	}
}

static bool terminated(const char *s, size_t len)
{
	return memchr(s, '\0', len);
}

int handoff_request_decode(const void *data, size_t len, int msg_flags,
			   struct handoff_request *out, char *why,
			   size_t why_len)
{
	struct ktls_handoff_wire_req *req = &out->req;

	memset(req, 0, sizeof(*req));
	memcpy(req, data, len < sizeof(*req) ? len : sizeof(*req));
	if (len != sizeof(*req) || (msg_flags & MSG_TRUNC)) {
		snprintf(why, why_len,
			 "malformed handoff request: %zu bytes, expected %zu (libktls and ktlsd differ?)",
			 len, sizeof(*req));
		return -EBADMSG;
	}
	if (req->magic != KTLS_HANDOFF_MAGIC || req->size != sizeof(*req)) {
		snprintf(why, why_len,
			 "malformed handoff request: bad magic or size field");
		return -EBADMSG;
	}
	if (req->version != KTLS_HANDOFF_VERSION) {
		snprintf(why, why_len,
			 "handoff version %u is not supported: ktlsd speaks version %u",
			 req->version, KTLS_HANDOFF_VERSION);
		return -EPROTO;
	}
	if ((msg_flags & MSG_CTRUNC) || out->nr_named != 1 ||
	    out->fds[0] < 0) {
		snprintf(why, why_len,
			 "malformed handoff request: it must carry exactly one fd (SCM_RIGHTS), it carried %d",
			 out->nr_named);
		return -EBADMSG;
	}
	if ((req->role != KTLS_HANDOFF_WIRE_CLIENT &&
	     req->role != KTLS_HANDOFF_WIRE_SERVER) || req->timeout_ms < 0 ||
	    !terminated(req->server_name, sizeof(req->server_name)) ||
	    !terminated(req->alpn, sizeof(req->alpn))) {
		snprintf(why, why_len,
			 "malformed handoff request: bad role, timeout or unterminated string");
		return -EBADMSG;
	}
	if (req->role == KTLS_HANDOFF_WIRE_CLIENT && !req->server_name[0]) {
		snprintf(why, why_len,
			 "a client-role handoff needs the server name to verify");
		return -EINVAL;
	}
	return 0;
}
