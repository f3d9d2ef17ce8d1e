// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The handoff socket as a loop source (handoff.h): accept what is
 * waiting, a few at a time, and start a handoff for each.
 *
 * Out of fds (EMFILE, ENFILE) a pending connection would wake a loop again
 * and again: the loop closes a reserve fd to accept it, answers it that
 * ktlsd is out of fds, closes it, reopens the reserve, and rests the
 * listener for LISTENER_REST_MS. One log line per EMFILE_LOG_MS says so,
 * with how many were refused since the last.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handoff.h"
#include "log.h"

#define ACCEPTS_PER_WAKE 16
#define LISTENER_REST_MS 100
#define EMFILE_LOG_MS 10000

/*
 * Spent to accept (and refuse) one connection when the fd table is full:
 * an eventfd, which neither the worker's seccomp filter nor Landlock stop.
 */
static pthread_mutex_t reserve_lock = PTHREAD_MUTEX_INITIALIZER;
static int reserve_fd = -1;
static atomic_llong emfile_logged_at;	/* ms; 0: never */
static atomic_long emfile_refused;	/* since the last log line */

static void listener_event(struct ktlsd_loop *loop, struct ktlsd_watch *w,
			   uint32_t events);

static const struct ktlsd_watch_ops listener_ops = { .event = listener_event };
static struct ktlsd_source listener = { .fd = -1, .watch = { &listener_ops } };

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

/* Another loop may have taken the slot a spent reserve left: try again. */
static void refill_reserve(void)
{
	pthread_mutex_lock(&reserve_lock);
	if (reserve_fd < 0)
		reserve_fd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_unlock(&reserve_lock);
}

/*
 * Level-triggered and full: take one connection with the reserve fd and
 * refuse it, and rest the listener in this loop rather than spin on it.
 */
static void out_of_fds(struct ktlsd_loop *loop, int err)
{
	int fd;

	log_emfile(err);
	pthread_mutex_lock(&reserve_lock);
	if (reserve_fd >= 0) {
		close(reserve_fd);
		fd = accept4(listener.fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			handoff_refuse(fd, -EMFILE,
				       "ktlsd is out of file descriptors; try again later");
			close(fd);
		}
		reserve_fd = eventfd(0, EFD_CLOEXEC);
	}
	pthread_mutex_unlock(&reserve_lock);
	ktlsd_loop_rest(loop, &listener, LISTENER_REST_MS);
}

static void listener_event(struct ktlsd_loop *loop, struct ktlsd_watch *w,
			   uint32_t events)
{
	(void)w;
	(void)events;
	refill_reserve();
	for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
		int fd = accept4(listener.fd, NULL, NULL,
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

struct ktlsd_source *handoff_listener(int listen_fd)
{
	listener.fd = listen_fd;
	refill_reserve();
	return &listener;
}
