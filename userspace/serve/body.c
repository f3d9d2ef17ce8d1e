// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where a file page leaves: the response body. With kernel TLS the pages
 * go from the page cache into the kernel's encryption without a userspace
 * copy, by one of
 *  - sendfile(2), run when the ring's poll says the socket is writable;
 *  - IORING_OP_SPLICE file -> pipe -> socket, two linked SQEs (run by
 *    io-wq threads);
 * chosen with --body (see docs/benchmarks.md for the measurement behind
 * the default). Without kTLS: pread into a buffer, WolfSSL encrypts.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls/tls_prot.h"
#include "serve.h"

/* Bytes one connection sends before the others get a turn. */
#define TURN_BYTES (1 << 20)
#define PIPE_BYTES (256 << 10)
/* userspace TLS: four full records per WolfSSL write */
#define CHUNK_BYTES (64 << 10)

static void count_sent(struct conn *c, size_t n)
{
	struct reply *r = c->reply;

	r->left -= n;
	r->body_sent += n;
	/* A client that reads, however slowly, is not idle. */
	c->deadline_ms = serve_now_ms() + c->w->cfg->idle_timeout_ms;
	r->turn_bytes += n;
	/* Upper bound: a call may end a partial record. */
	c->tx_records += (n + TLS_MAX_PLAINTEXT - 1) / TLS_MAX_PLAINTEXT;
	STAT_ADD(c->w, body_bytes, n);
}

/*
 * Before waiting for write space, push what TCP holds. Linux 6.1 (before
 * 6.5 turned sendpage into sendmsg with MSG_SPLICE_PAGES): kTLS gives TCP
 * each record of a sendfile or splice flagged MSG_SENDPAGE_NOTLAST while
 * more pages follow, and do_tcp_sendpages() then skips tcp_push(), leaving
 * that to the call that ends the batch. When kTLS stops early because
 * sk_stream_memory_free() is false (EAGAIN or a short count), that call
 * never comes: a whole record stays in TCP's write queue, unsent, with no
 * timer armed. Nothing is in flight, so no ACK comes back, write space
 * never returns and our POLLOUT poll never fires. Seen with 200 clients
 * at once in a 1 GiB guest: under tcp_mem pressure the send buffer was cut
 * to SOCK_MIN_SNDBUF (4608) below the 17 KB queued, and responses stopped
 * for good after their first record. Setting TCP_NODELAY pushes pending
 * output (tcp(7)); since 6.5 every TCP send ends in tcp_push(), and this
 * costs one syscall per wait. A failure here is the socket's own error,
 * which the poll reports.
 */
static int poll_writable(struct conn *c)
{
	int one = 1;

	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return conn_poll(c, POLLOUT);
}

/* Let the ring run others before going on. */
static int next_turn(struct conn *c)
{
	struct reply *r = c->reply;

	if (r->left && r->turn_bytes >= TURN_BYTES) {
		r->turn_bytes = 0;
		return conn_poll(c, POLLOUT);
	}
	return STEP_AGAIN;
}

static int body_sendfile(struct conn *c)
{
	struct reply *r = c->reply;
	size_t want = r->left < TURN_BYTES ? r->left : TURN_BYTES;
	ssize_t n;

	n = sendfile(c->fd, r->file_fd, &r->offset, want);
	if (n < 0 && errno == EAGAIN)
		return poll_writable(c);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENODATA;	/* the file shrank under us */
	count_sent(c, (size_t)n);
	/* A short send means the socket is full. */
	if ((size_t)n < want) {
		r->turn_bytes = 0;
		return poll_writable(c);
	}
	return next_turn(c);
}

static int get_pipe(struct worker *w, int fds[2])
{
	if (w->nfree_pipes) {
		w->nfree_pipes--;
		fds[0] = w->free_pipes[w->nfree_pipes][0];
		fds[1] = w->free_pipes[w->nfree_pipes][1];
		return 0;
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	/* Without room for a bigger pipe it stays at 64 KiB: slower only. */
	fcntl(fds[1], F_SETPIPE_SZ, PIPE_BYTES);
	return 0;
}

static int body_splice(struct conn *c)
{
	struct reply *r = c->reply;
	struct io_uring_sqe *sqe;
	unsigned int more;
	size_t len;
	int ret;

	if (r->splice_err)
		return r->splice_err;
	if (r->want_pollout) {
		r->want_pollout = false;
		return poll_writable(c);
	}
	if (r->pipe[0] < 0) {
		ret = get_pipe(c->w, r->pipe);
		if (ret)
			return ret;
	}
	if (!r->in_pipe) {
		len = r->left < PIPE_BYTES ? r->left : PIPE_BYTES;
		sqe = worker_sqe(c->w);
		io_uring_prep_splice(sqe, r->file_fd, r->offset, r->pipe[1], -1,
				     (unsigned int)len, 0);
		sqe->flags |= IOSQE_IO_LINK;
		worker_arm(c, sqe, OP_SPLICE_IN);
	} else {
		len = r->in_pipe;
	}
	/* MORE: a chunk that is not the last need not end a record. */
	more = r->left > len ? SPLICE_F_MORE : 0;
	sqe = worker_sqe(c->w);
	io_uring_prep_splice(sqe, r->pipe[0], -1, c->fd, -1,
			     (unsigned int)len, more);
	worker_arm(c, sqe, OP_SPLICE_OUT);
	return STEP_WAIT;
}

void body_splice_done(struct conn *c, enum op_kind kind, int res)
{
	struct reply *r = c->reply;

	if (kind == OP_SPLICE_IN) {
		if (res > 0) {
			r->in_pipe += (size_t)res;
			r->offset += res;
		} else if (res == 0) {
			r->splice_err = -ENODATA;
		} else if (res != -EAGAIN) {
			r->splice_err = res;
		}
		return;
	}
	if (res > 0) {
		r->in_pipe -= (size_t)res;
		count_sent(c, (size_t)res);
	} else if (res == -EAGAIN) {
		r->want_pollout = true;
	} else if (res != -ECANCELED) {
		/* A short read from the file cancels the linked send. */
		r->splice_err = res ? res : -EPIPE;
	}
}

static int body_userspace(struct conn *c)
{
	struct reply *r = c->reply;
	size_t want;
	ssize_t n;

	if (!r->chunk) {
		r->chunk = malloc(CHUNK_BYTES);
		if (!r->chunk)
			return -ENOMEM;
	}
	if (!r->chunk_len) {
		want = r->left < CHUNK_BYTES ? r->left : CHUNK_BYTES;
		n = pread(r->file_fd, r->chunk, want, r->offset);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		r->chunk_len = (size_t)n;
	}
	/* WolfSSL wants the same buffer again after -EAGAIN. */
	n = tls_write(c, r->chunk, r->chunk_len, false);
	if (n == -EAGAIN) {
		r->turn_bytes = 0;
		return conn_poll(c, tls_wants(c, POLLOUT));
	}
	if (n < 0)
		return (int)n;
	r->offset += r->chunk_len;
	count_sent(c, r->chunk_len);
	r->chunk_len = 0;
	return next_turn(c);
}

int body_step(struct conn *c)
{
	if (!c->ktls)
		return body_userspace(c);
	if (c->w->cfg->body == BODY_SPLICE)
		return body_splice(c);
	return body_sendfile(c);
}

void body_end(struct conn *c)
{
	struct reply *r = c->reply;
	struct worker *w = c->w;

	if (r->file_fd >= 0)
		close(r->file_fd);
	r->file_fd = -1;
	if (r->pipe[0] >= 0) {
		/* Only an empty pipe can serve the next body. */
		if (!r->in_pipe && w->nfree_pipes < 8) {
			w->free_pipes[w->nfree_pipes][0] = r->pipe[0];
			w->free_pipes[w->nfree_pipes][1] = r->pipe[1];
			w->nfree_pipes++;
		} else {
			close(r->pipe[0]);
			close(r->pipe[1]);
		}
		r->pipe[0] = -1;
		r->pipe[1] = -1;
	}
	free(r->chunk);
	r->chunk = NULL;
}
