/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ktlsd's event loops: one thread each, each with its own epoll, all
 * accepting from the one handoff socket and the kernel's upcall socket,
 * each owning the handoffs and upcalls it accepted until they end.
 * Deadlines are kept in a list ordered by time.
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
	KTLSD_WATCH_UPCALL,	/* the kernel's READY notifications */
	KTLSD_WATCH_UPCALL_TCP,	/* the socket of an upcall's handshake */
	KTLSD_WATCH_DRAIN,	/* take no new work; end when idle */
};

struct ktlsd_watch {
	enum ktlsd_watch_kind kind;
};

struct ktlsd_loop;
struct ktlsd_task;

/* What a loop does with a task it owns (a handoff, an upcall). */
struct ktlsd_task_ops {
	void (*expire)(struct ktlsd_task *task);	/* deadline passed */
	void (*stop)(struct ktlsd_task *task);		/* ktlsd stops: end it */
	void (*free)(struct ktlsd_task *task);		/* after retire */
};

/* Embedded in each handoff and upcall: its place in the deadline list. */
struct ktlsd_task {
	const struct ktlsd_task_ops *ops;
	int64_t deadline;
	struct ktlsd_task *prev, *next;
};

int64_t ktlsd_now_ms(void);

/* Add (or change) @fd in the loop's epoll set, reported with @watch. */
int ktlsd_loop_watch(struct ktlsd_loop *loop, int fd,
		     struct ktlsd_watch *watch, uint32_t events);
void ktlsd_loop_unwatch(struct ktlsd_loop *loop, int fd);
/* (Re)place @task in the deadline list. */
void ktlsd_loop_set_deadline(struct ktlsd_loop *loop, struct ktlsd_task *task,
			     int64_t deadline);
/* @task has ended: off the deadline list, freed after this batch of events. */
void ktlsd_loop_retire(struct ktlsd_loop *loop, struct ktlsd_task *task);

/*
 * Start @threads loops on @listen_fd (-1: no handoffs) and @upcall_fd
 * (-1: no upcalls); they run until ktlsd_loops_stop(), which ends the
 * tasks in flight (handoffs answered, upcalls DONE with an error status)
 * and joins.
 */
int ktlsd_loops_start(int listen_fd, int upcall_fd, int threads);
void ktlsd_loops_stop(void);
/*
 * A reload's old worker: stop accepting handoffs and upcalls, let the
 * tasks in flight finish, and end each loop once it is idle; what is still
 * running @timeout_ms from now is stopped as ktlsd_loops_stop() would.
 */
void ktlsd_loops_drain(int timeout_ms);
/*
 * The first half of a drain: every loop leaves the listener and the upcall
 * fd, and none accepts again. Returns once all have (0), or -ETIMEDOUT
 * after @timeout_ms.
 */
int ktlsd_loops_stop_accepting(int timeout_ms);

#endif /* KTLSD_LOOP_H */
