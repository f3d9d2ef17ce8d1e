// SPDX-License-Identifier: GPL-2.0-or-later
/* A handshake stepped by an event loop (handshake_step.h). */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>

#include "handshake_step.h"

int ktlsd_handshake_step(struct ktlsd_loop *loop, struct ktls_session *session,
			 int fd, struct ktlsd_watch *watch, uint32_t *events,
			 const char **why)
{
	uint32_t wanted;
	int ret;

	ret = ktls_handshake_step(session);
	if (ret != -EAGAIN) {
		*why = ret ? ktls_reason() : "";
		return ret;
	}
	wanted = ktls_session_wants(session) & POLLOUT ? EPOLLOUT : EPOLLIN;
	if (wanted == *events)
		return -EAGAIN;
	ret = ktlsd_loop_watch(loop, fd, watch, wanted);
	if (ret) {
		*why = "epoll_ctl failed on the handshake's socket";
		return ret;
	}
	*events = wanted;
	return -EAGAIN;
}
