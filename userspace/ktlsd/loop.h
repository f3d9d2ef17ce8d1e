/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ktlsd's event loops: one thread each, each with its own epoll, all
 * accepting from the one handoff socket, each owning the handoffs it
 * accepted until they end. Deadlines are kept in a list ordered by time.
 */
#ifndef KTLSD_LOOP_H
#define KTLSD_LOOP_H

#include <stdint.h>

/* What an epoll event is about: each fd registers a watch of its kind. */
enum ktlsd_watch_kind {
	KTLSD_WATCH_LISTENER,
	KTLSD_WATCH_STOP,
	KTLSD_WATCH_CONN,	/* the application's handoff connection */
	KTLSD_WATCH_TCP,	/* the TCP socket being handshaken */
};

struct ktlsd_watch {
	enum ktlsd_watch_kind kind;
};

struct ktlsd_loop;
struct handoff;

int64_t ktlsd_now_ms(void);

/* Add (or change) @fd in the loop's epoll set, reported with @watch. */
int ktlsd_loop_watch(struct ktlsd_loop *loop, int fd,
		     struct ktlsd_watch *watch, uint32_t events);
void ktlsd_loop_unwatch(struct ktlsd_loop *loop, int fd);
/* (Re)place @h in the deadline list. */
void ktlsd_loop_set_deadline(struct ktlsd_loop *loop, struct handoff *h,
			     int64_t deadline);
/* @h has ended: off the deadline list, freed after this batch of events. */
void ktlsd_loop_retire(struct ktlsd_loop *loop, struct handoff *h);

/*
 * Start @threads loops on @listen_fd; they run until ktlsd_loops_stop(),
 * which fails the handoffs in flight ("ktlsd is shutting down") and joins.
 */
int ktlsd_loops_start(int listen_fd, int threads);
void ktlsd_loops_stop(void);

#endif /* KTLSD_LOOP_H */
