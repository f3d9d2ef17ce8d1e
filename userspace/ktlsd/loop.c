// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Event loops: N threads, each with its own epoll set, no thread or fork
 * per handshake. The one listening socket and the upcall's notification
 * socket are in every set with EPOLLEXCLUSIVE, so a new connection or
 * kernel request wakes one loop rather than all; the loop that accepts a
 * handoff or an upcall keeps it to the end, so each is only ever touched by
 * one thread. (One listener per thread with SO_REUSEPORT does not exist
 * for UNIX sockets.)
 *
 * Out of fds (EMFILE, ENFILE) a pending connection would wake a loop again
 * and again: the loop closes a reserve fd to accept it, answers it that
 * ktlsd is out of fds, closes it, reopens the reserve, and stops watching
 * the listener for LISTENER_PAUSE_MS. One log line per EMFILE_LOG_MS says
 * so, with how many were refused since the last.
 *
 * Deadlines: each loop keeps its tasks in a list ordered by deadline;
 * epoll_wait sleeps until the first one. Most handoffs share a timeout, so
 * insertion from the tail is almost always one step.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "handoff.h"
#include "log.h"
#include "upcall_server.h"

#define EVENTS_PER_WAKE 64
#define ACCEPTS_PER_WAKE 16
#define LISTENER_PAUSE_MS 100
#define EMFILE_LOG_MS 10000

struct ktlsd_loop {
	pthread_t thread;
	int epoll_fd;
	int index;
	struct ktlsd_task *first, *last;	/* by deadline */
	struct ktlsd_task *retired;	/* ended this batch, freed after it */
	bool draining;		/* no new work: end once idle */
	bool accepting;		/* listener and upcall fds in the set */
	bool joined;
	int64_t listener_paused_until;	/* 0: the listener is watched */
};

static struct ktlsd_loop *loops;
static int nr_loops;
static int listen_fd = -1;
static int notify_fd = -1;	/* the upcall's READY notifications */
static int stop_fd = -1;	/* eventfd: readable once we are stopping */
static int drain_fd = -1;	/* eventfd: written once to drain */
static struct ktlsd_watch listener_watch = { KTLSD_WATCH_LISTENER };
static struct ktlsd_watch stop_watch = { KTLSD_WATCH_STOP };
static struct ktlsd_watch upcall_watch = { KTLSD_WATCH_UPCALL };
static struct ktlsd_watch drain_watch = { KTLSD_WATCH_DRAIN };

/* How many loops have left the listener and the upcall fd, for a reload. */
static pthread_mutex_t drain_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t drain_cond = PTHREAD_COND_INITIALIZER;
static int loops_not_accepting;

/*
 * Spent to accept (and refuse) one connection when the fd table is full:
 * an eventfd, which neither the worker's seccomp filter nor Landlock stop.
 */
static pthread_mutex_t reserve_lock = PTHREAD_MUTEX_INITIALIZER;
static int reserve_fd = -1;
static atomic_llong emfile_logged_at;	/* ms; 0: never */
static atomic_long emfile_refused;	/* since the last log line */

int64_t ktlsd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ktlsd_loop_watch(struct ktlsd_loop *loop, int fd,
		     struct ktlsd_watch *watch, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = watch };

	if (!epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev))
		return 0;
	if (errno == ENOENT && !epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev))
		return 0;
	return -errno;
}

/*
 * Explicit, because closing our fd does not remove it from the set while
 * the application still holds the same socket.
 */
void ktlsd_loop_unwatch(struct ktlsd_loop *loop, int fd)
{
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

static void unlink_deadline(struct ktlsd_loop *loop, struct ktlsd_task *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else if (loop->first == h)
		loop->first = h->next;
	if (h->next)
		h->next->prev = h->prev;
	else if (loop->last == h)
		loop->last = h->prev;
	h->prev = NULL;
	h->next = NULL;
}

void ktlsd_loop_set_deadline(struct ktlsd_loop *loop, struct ktlsd_task *h,
			     int64_t deadline)
{
	struct ktlsd_task *after;

	unlink_deadline(loop, h);
	h->deadline = deadline;
	after = loop->last;
	while (after && after->deadline > deadline)
		after = after->prev;
	h->prev = after;
	h->next = after ? after->next : loop->first;
	if (h->next)
		h->next->prev = h;
	else
		loop->last = h;
	if (after)
		after->next = h;
	else
		loop->first = h;
}

void ktlsd_loop_retire(struct ktlsd_loop *loop, struct ktlsd_task *h)
{
	unlink_deadline(loop, h);
	h->next = loop->retired;
	loop->retired = h;
}

static void free_retired(struct ktlsd_loop *loop)
{
	while (loop->retired) {
		struct ktlsd_task *t = loop->retired;

		loop->retired = t->next;
		t->ops->free(t);
	}
}

static int listener_events(struct ktlsd_loop *loop, int op)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLEXCLUSIVE,
		.data.ptr = &listener_watch,
	};

	return epoll_ctl(loop->epoll_fd, op, listen_fd, &ev) ? -errno : 0;
}

/* At most one line per EMFILE_LOG_MS over every loop. */
static void log_emfile(int err)
{
	long long now = ktlsd_now_ms(), last = atomic_load(&emfile_logged_at);
	long refused = atomic_fetch_add(&emfile_refused, 1) + 1;

	if (last && now - last < EMFILE_LOG_MS)
		return;
	if (!atomic_compare_exchange_strong(&emfile_logged_at, &last, now))
		return;
	atomic_fetch_sub(&emfile_refused, refused);
	log_error("accept: %s: refusing new handoffs (%ld since the last report); raise LimitNOFILE or lower [handoff] max_unrequested, max_waiting, max_in_flight",
		  strerror(err), refused);
}

/*
 * Level-triggered and full: take one connection with the reserve fd and
 * refuse it, and rest the listener rather than spin on it.
 */
static void out_of_fds(struct ktlsd_loop *loop, int err)
{
	int fd;

	log_emfile(err);
	pthread_mutex_lock(&reserve_lock);
	if (reserve_fd >= 0) {
		close(reserve_fd);
		fd = accept4(listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			handoff_refuse(fd, -EMFILE,
				       "ktlsd is out of file descriptors; try again later");
			close(fd);
		}
		reserve_fd = eventfd(0, EFD_CLOEXEC);
	}
	pthread_mutex_unlock(&reserve_lock);
	if (!listener_events(loop, EPOLL_CTL_DEL))
		loop->listener_paused_until = ktlsd_now_ms() +
					      LISTENER_PAUSE_MS;
}

static void resume_listener(struct ktlsd_loop *loop)
{
	if (!loop->listener_paused_until ||
	    ktlsd_now_ms() < loop->listener_paused_until)
		return;
	/* A draining loop takes no new connections: leave it unwatched. */
	if (!loop->accepting) {
		loop->listener_paused_until = 0;
		return;
	}
	/* Another loop may have taken the slot the reserve left. */
	pthread_mutex_lock(&reserve_lock);
	if (reserve_fd < 0)
		reserve_fd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_unlock(&reserve_lock);
	if (!listener_events(loop, EPOLL_CTL_ADD))
		loop->listener_paused_until = 0;
	else	/* try again after another pause */
		loop->listener_paused_until = ktlsd_now_ms() +
					      LISTENER_PAUSE_MS;
}

static void accept_some(struct ktlsd_loop *loop)
{
	for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
		int fd = accept4(listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		int ret;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				out_of_fds(loop, errno);
			} else if (errno != EAGAIN && errno != EINTR &&
				   errno != ECONNABORTED) {
				log_error("accept: %s", strerror(errno));
			}
			return;
		}
		ret = handoff_new(loop, fd);
		if (ret) {
			if (ret == -EMFILE || ret == -ENFILE)
				log_emfile(-ret);
			else
				log_error("cannot take a handoff: %s",
					  strerror(-ret));
			close(fd);
		}
	}
}

static void expire(struct ktlsd_loop *loop)
{
	int64_t now = ktlsd_now_ms();

	/* Each expire retires its task, taking it off the list. */
	while (loop->first && loop->first->deadline <= now)
		loop->first->ops->expire(loop->first);
}

static void fail_all(struct ktlsd_loop *loop)
{
	while (loop->first)
		loop->first->ops->stop(loop->first);
	free_retired(loop);
}

/*
 * Out of the listener's and the upcall's sets for good, once: a reload's
 * monitor waits for every loop to have done this before it says the new
 * configuration is in charge.
 */
static void stop_accepting(struct ktlsd_loop *loop)
{
	loop->draining = true;
	if (!loop->accepting)
		return;
	loop->accepting = false;
	if (listen_fd >= 0)
		ktlsd_loop_unwatch(loop, listen_fd);
	if (notify_fd >= 0)
		ktlsd_loop_unwatch(loop, notify_fd);
	pthread_mutex_lock(&drain_lock);
	loops_not_accepting++;
	pthread_cond_broadcast(&drain_cond);
	pthread_mutex_unlock(&drain_lock);
}

static void *loop_run(void *arg)
{
	struct ktlsd_loop *loop = arg;
	struct epoll_event events[EVENTS_PER_WAKE];

	for (;;) {
		int timeout = -1, n;

		if (loop->first || loop->listener_paused_until) {
			int64_t next = loop->first ? loop->first->deadline :
						     INT64_MAX;
			int64_t left;

			if (loop->listener_paused_until &&
			    loop->listener_paused_until < next)
				next = loop->listener_paused_until;
			left = next - ktlsd_now_ms();
			timeout = left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
		}
		n = epoll_wait(loop->epoll_fd, events, EVENTS_PER_WAKE, timeout);
		if (n < 0 && errno != EINTR) {
			log_error("loop %d: epoll_wait: %s", loop->index,
				  strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct ktlsd_watch *w = events[i].data.ptr;
			struct handoff *h;
			struct upcall_job *job;

			switch (w->kind) {
			case KTLSD_WATCH_STOP:
				stop_accepting(loop);
				fail_all(loop);
				return NULL;
			case KTLSD_WATCH_DRAIN:
				stop_accepting(loop);
				break;
			case KTLSD_WATCH_LISTENER:
				/* Not after a drain earlier in this batch. */
				if (loop->accepting)
					accept_some(loop);
				break;
			case KTLSD_WATCH_CONN:
				h = (struct handoff *)((char *)w -
					offsetof(struct handoff, conn_watch));
				handoff_event(h, w, events[i].events);
				break;
			case KTLSD_WATCH_TCP:
				h = (struct handoff *)((char *)w -
					offsetof(struct handoff, tcp_watch));
				handoff_event(h, w, events[i].events);
				break;
			case KTLSD_WATCH_UPCALL:
				if (loop->accepting)
					upcall_jobs_accept(loop);
				break;
			case KTLSD_WATCH_UPCALL_TCP:
				job = (struct upcall_job *)((char *)w -
					offsetof(struct upcall_job, watch));
				upcall_job_event(job, events[i].events);
				break;
			}
		}
		expire(loop);
		free_retired(loop);
		resume_listener(loop);
		if (loop->draining && !loop->first)
			return NULL;
	}
	stop_accepting(loop);
	fail_all(loop);
	return NULL;
}

static int loop_init(struct ktlsd_loop *loop, int index)
{
	int ret;
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLEXCLUSIVE,
		.data.ptr = &listener_watch,
	};

	loop->index = index;
	loop->accepting = true;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0)
		return -errno;
	if (listen_fd >= 0 &&
	    epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev))
		goto close_epoll;
	ev.data.ptr = &upcall_watch;
	if (notify_fd >= 0 &&
	    epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, notify_fd, &ev))
		goto close_epoll;
	/* Not exclusive: stopping must wake every loop. */
	ev.events = EPOLLIN;
	ev.data.ptr = &stop_watch;
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, stop_fd, &ev))
		goto close_epoll;
	/* Edge-triggered: one wake-up in each loop, never a spin. */
	ev.events = EPOLLIN | EPOLLET;
	ev.data.ptr = &drain_watch;
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, drain_fd, &ev))
		goto close_epoll;
	return 0;

close_epoll:
	ret = -errno;
	close(loop->epoll_fd);
	return ret;
}

int ktlsd_loops_start(int fd, int up_fd, int threads)
{
	int ret = 0, i;

	listen_fd = fd;
	notify_fd = up_fd;
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (stop_fd < 0)
		return -errno;
	drain_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (drain_fd < 0) {
		ret = -errno;
		goto close_stop;
	}
	loops = calloc((size_t)threads, sizeof(*loops));
	if (!loops) {
		ret = -ENOMEM;
		goto close_stop;
	}
	reserve_fd = eventfd(0, EFD_CLOEXEC);
	for (i = 0; i < threads; i++) {
		ret = loop_init(&loops[i], i);
		if (ret)
			break;
		ret = -pthread_create(&loops[i].thread, NULL, loop_run,
				      &loops[i]);
		if (ret) {
			close(loops[i].epoll_fd);
			break;
		}
		nr_loops++;
	}
	if (ret) {
		ktlsd_loops_stop();
		return ret;
	}
	return 0;

close_stop:
	if (drain_fd >= 0)
		close(drain_fd);
	close(stop_fd);
	return ret;
}

static void kick(int fd, const char *what)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		log_error("cannot %s the loops: %s", what, strerror(errno));
}

void ktlsd_loops_stop(void)
{
	kick(stop_fd, "stop");
	for (int i = 0; i < nr_loops; i++) {
		if (!loops[i].joined)
			pthread_join(loops[i].thread, NULL);
		close(loops[i].epoll_fd);
	}
	free(loops);
	loops = NULL;
	nr_loops = 0;
	loops_not_accepting = 0;
	close(stop_fd);
	close(drain_fd);
	if (reserve_fd >= 0)
		close(reserve_fd);
	reserve_fd = -1;
}

/* CLOCK_REALTIME @ms from now, for the timed waits below. */
static struct timespec realtime_in(int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

int ktlsd_loops_stop_accepting(int timeout_ms)
{
	struct timespec until = realtime_in(timeout_ms);
	int ret = 0;

	kick(drain_fd, "drain");
	pthread_mutex_lock(&drain_lock);
	while (loops_not_accepting < nr_loops && !ret)
		ret = -pthread_cond_timedwait(&drain_cond, &drain_lock, &until);
	pthread_mutex_unlock(&drain_lock);
	return ret;
}

void ktlsd_loops_drain(int timeout_ms)
{
	struct timespec until = realtime_in(timeout_ms);

	/* Again, harmless: each loop leaves the listener once. */
	kick(drain_fd, "drain");
	for (int i = 0; i < nr_loops; i++)
		loops[i].joined = !pthread_timedjoin_np(loops[i].thread, NULL,
							&until);
	/* The rest end their tasks now, as at a stop. */
	ktlsd_loops_stop();
}
