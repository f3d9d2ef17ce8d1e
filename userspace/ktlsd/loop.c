// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Event loops: N threads, each with its own epoll set, no thread or fork
 * per handshake. Each source of new work (the handoff socket, the upcall
 * jobs) is in every set with EPOLLEXCLUSIVE, so a new connection or
 * kernel request wakes one loop rather than all; the loop that takes a
 * task keeps it to the end, so each is only ever touched by one thread.
 * (One listener per thread with SO_REUSEPORT does not exist for UNIX
 * sockets.) What a watch, source or task is, only its ops know.
 *
 * Deadlines: each loop keeps its tasks in a list ordered by deadline;
 * epoll_wait sleeps until the first one, or until a rested source is due
 * back. Most handoffs share a timeout, so insertion from the tail is
 * almost always one step.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

#define EVENTS_PER_WAKE 64
#define MAX_SOURCES 4
#define REST_RETRY_MS 100

struct ktlsd_loop {
	pthread_t thread;
	int epoll_fd;
	int index;
	struct ktlsd_task *first, *last;	/* by deadline */
	struct ktlsd_task *retired;	/* ended this batch, freed after it */
	bool draining;		/* no new work: end once idle */
	bool accepting;		/* the sources are in the set */
	bool stopping;		/* end every task now */
	bool joined;
	int64_t rest_until[MAX_SOURCES];	/* 0: the source is watched */
};

static struct ktlsd_loop *loops;
static int nr_loops;
static struct ktlsd_source *sources[MAX_SOURCES];
static int nr_sources;
static int stop_fd = -1;	/* eventfd: readable once we are stopping */
static int drain_fd = -1;	/* eventfd: written once to drain */

/* How many loops have left every source for good, for a reload. */
static pthread_mutex_t drain_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t drain_cond = PTHREAD_COND_INITIALIZER;
static int loops_not_accepting;

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

static int source_events(struct ktlsd_loop *loop, int op,
			 struct ktlsd_source *source)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLEXCLUSIVE,
		.data.ptr = &source->watch,
	};

	return epoll_ctl(loop->epoll_fd, op, source->fd, &ev) ? -errno : 0;
}

static int source_index(const struct ktlsd_source *source)
{
	for (int i = 0; i < nr_sources; i++)
		if (sources[i] == source)
			return i;
	return -1;
}

static bool is_source(const struct ktlsd_watch *w)
{
	for (int i = 0; i < nr_sources; i++)
		if (&sources[i]->watch == w)
			return true;
	return false;
}

void ktlsd_loop_rest(struct ktlsd_loop *loop, struct ktlsd_source *source,
		     int ms)
{
	int i = source_index(source);

	if (i < 0 || loop->rest_until[i] || !loop->accepting)
		return;
	if (!source_events(loop, EPOLL_CTL_DEL, source))
		loop->rest_until[i] = ktlsd_now_ms() + ms;
}

/* Sources whose rest is over are watched again; the next due, or 0. */
static int64_t wake_sources(struct ktlsd_loop *loop)
{
	int64_t now = ktlsd_now_ms(), next = 0;

	for (int i = 0; i < nr_sources; i++) {
		if (!loop->rest_until[i])
			continue;
		if (!loop->accepting) {	/* drained: it stays out */
			loop->rest_until[i] = 0;
			continue;
		}
		if (now >= loop->rest_until[i]) {
			if (!source_events(loop, EPOLL_CTL_ADD, sources[i])) {
				loop->rest_until[i] = 0;
				continue;
			}
			/* try again after another rest */
			loop->rest_until[i] = now + REST_RETRY_MS;
		}
		if (!next || loop->rest_until[i] < next)
			next = loop->rest_until[i];
	}
	return next;
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
 * Out of every source's set for good, once: a reload's monitor waits for
 * every loop to have done this before it says the new configuration is in
 * charge.
 */
static void stop_accepting(struct ktlsd_loop *loop)
{
	loop->draining = true;
	if (!loop->accepting)
		return;
	loop->accepting = false;
	for (int i = 0; i < nr_sources; i++)
		if (!loop->rest_until[i])
			ktlsd_loop_unwatch(loop, sources[i]->fd);
	pthread_mutex_lock(&drain_lock);
	loops_not_accepting++;
	pthread_cond_broadcast(&drain_cond);
	pthread_mutex_unlock(&drain_lock);
}

static void stop_event(struct ktlsd_loop *loop, struct ktlsd_watch *w,
		       uint32_t events)
{
	(void)w;
	(void)events;
	stop_accepting(loop);
	loop->stopping = true;
}

static void drain_event(struct ktlsd_loop *loop, struct ktlsd_watch *w,
			uint32_t events)
{
	(void)w;
	(void)events;
	stop_accepting(loop);
}

static const struct ktlsd_watch_ops stop_ops = { .event = stop_event };
static const struct ktlsd_watch_ops drain_ops = { .event = drain_event };
static struct ktlsd_watch stop_watch = { &stop_ops };
static struct ktlsd_watch drain_watch = { &drain_ops };

/* Sleep until the first deadline or the first rested source's return. */
static int wait_ms(struct ktlsd_loop *loop)
{
	int64_t next = wake_sources(loop), left;

	if (loop->first && (!next || loop->first->deadline < next))
		next = loop->first->deadline;
	if (!next)
		return -1;
	left = next - ktlsd_now_ms();
	return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

static void *loop_run(void *arg)
{
	struct ktlsd_loop *loop = arg;
	struct epoll_event events[EVENTS_PER_WAKE];

	while (!loop->stopping) {
		int n = epoll_wait(loop->epoll_fd, events, EVENTS_PER_WAKE,
				   wait_ms(loop));

		if (n < 0 && errno != EINTR) {
			log_error("loop %d: epoll_wait: %s", loop->index,
				  strerror(errno));
			break;
		}
		for (int i = 0; i < n && !loop->stopping; i++) {
			struct ktlsd_watch *w = events[i].data.ptr;

			/* Not after a drain earlier in this batch. */
			if (!loop->accepting && is_source(w))
				continue;
			w->ops->event(loop, w, events[i].events);
		}
		if (loop->stopping)
			break;
		expire(loop);
		free_retired(loop);
		if (loop->draining && !loop->first)
			return NULL;
	}
	stop_accepting(loop);
	fail_all(loop);
	return NULL;
}

static int loop_init(struct ktlsd_loop *loop, int index)
{
	struct epoll_event ev;
	int ret;

	loop->index = index;
	loop->accepting = true;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0)
		return -errno;
	for (int i = 0; i < nr_sources; i++) {
		ret = source_events(loop, EPOLL_CTL_ADD, sources[i]);
		if (ret)
			goto close_epoll;
	}
	/* Not exclusive: stopping must wake every loop. */
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &stop_watch };
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, stop_fd, &ev))
		goto save_errno;
	/* Edge-triggered: one wake-up in each loop, never a spin. */
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET,
				   .data.ptr = &drain_watch };
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, drain_fd, &ev))
		goto save_errno;
	return 0;

save_errno:
	ret = -errno;
close_epoll:
	close(loop->epoll_fd);
	return ret;
}

int ktlsd_loops_start(struct ktlsd_source *const *srcs, int nr_srcs,
		      int threads)
{
	int ret = 0, i;

	if (nr_srcs > MAX_SOURCES)
		return -E2BIG;
	for (i = 0; i < nr_srcs; i++)
		sources[i] = srcs[i];
	nr_sources = nr_srcs;
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
		goto close_drain;
	}
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

close_drain:
	close(drain_fd);
close_stop:
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
	nr_sources = 0;
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
