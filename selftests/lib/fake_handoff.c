// SPDX-License-Identifier: GPL-2.0-or-later
/* A fake ktlsd's side of one handoff (fake_handoff.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_handoff.h"
#include "ktls/handoff_wire.h"

int fake_handoff_take(int listener, int *conn, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct ktls_handoff_wire_req req;
	struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	*fd = -1;
	*conn = accept(listener, NULL, NULL);
	if (*conn < 0)
		return -errno;
	n = recvmsg(*conn, &msg, 0);
	cmsg = CMSG_FIRSTHDR(&msg);
	if (n == (ssize_t)sizeof(req) && cmsg && cmsg->cmsg_level == SOL_SOCKET &&
	    cmsg->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cmsg), sizeof(*fd));
	if (*fd >= 0)
		return 0;
	close(*conn);
	*conn = -1;
	return -EBADMSG;
}

int fake_handoff_succeed(int conn, const char *tls_version,
			 const char *cipher)
{
	struct ktls_handoff_wire_res res = {
		.magic = KTLS_HANDOFF_MAGIC,
		.version = KTLS_HANDOFF_VERSION,
		.size = sizeof(res),
	};
	ssize_t n;

	snprintf(res.tls_version, sizeof(res.tls_version), "%s", tls_version);
	snprintf(res.cipher, sizeof(res.cipher), "%s", cipher);
	n = send(conn, &res, sizeof(res), MSG_NOSIGNAL);
	close(conn);
	return n == (ssize_t)sizeof(res) ? 0 : -EIO;
}
