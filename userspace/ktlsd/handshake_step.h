/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A handshake stepped by an event loop, the one way handoffs and upcalls
 * both run theirs: each step goes as far as the socket allows, then the
 * socket's watch asks epoll for what the next step needs. The task's
 * deadline (loop.h) bounds the whole.
 */
#ifndef KTLSD_HANDSHAKE_STEP_H
#define KTLSD_HANDSHAKE_STEP_H

#include <stdint.h>

#include "ktls/ktls.h"
#include "loop.h"

/*
 * One step of @session's handshake on @fd in @loop: -EAGAIN while it
 * waits for the socket (@watch now asks epoll for what it needs; @events
 * holds what is registered, 0 if nothing), 0 once it is done, else -errno
 * and @why says why (libktls's reason, or epoll's).
 */
int ktlsd_handshake_step(struct ktlsd_loop *loop, struct ktls_session *session,
			 int fd, struct ktlsd_watch *watch, uint32_t *events,
			 const char **why);

#endif /* KTLSD_HANDSHAKE_STEP_H */
