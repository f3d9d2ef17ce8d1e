// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon side of the handoff (wire format: userspace/lib/handoff_wire.h).
 * Every request is checked before anything is done with it; whatever goes
 * wrong, the application gets one answer with a status and a reason, and
 * every fd the request brought is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handoff.h"
#include "log.h"
#include "profile.h"

/* Handshakes running in every loop, for [handoff] max_in_flight. */
static atomic_int handshakes_in_flight;

static const char *role_name(const struct handoff *h)
{
	return h->req.role == KTLS_HANDOFF_WIRE_CLIENT ? "client" : "server";
}

static void answer(struct handoff *h, const struct ktls_handoff_wire_res *res)
{
	ssize_t n;

	do {
		n = send(h->conn_fd, res, sizeof(*res),
			 MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		log_debug("pid %d: cannot answer (the application left?): %s",
			  (int)h->peer_pid, strerror(errno));
}

/* Give the socket back as it came: the application shares its flags. */
static void release_tcp(struct handoff *h)
{
	if (h->tcp_fd < 0)
		return;
	if (h->tcp_events)
		ktlsd_loop_unwatch(h->loop, h->tcp_fd);
	h->tcp_events = 0;
	if (h->tcp_flags >= 0)
		fcntl(h->tcp_fd, F_SETFL, h->tcp_flags);
	close(h->tcp_fd);
	h->tcp_fd = -1;
}

static void describe(struct handoff *h, struct ktls_handoff_wire_res *res)
{
	struct ktls_cert_info info;

	snprintf(res->tls_version, sizeof(res->tls_version), "%s",
		 ktls_session_version(h->session));
	snprintf(res->cipher, sizeof(res->cipher), "%s",
		 ktls_session_cipher(h->session));
	snprintf(res->alpn, sizeof(res->alpn), "%s",
		 ktls_session_alpn(h->session));
	if (ktls_session_peer_certs(h->session) > 0 &&
	    !ktls_session_peer_cert(h->session, 0, &info))
		snprintf(res->peer, sizeof(res->peer), "%s", info.subject);
}

/* Answer, close everything, and leave the rest to the loop. */
static void finish(struct handoff *h, int status, const char *reason)
{
	struct ktls_handoff_wire_res res = {
		.magic = KTLS_HANDOFF_MAGIC,
		.version = KTLS_HANDOFF_VERSION,
		.size = sizeof(res),
		.status = status,
	};

	if (h->state == HANDOFF_DONE)
		return;
	if (status) {
		snprintf(res.reason, sizeof(res.reason), "%s", reason);
		log_info("pid %d uid %u: %s handshake failed: %s",
			 (int)h->peer_pid, (unsigned int)h->peer_uid,
			 role_name(h), reason);
	} else {
		describe(h, &res);
		log_info("pid %d uid %u: %s handshake done: %s %s%s%s",
			 (int)h->peer_pid, (unsigned int)h->peer_uid,
			 role_name(h), res.tls_version, res.cipher,
			 *res.alpn ? ", ALPN " : "", res.alpn);
	}
	/* The session's secrets go before the application hears anything. */
	ktls_session_free(h->session);
	h->session = NULL;
	release_tcp(h);
	answer(h, &res);
	h->state = HANDOFF_DONE;
	ktlsd_loop_unwatch(h->loop, h->conn_fd);
	close(h->conn_fd);
	h->conn_fd = -1;
	ktlsd_loop_retire(h->loop, &h->task);
}

static void handoff_expire(struct ktlsd_task *task)
{
	struct handoff *h = (struct handoff *)task;

	finish(h, -ETIMEDOUT, h->state == HANDOFF_READING ?
	       "no handoff request arrived in time" :
	       "TLS handshake timed out: the peer did not finish in time");
}

static void handoff_stop(struct ktlsd_task *task)
{
	finish((struct handoff *)task, -ESHUTDOWN, "ktlsd is shutting down");
}

static void handoff_free(struct ktlsd_task *task)
{
	struct handoff *h = (struct handoff *)task;

	if (h->own_ctx)
		ktls_ctx_free(h->ctx);
	if (h->counted)
		atomic_fetch_sub(&handshakes_in_flight, 1);
	ktlsd_profile_put(h->profile);
	free(h);
}

static const struct ktlsd_task_ops handoff_ops = {
	.expire = handoff_expire,
	.stop = handoff_stop,
	.free = handoff_free,
};

int handoff_new(struct ktlsd_loop *loop, int conn_fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct handoff *h;
	int ret;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->task.ops = &handoff_ops;
	h->loop = loop;
	h->conn_fd = conn_fd;
	h->tcp_fd = -1;
	h->tcp_flags = -1;
	h->peer_pid = -1;
	h->conn_watch.kind = KTLSD_WATCH_CONN;
	h->tcp_watch.kind = KTLSD_WATCH_TCP;
	if (!getsockopt(conn_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		h->peer_pid = cred.pid;
		h->peer_uid = cred.uid;
	}
	h->profile = ktlsd_profile_current();
	ret = ktlsd_loop_watch(loop, conn_fd, &h->conn_watch,
			       EPOLLIN | EPOLLRDHUP);
	if (ret) {
		ktlsd_profile_put(h->profile);
		free(h);
		return ret;
	}
	/* A request must arrive as soon as a handshake would have to. */
	ktlsd_loop_set_deadline(loop, &h->task, ktlsd_now_ms() +
				h->profile->config.handshake_timeout_ms);
	return 0;
}

/* Take every fd the message carried: the first in @fd, the rest closed. */
static int take_fds(struct msghdr *msg, int *fd)
{
	int count = 0;

	*fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
	     c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int one;

			memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = one;
			else
				close(one);
			count++;
		}
	}
	return count;
}

static bool terminated(const char *s, size_t len)
{
	return memchr(s, '\0', len);
}

static int check_request(const struct ktls_handoff_wire_req *req, ssize_t n,
			 int msg_flags, int nr_fds, char *why, size_t why_len)
{
	if (n != (ssize_t)sizeof(*req) || (msg_flags & MSG_TRUNC)) {
		snprintf(why, why_len,
			 "malformed handoff request: %zd bytes, expected %zu (libktls and ktlsd differ?)",
			 n, sizeof(*req));
		return -EBADMSG;
	}
	if (req->magic != KTLS_HANDOFF_MAGIC || req->size != sizeof(*req)) {
		snprintf(why, why_len,
			 "malformed handoff request: bad magic or size field");
		return -EBADMSG;
	}
	if (req->version != KTLS_HANDOFF_VERSION) {
		snprintf(why, why_len,
			 "handoff version %u is not supported: ktlsd speaks version %u",
			 req->version, KTLS_HANDOFF_VERSION);
		return -EPROTO;
	}
	if (msg_flags & MSG_CTRUNC || nr_fds != 1) {
		snprintf(why, why_len,
			 "malformed handoff request: it must carry exactly one fd (SCM_RIGHTS), it carried %d",
			 nr_fds);
		return -EBADMSG;
	}
	if ((req->role != KTLS_HANDOFF_WIRE_CLIENT &&
	     req->role != KTLS_HANDOFF_WIRE_SERVER) || req->timeout_ms < 0 ||
	    !terminated(req->server_name, sizeof(req->server_name)) ||
	    !terminated(req->alpn, sizeof(req->alpn))) {
		snprintf(why, why_len,
			 "malformed handoff request: bad role, timeout or unterminated string");
		return -EBADMSG;
	}
	if (req->role == KTLS_HANDOFF_WIRE_CLIENT && !req->server_name[0]) {
		snprintf(why, why_len,
			 "a client-role handoff needs the server name to verify");
		return -EINVAL;
	}
	return 0;
}

/* kTLS needs a connected TCP socket; say plainly what else it got. */
static int check_tcp(int fd, char *why, size_t why_len)
{
	int domain = 0, type = 0, protocol = 0;
	socklen_t len = sizeof(int);
	struct sockaddr_storage peer;
	socklen_t peer_len = sizeof(peer);
	struct stat st;

	if (fstat(fd, &st)) {
		snprintf(why, why_len, "cannot inspect the fd: %s",
			 strerror(errno));
		return -EBADF;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(why, why_len,
			 "the fd is not a socket (a %s): kernel TLS needs a connected TCP socket",
			 S_ISFIFO(st.st_mode) ? "pipe" :
			 S_ISREG(st.st_mode)  ? "regular file" :
						"non-socket file");
		return -ENOTSOCK;
	}
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len);
	if ((domain != AF_INET && domain != AF_INET6) || type != SOCK_STREAM ||
	    protocol != IPPROTO_TCP) {
		snprintf(why, why_len,
			 "the fd is a %s socket, not TCP: kernel TLS needs a connected TCP socket",
			 domain == AF_UNIX ? "UNIX" :
			 type == SOCK_DGRAM ? "datagram" : "non-TCP");
		return -EPROTONOSUPPORT;
	}
	if (getpeername(fd, (struct sockaddr *)&peer, &peer_len)) {
		snprintf(why, why_len,
			 "the TCP socket is not connected: connect or accept it first");
		return -ENOTCONN;
	}
	return 0;
}

static int pick_ctx(struct handoff *h, char *why, size_t why_len)
{
	struct ktlsd_profile *p = h->profile;
	int ret;

	if (h->req.role == KTLS_HANDOFF_WIRE_SERVER) {
		if (!p->server) {
			snprintf(why, why_len,
				 "ktlsd has no [server] section in %.150s: it cannot run server handshakes",
				 p->config.path);
			return -EOPNOTSUPP;
		}
		h->ctx = p->server;
		return 0;
	}
	if (!p->config.client.enabled) {
		snprintf(why, why_len,
			 "ktlsd has no [client] section in %.150s: it cannot run client handshakes",
			 p->config.path);
		return -EOPNOTSUPP;
	}
	ret = ktlsd_profile_client_ctx(p, h->req.server_name, &h->ctx,
				       &h->own_ctx);
	if (ret)
		snprintf(why, why_len, "%s", ktls_reason());
	return ret;
}

static void step(struct handoff *h)
{
	uint32_t events;
	int ret;

	ret = ktls_handshake_step(h->session);
	if (ret == -EAGAIN) {
		events = ktls_session_wants(h->session) & POLLOUT ? EPOLLOUT :
								     EPOLLIN;
		if (events != h->tcp_events) {
			ret = ktlsd_loop_watch(h->loop, h->tcp_fd,
					       &h->tcp_watch, events);
			if (ret) {
				finish(h, ret, "epoll_ctl failed on the socket");
				return;
			}
			h->tcp_events = events;
		}
		return;
	}
	if (!ret)
		ret = ktls_install(h->session, KTLS_TX | KTLS_RX);
	finish(h, ret, ret ? ktls_reason() : "");
}

/*
 * Over the limit the application hears so at once, rather than waiting
 * behind handshakes that may all be stalled peers.
 */
static int take_slot(struct handoff *h, char *why, size_t why_len)
{
	int limit = h->profile->config.handoff_max_in_flight;

	if (atomic_fetch_add(&handshakes_in_flight, 1) >= limit) {
		atomic_fetch_sub(&handshakes_in_flight, 1);
		snprintf(why, why_len,
			 "ktlsd is at its limit of %d handoffs in flight ([handoff] max_in_flight); try again later",
			 limit);
		return -EBUSY;
	}
	h->counted = true;
	return 0;
}

static int start_handshake(struct handoff *h, char *why, size_t why_len)
{
	int timeout_ms, ret;

	ret = take_slot(h, why, why_len);
	if (ret)
		return ret;
	ret = pick_ctx(h, why, why_len);
	if (ret)
		return ret;
	h->tcp_flags = fcntl(h->tcp_fd, F_GETFL);
	if (h->tcp_flags < 0 ||
	    fcntl(h->tcp_fd, F_SETFL, h->tcp_flags | O_NONBLOCK)) {
		ret = -errno;	/* before snprintf can change it */
		snprintf(why, why_len, "fcntl on the socket: %s",
			 strerror(-ret));
		return ret;
	}
	ret = ktls_handshake_start(h->ctx, h->tcp_fd, &h->session);
	if (!ret && h->req.alpn[0])
		ret = ktls_session_set_alpn(h->session, h->req.alpn);
	if (ret) {
		snprintf(why, why_len, "%s", ktls_reason());
		return ret;
	}
	/*
	 * An application may ask for less time, never for more: a local
	 * client must not pin a handshake slot beyond the operator's limit.
	 */
	timeout_ms = ktls_ctx_timeout_ms(h->ctx);
	if (h->req.timeout_ms && h->req.timeout_ms < timeout_ms)
		timeout_ms = h->req.timeout_ms;
	ktlsd_loop_set_deadline(h->loop, &h->task, ktlsd_now_ms() + timeout_ms);
	/* Only hang-ups matter on the application's side from now on. */
	ret = ktlsd_loop_watch(h->loop, h->conn_fd, &h->conn_watch,
			       EPOLLRDHUP);
	if (ret) {
		snprintf(why, why_len, "epoll_ctl: %s", strerror(-ret));
		return ret;
	}
	h->state = HANDOFF_HANDSHAKE;
	log_debug("pid %d uid %u: %s handshake started%s%s", (int)h->peer_pid,
		  (unsigned int)h->peer_uid, role_name(h),
		  h->req.server_name[0] ? " for " : "", h->req.server_name);
	step(h);
	return 0;
}

static void read_request(struct handoff *h)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} control;
	/* One byte more than a request, to see one that is too long. */
	char data[sizeof(struct ktls_handoff_wire_req) + 1];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	char why[256];
	int nr_fds, ret;
	ssize_t n;

	n = recvmsg(h->conn_fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/*
	 * Before anything else: a message, even an empty one, may carry
	 * descriptors the kernel has already put in our table.
	 */
	nr_fds = n >= 0 ? take_fds(&msg, &h->tcp_fd) : 0;
	if (n <= 0) {
		/* Gone before asking: nobody to answer. */
		log_debug("pid %d: the application left before its request",
			  (int)h->peer_pid);
		finish(h, -ECONNRESET, "the application closed the connection");
		return;
	}
	memcpy(&h->req, data, n < (ssize_t)sizeof(h->req) ? (size_t)n :
							       sizeof(h->req));
	ret = check_request(&h->req, n, msg.msg_flags, nr_fds, why,
			    sizeof(why));
	if (!ret)
		ret = check_tcp(h->tcp_fd, why, sizeof(why));
	if (!ret)
		ret = start_handshake(h, why, sizeof(why));
	if (ret)
		finish(h, ret, why);
}

void handoff_event(struct handoff *h, struct ktlsd_watch *watch,
		   uint32_t events)
{
	if (h->state == HANDOFF_DONE)
		return;
	if (watch == &h->conn_watch) {
		if (h->state == HANDOFF_READING) {
			read_request(h);
			return;
		}
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			finish(h, -ECONNABORTED,
			       "the application closed the handoff during the handshake");
		return;
	}
	step(h);
}
