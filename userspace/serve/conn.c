// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One connection: handshake, then requests and responses until the client
 * leaves, a timeout passes, or the response says close. Each step runs
 * until it would block, then leaves one ring operation (a poll, or the
 * splice pair) to wake it. An idle keep-alive connection holds only its
 * struct conn: the request buffer and the reply exist while in use.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktls/printable.h"
#include "serve.h"

/* The step closed the connection itself (and said why if it mattered). */
#define STEP_CLOSED 3

/* After our close: how long the client has to read it and leave. */
#define LINGER_MS 2000

/*
 * Unsent bytes a connection may park in the kernel (TCP_NOTSENT_LOWAT).
 * Without a limit the send buffer autotunes to ~0.5 MiB per connection on
 * loopback, and 200 clients at once ran a 1 GiB guest past tcp_mem's hard
 * limit: receivers dropped segments and responses waited out long
 * retransmission backoffs. What is in flight is not limited, only what
 * waits behind it; the poll wakes at half of this, still well ahead.
 */
#define NOTSENT_LOWAT (128 << 10)

static void list_add(struct worker *w, struct conn *c)
{
	c->prev = NULL;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
}

static void list_del(struct worker *w, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = NULL;
	c->next = NULL;
}

static void client_name(int fd, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t ss_len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &ss_len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
			port = ntohs(in->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
			port = ntohs(in6->sin6_port);
		}
	}
	snprintf(out, len, "%s:%d", host, port);
}

/* @what may carry the client's bytes (a path, a reason): escaped. */
static void log_conn(struct conn *c, const char *what)
{
	char client[INET6_ADDRSTRLEN + 8];
	char safe[KTLS_PRINTABLE_SIZE(600)];

	client_name(c->fd, client, sizeof(client));
	fprintf(stderr, "ktls-serve: %s: %s\n", client,
		__ktls_printable(safe, sizeof(safe), what, strlen(what)));
}

int conn_poll(struct conn *c, short events)
{
	struct io_uring_sqe *sqe = worker_sqe(c->w);

	io_uring_prep_poll_add(sqe, c->fd, (unsigned int)events);
	worker_arm(c, sqe, OP_POLL);
	return STEP_WAIT;
}

static void conn_free(struct conn *c)
{
	if (c->reply) {
		body_end(c);
		free(c->reply);
	}
	tls_end(c);
	free(c->req);
	close(c->fd);
	free(c);
}

void conn_close(struct conn *c, int err, const char *why)
{
	struct worker *w = c->w;
	struct io_uring_sqe *sqe;

	if (c->state == CONN_CLOSING)
		return;
	if (why && !w->cfg->quiet) {
		char line[600];

		snprintf(line, sizeof(line), "%s%s%s", why, err ? ": " : "",
			 err ? strerror(-err) : "");
		log_conn(c, line);
	}
	c->state = CONN_CLOSING;
	limits_release(c);
	list_del(w, c);
	STAT_SUB(w, open, 1);
	if (!c->inflight) {
		conn_free(c);
		return;
	}
	/* Wake what waits on the socket; free once every op is back. */
	shutdown(c->fd, SHUT_RDWR);
	sqe = worker_sqe(w);
	io_uring_prep_cancel_fd(sqe, c->fd, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(sqe, OP_CANCEL);
	if (c->handoff_fd >= 0) {
		sqe = worker_sqe(w);
		io_uring_prep_cancel_fd(sqe, c->handoff_fd,
					IORING_ASYNC_CANCEL_ALL);
		io_uring_sqe_set_data64(sqe, OP_CANCEL);
	}
}

static int handshake_step(struct conn *c)
{
	const struct serve_config *cfg = c->w->cfg;
	char why[400];
	int ret;

	ret = tls_step(c);
	if (ret == STEP_WAIT)
		return ret;
	if (ret < 0) {
		STAT_ADD(c->w, handshake_failures, 1);
		snprintf(why, sizeof(why), "handshake failed: %s",
			 ktls_reason());
		conn_close(c, 0, why);
		return STEP_CLOSED;
	}
	STAT_ADD(c->w, handshakes, 1);
	limits_release(c);
	c->state = CONN_READ;
	c->deadline_ms = serve_now_ms() + cfg->request_timeout_ms;
	return STEP_AGAIN;
}

/* "GET /path HTTP/1.1" from the request's first line (log_conn escapes). */
static void request_line(const char *buf, size_t len, char *out,
			 size_t out_len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < out_len && buf[i]; i++) {
		if (buf[i] == '\r' || buf[i] == '\n')
			break;
		out[i] = buf[i];
	}
	out[i] = '\0';
}

static int reply_start(struct conn *c, const char *buf, size_t len,
		       const struct http_response *resp)
{
	struct reply *r = malloc(sizeof(*r));

	if (!r) {
		if (resp->file_fd >= 0)
			close(resp->file_fd);
		return -ENOMEM;
	}
	memcpy(r->head, resp->head, resp->head_len);
	r->head_len = resp->head_len;
	r->head_sent = 0;
	r->file_fd = resp->file_fd;
	r->offset = resp->body_offset;
	r->left = resp->file_fd >= 0 ? resp->body_len : 0;
	r->body_sent = 0;
	r->status = resp->status;
	r->keep_alive = resp->keep_alive;
	request_line(buf, len, r->what, sizeof(r->what));
	r->pipe[0] = -1;
	r->pipe[1] = -1;
	r->in_pipe = 0;
	r->splice_err = 0;
	r->want_pollout = false;
	r->turn_bytes = 0;
	r->chunk = NULL;
	r->chunk_len = 0;
	c->reply = r;
	c->state = CONN_REPLY;
	c->deadline_ms = serve_now_ms() + c->w->cfg->idle_timeout_ms;
	return 0;
}

/* Plan the response to the request at the start of @buf. */
static int parse(struct conn *c, char *buf, size_t len)
{
	struct worker *w = c->w;
	size_t left;
	ssize_t used;
	int ret;

	used = http_handle(w->cfg->root_fd, buf, len, &w->response);
	if (used < 0 || (size_t)used > len)
		return -EPROTO;
	if (used == 0) {
		if (buf != c->req) {
			c->req = malloc(REQ_BUF_LEN);
			if (!c->req)
				return -ENOMEM;
			memcpy(c->req, buf, len);
			c->req_len = len;
		}
		c->need_more = true;
		return STEP_AGAIN;
	}
	ret = reply_start(c, buf, len, &w->response);
	if (ret)
		return ret;
	/* Pipelined bytes wait for the next turn. */
	left = len - (size_t)used;
	c->need_more = false;
	c->head_started = left > 0;
	if (!left) {
		free(c->req);
		c->req = NULL;
		c->req_len = 0;
	} else if (buf == c->req) {
		memmove(c->req, c->req + used, left);
		c->req_len = left;
	} else {
		c->req = malloc(REQ_BUF_LEN);
		if (!c->req)
			return -ENOMEM;
		memcpy(c->req, buf + used, left);
		c->req_len = left;
	}
	return STEP_AGAIN;
}

static int read_step(struct conn *c)
{
	struct worker *w = c->w;
	char *dst = w->request;
	size_t room = REQ_BUF_LEN;
	ssize_t n;

	if (c->req_len && (!c->need_more || c->req_len >= HTTP_MAX_HEAD))
		return parse(c, c->req, c->req_len);
	if (c->req) {
		dst = c->req + c->req_len;
		room = REQ_BUF_LEN - c->req_len;
	}
	n = tls_read(c, dst, room);
	if (n == -EAGAIN)
		return conn_poll(c, tls_wants(c, POLLIN));
	if (n <= 0) {
		char why[400];

		/*
		 * The client left (close_notify, EOF, reset, its alert), or
		 * we ended it (a KeyUpdate this kernel cannot take, a bad
		 * record): say why.
		 */
		snprintf(why, sizeof(why), "connection closed: %s",
			 ktls_reason());
		conn_close(c, 0, !c->ktls || n == 0 || n == -ECONNRESET ?
					 NULL : why);
		return STEP_CLOSED;
	}
	if (!c->head_started) {
		c->head_started = true;
		c->deadline_ms = serve_now_ms() + w->cfg->request_timeout_ms;
	}
	if (c->req) {
		c->req_len += (size_t)n;
		return parse(c, c->req, c->req_len);
	}
	return parse(c, w->request, (size_t)n);
}

static void log_reply(struct conn *c, int err)
{
	struct reply *r = c->reply;
	char line[400];

	if (c->w->cfg->quiet)
		return;
	snprintf(line, sizeof(line), "\"%s\" %d %llu%s%s", r->what, r->status,
		 (unsigned long long)r->body_sent,
		 err ? " aborted: " : "", err ? strerror(-err) : "");
	log_conn(c, line);
}

static void reply_free(struct conn *c)
{
	body_end(c);
	free(c->reply);
	c->reply = NULL;
}

static int reply_done(struct conn *c)
{
	const struct serve_config *cfg = c->w->cfg;
	bool keep_alive = c->reply->keep_alive;

	log_reply(c, 0);
	STAT_ADD(c->w, responses, 1);
	reply_free(c);
	/*
	 * Well before the key's RFC 8446 §5.5 limit: a KeyUpdate where we
	 * can (TLS 1.3, the secrets here, Linux 6.14+); else end the
	 * connection, and the client opens a new one.
	 */
	if (keep_alive && c->tx_records >= cfg->key_update_records &&
	    tls_can_update_keys(c)) {
		c->state = CONN_KEY_UPDATE;
		c->deadline_ms = serve_now_ms() + cfg->idle_timeout_ms;
		return STEP_AGAIN;
	}
	if (!keep_alive || c->tx_records >= cfg->key_update_records) {
		c->state = CONN_CLOSE_NOTIFY;
		c->deadline_ms = serve_now_ms() + cfg->idle_timeout_ms;
		return STEP_AGAIN;
	}
	c->state = CONN_READ;
	c->deadline_ms = serve_now_ms() + (c->req_len ?
					   cfg->request_timeout_ms :
					   cfg->idle_timeout_ms);
	return STEP_AGAIN;
}

/* Our KeyUpdate went out under the old key; the next request is read. */
static int key_update_step(struct conn *c)
{
	const struct serve_config *cfg = c->w->cfg;
	char why[400];
	int ret = tls_update_keys(c);

	if (ret == -EAGAIN)
		return conn_poll(c, POLLOUT);
	if (ret) {
		snprintf(why, sizeof(why), "KeyUpdate failed: %s",
			 ktls_reason());
		conn_close(c, 0, why);
		return STEP_CLOSED;
	}
	c->tx_records = 0;
	c->state = CONN_READ;
	c->deadline_ms = serve_now_ms() + (c->req_len ?
					   cfg->request_timeout_ms :
					   cfg->idle_timeout_ms);
	return STEP_AGAIN;
}

static int reply_step(struct conn *c)
{
	struct reply *r = c->reply;
	ssize_t n;
	int ret;

	if (!r->head_sent) {
		/* RFC 8446 4.6.3: the KeyUpdate the client asked for first. */
		ret = tls_key_update_due(c);
		if (ret == -EAGAIN)
			return conn_poll(c, POLLOUT);
		if (ret)
			goto abort;
	}
	if (r->head_sent < r->head_len) {
		n = tls_write(c, r->head + r->head_sent,
			      r->head_len - r->head_sent, r->left > 0);
		if (n == -EAGAIN)
			return conn_poll(c, tls_wants(c, POLLOUT));
		if (n < 0) {
			ret = (int)n;
			goto abort;
		}
		r->head_sent += (size_t)n;
		c->tx_records++;
		return STEP_AGAIN;
	}
	if (r->left) {
		ret = body_step(c);
		if (ret >= 0)
			return ret;
		goto abort;
	}
	return reply_done(c);

abort:
	log_reply(c, ret);
	conn_close(c, ret, NULL);
	return STEP_CLOSED;
}

/*
 * The close_notify must go out, or the client sees the stream end without
 * it ("unexpected eof"); the body may have left no room for it: wait.
 * With kTLS, no shutdown(SHUT_WR) after it: the kernel may still hold
 * encrypted records that TCP had no room for (pushed later from its work
 * queue), and a FIN queued now would go out before them, truncating the
 * body. The client closes once it has read our close_notify, which comes
 * after every byte; linger_step() waits for that.
 */
static int close_notify_step(struct conn *c)
{
	int ret = tls_close_notify(c);

	if (ret == -EAGAIN)
		return conn_poll(c, POLLOUT);
	if (ret)
		return ret;
	if (!c->ktls)
		shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	c->deadline_ms = serve_now_ms() + LINGER_MS;
	return STEP_AGAIN;
}

/* After our close_notify: drain until the client leaves too. */
static int linger_step(struct conn *c)
{
	ssize_t n;

	do {
		n = tls_read(c, c->w->request, REQ_BUF_LEN);
	} while (n > 0);
	if (n == -EAGAIN)
		return conn_poll(c, tls_wants(c, POLLIN));
	return STEP_DONE;
}

static void conn_run(struct conn *c)
{
	int ret;

	do {
		switch (c->state) {
		case CONN_HANDSHAKE:
		case CONN_HANDOFF:
			ret = handshake_step(c);
			break;
		case CONN_READ:
			ret = read_step(c);
			break;
		case CONN_REPLY:
			ret = reply_step(c);
			break;
		case CONN_KEY_UPDATE:
			ret = key_update_step(c);
			break;
		case CONN_CLOSE_NOTIFY:
			ret = close_notify_step(c);
			break;
		case CONN_LINGER:
			ret = linger_step(c);
			break;
		default:
			return;
		}
	} while (ret == STEP_AGAIN);
	if (ret == STEP_DONE)
		conn_close(c, 0, NULL);
	else if (ret < 0)
		conn_close(c, ret, "connection failed");
}

void conn_open(struct worker *w, int fd)
{
	const struct serve_config *cfg = w->cfg;
	char why[400];
	struct conn *c;
	int one = 1, lowat = NOTSENT_LOWAT, ret;

	STAT_ADD(w, accepted, 1);
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->w = w;
	c->fd = fd;
	c->handoff_fd = -1;
	c->source_bucket = -1;
	/* Over a cap: gone at once, before any TLS state (and quietly). */
	if (limits_take(c)) {
		close(fd);
		free(c);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	list_add(w, c);
	STAT_ADD(w, open, 1);
	c->deadline_ms = serve_now_ms() + cfg->handshake_timeout_ms;
	c->state = cfg->ktlsd_path ? CONN_HANDOFF : CONN_HANDSHAKE;
	ret = tls_begin(c);
	if (ret) {
		STAT_ADD(w, handshake_failures, 1);
		snprintf(why, sizeof(why), "cannot start the handshake: %s",
			 ktls_reason());
		conn_close(c, 0, why);
		return;
	}
	conn_run(c);
}

void conn_event(struct conn *c, enum op_kind kind, int res)
{
	c->inflight--;
	if (c->state == CONN_CLOSING) {
		if (!c->inflight)
			conn_free(c);
		return;
	}
	if (kind == OP_SPLICE_IN || kind == OP_SPLICE_OUT) {
		body_splice_done(c, kind, res);
		if (c->inflight)
			return;
	} else if (res < 0) {
		conn_close(c, res, "poll failed");
		return;
	}
	conn_run(c);
}

static const char *timeout_name(const struct conn *c)
{
	switch (c->state) {
	case CONN_HANDSHAKE:
	case CONN_HANDOFF:
		return "handshake timed out";
	case CONN_READ:
		return c->head_started ? "request timed out" : NULL;
	case CONN_REPLY:
	case CONN_KEY_UPDATE:
	case CONN_CLOSE_NOTIFY:
		return "response timed out (the client stopped reading)";
	default:
		return NULL;
	}
}

void conn_sweep(struct worker *w, int64_t now)
{
	struct conn *c, *next;
	const char *why;

	for (c = w->conns; c; c = next) {
		next = c->next;
		if (now < c->deadline_ms)
			continue;
		why = timeout_name(c);
		/* An idle keep-alive connection ending is no news. */
		if (why)
			STAT_ADD(w, timeouts, 1);
		if (c->reply)
			log_reply(c, -ETIMEDOUT);
		conn_close(c, 0, why);
	}
}

void conn_close_all(struct worker *w)
{
	struct conn *c, *next;

	for (c = w->conns; c; c = next) {
		next = c->next;
		c->inflight = 0;
		conn_close(c, 0, NULL);
	}
}
