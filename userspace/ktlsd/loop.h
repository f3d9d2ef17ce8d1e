/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ktlsd's event loops: one thread each, each with its own epoll, all
 * taking new work from the same sources (the handoff socket, the upcall
 * jobs), each owning the tasks it took until they end. A loop knows
 * watches, sources and tasks by their ops, never what they are.
 * Deadlines are kept in a list ordered by time.
 */
#ifndef KTLSD_LOOP_H
#define KTLSD_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct ktlsd_loop;
struct ktlsd_watch;

/* What a loop does when a watched fd is ready: set by whoever watches. */
struct ktlsd_watch_ops {
	void (*event)(struct ktlsd_loop *loop, struct ktlsd_watch *watch,
		      uint32_t events);
};

/* Embedded in what an fd belongs to; the event finds it by container_of. */
struct ktlsd_watch {
	const struct ktlsd_watch_ops *ops;
};

/*
 * Where new work comes from (the handoff socket, the upcall jobs): one fd
 * in every loop's set with EPOLLEXCLUSIVE, so each arrival wakes one loop.
 * A drain takes it out of them all.
 */
struct ktlsd_source {
	int fd;
	struct ktlsd_watch watch;
};

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
 * @source rests in @loop for @ms: a loop that cannot take what it offers
 * (out of fds) stops being woken by it, and is again after that.
 */
void ktlsd_loop_rest(struct ktlsd_loop *loop, struct ktlsd_source *source,
		     int ms);

/*
 * Start @threads loops on @nr_sources @sources; they run until
 * ktlsd_loops_stop(), which ends the tasks in flight (handoffs answered,
 * upcalls DONE with an error status) and joins.
 */
int ktlsd_loops_start(struct ktlsd_source *const *sources, int nr_sources,
		      int threads);
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
