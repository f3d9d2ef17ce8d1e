// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One worker per CPU: its own SO_REUSEPORT listener, its own io_uring, its
 * own connections. Nothing on the data path is shared between workers; the
 * kernel spreads new connections over the listeners.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

#define RING_ENTRIES 1024
#define LISTEN_BACKLOG 4096
#define SWEEP_INTERVAL_MS 250
#define NO_FD_LOG_INTERVAL_MS 10000
#define SHED_MAX 64		/* backlog closed per EMFILE, at most */

/* Set by the main thread, read by the workers at each sweep. */
static int stopping;
/* Held by the main thread until the sandbox is in place. */
static pthread_mutex_t start_gate = PTHREAD_MUTEX_INITIALIZER;

void worker_hold_all(void)
{
	pthread_mutex_lock(&start_gate);
}

void worker_release_all(void)
{
	pthread_mutex_unlock(&start_gate);
}

static bool stop_requested(void)
{
	return __atomic_load_n(&stopping, __ATOMIC_RELAXED);
}

int64_t serve_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * SO_REUSEPORT lets any socket of the same uid join our listeners, so a
 * second ktls-serve on the same port would silently take half of the
 * connections. A socket without it must bind first: EADDRINUSE if the
 * address is already someone's.
 */
int worker_address_free(const struct serve_config *cfg)
{
	const struct sockaddr_in6 *in6 = (const void *)&cfg->addr;
	const struct sockaddr_in *in = (const void *)&cfg->addr;
	int one = 1, fd, ret = 0;

	/* Port 0: the kernel picks one nobody has. */
	if (cfg->addr.ss_family == AF_INET6 ? !in6->sin6_port : !in->sin_port)
		return 0;
	fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&cfg->addr, cfg->addr_len))
		ret = -errno;
	close(fd);
	return ret;
}

int worker_listen(const struct serve_config *cfg, int *out)
{
	int one = 1, fd, ret;

	fd = socket(cfg->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&cfg->addr, cfg->addr_len) ||
	    listen(fd, LISTEN_BACKLOG)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

/* An SQE, flushing the ring to the kernel if it is full. */
struct io_uring_sqe *worker_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	while (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	return sqe;
}

void worker_arm(struct conn *c, struct io_uring_sqe *sqe, enum op_kind kind)
{
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)c | kind);
	c->inflight++;
}

static void arm_accept(struct worker *w)
{
	struct io_uring_sqe *sqe = worker_sqe(w);

	io_uring_prep_multishot_accept(sqe, w->listen_fd, NULL, NULL,
				       SOCK_CLOEXEC | SOCK_NONBLOCK);
	io_uring_sqe_set_data64(sqe, OP_ACCEPT);
	w->accept_armed = true;
}

static void arm_timer(struct worker *w, struct __kernel_timespec *ts)
{
	struct io_uring_sqe *sqe = worker_sqe(w);

	io_uring_prep_timeout(sqe, ts, 0, 0);
	io_uring_sqe_set_data64(sqe, OP_TIMER);
}

/*
 * Out of descriptors: clients wait in the backlog and the accept
 * (multishot ends on an error) would fail again at once. Give up the
 * reserve descriptor to accept those clients and close them (up to
 * SHED_MAX a time), so they learn now rather than at their timeout; take
 * the reserve back; accept again at the next sweep. One line per
 * NO_FD_LOG_INTERVAL_MS says so.
 */
static void out_of_fds(struct worker *w, int err)
{
	int64_t now = serve_now_ms();
	int fd, flags, shed;

	if (w->reserve_fd >= 0) {
		close(w->reserve_fd);
		/* No ring accept is pending on it now: plain ones are safe. */
		flags = fcntl(w->listen_fd, F_GETFL);
		fcntl(w->listen_fd, F_SETFL, flags | O_NONBLOCK);
		for (shed = 0; shed < SHED_MAX; shed++) {
			fd = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				break;
			close(fd);
			STAT_ADD(w, refused_no_fd, 1);
		}
		fcntl(w->listen_fd, F_SETFL, flags);
		w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (w->no_fd_logged_ms &&
	    now - w->no_fd_logged_ms < NO_FD_LOG_INTERVAL_MS)
		return;
	w->no_fd_logged_ms = now;
	fprintf(stderr,
		"ktls-serve: worker %d: accept: %s: closing new connections (raise the open files limit, ulimit -n; lower --max-handshakes); said again in %d s at most\n",
		w->id, strerror(-err), NO_FD_LOG_INTERVAL_MS / 1000);
}

static void on_accept(struct worker *w, struct io_uring_cqe *cqe)
{
	if (!(cqe->flags & IORING_CQE_F_MORE))
		w->accept_armed = false;
	if (cqe->res >= 0) {
		conn_open(w, cqe->res);
		return;
	}
	/* Retried at the next sweep rather than spun on. */
	if (cqe->res == -EMFILE || cqe->res == -ENFILE) {
		out_of_fds(w, cqe->res);
		return;
	}
	if (!w->accept_armed)
		arm_accept(w);
}

static void dispatch(struct worker *w, struct io_uring_cqe *cqe,
		     struct __kernel_timespec *tick)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	enum op_kind kind = (enum op_kind)(data & OP_MASK);
	struct conn *c = (struct conn *)(uintptr_t)(data & ~OP_MASK);

	switch (kind) {
	case OP_ACCEPT:
		on_accept(w, cqe);
		break;
	case OP_TIMER:
		conn_sweep(w, serve_now_ms());
		if (!w->accept_armed && !stop_requested())
			arm_accept(w);
		if (!stop_requested())
			arm_timer(w, tick);
		break;
	case OP_CANCEL:
		break;
	default:
		conn_event(c, kind, cqe->res);
		break;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct __kernel_timespec tick = {
		.tv_nsec = SWEEP_INTERVAL_MS * 1000000LL,
	};
	struct io_uring_cqe *cqe;
	unsigned int head, seen;
	int ret;

	/* No connection is taken before the seccomp filter covers us. */
	pthread_mutex_lock(&start_gate);
	pthread_mutex_unlock(&start_gate);
	if (w->cfg->debug_forbidden && !w->id) {
		static char *const argv[] = { "/bin/true", NULL };

		/* Test only (--debug-forbidden-syscall): SIGSYS ends us here. */
		execv(argv[0], argv);
		fprintf(stderr, "ktls-serve: worker %d: execve was not stopped: %s\n",
			w->id, strerror(errno));
	}
	arm_accept(w);
	arm_timer(w, &tick);
	while (!stop_requested()) {
		ret = io_uring_submit_and_wait(&w->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN &&
		    ret != -EBUSY) {
			fprintf(stderr, "ktls-serve: worker %d: io_uring: %s\n",
				w->id, strerror(-ret));
			break;
		}
		seen = 0;
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			dispatch(w, cqe, &tick);
			seen++;
		}
		io_uring_cq_advance(&w->ring, seen);
	}
	conn_close_all(w);
	close(w->listen_fd);
	if (w->reserve_fd >= 0)
		close(w->reserve_fd);
	return NULL;
}

int worker_start(struct worker *w)
{
	struct io_uring_params params = { 0 };
	int ret;

	/* The CQ must hold a completion for every connection at once. */
	params.flags = IORING_SETUP_CQSIZE;
	params.cq_entries = 65536;
	w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (w->reserve_fd < 0)
		return -errno;
	ret = io_uring_queue_init_params(RING_ENTRIES, &w->ring, &params);
	if (ret) {
		close(w->reserve_fd);
		return ret;
	}
	ret = pthread_create(&w->thread, NULL, worker_main, w);
	if (ret) {
		io_uring_queue_exit(&w->ring);
		close(w->reserve_fd);
		return -ret;
	}
	return 0;
}

void worker_stop_all(void)
{
	__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
}
