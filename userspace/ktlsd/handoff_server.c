// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon side of the handoff (wire format: include/ktls/handoff_wire.h).
 * Every request is checked before anything is done with it; whatever goes
 * wrong, the application gets one answer with a status and a reason, and
 * every fd the request brought is closed.
 *
 * A handoff holds as little as it can for as short as it can, each counted
 * per client uid and in total (quota.c): a connection without a request
 * yet, for [handoff] request_timeout; a server handoff whose TLS peer has
 * sent nothing yet, for first_byte_timeout, and no handshake slot (most of
 * what an idle flood costs is fds, not CPU or memory); a handshake slot
 * only once the peer speaks, or at once for a client, which speaks first.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handoff.h"
#include "handoff_request.h"
#include "handshake_step.h"
#include "ktls/tls_prot.h"
#include "log.h"
#include "policy.h"
#include "profile.h"
#include "sni_peek.h"

#define REFUSAL_LOG_MS 10000

static const char *role_name(const struct handoff *h)
{
	return h->req.role == KTLS_HANDOFF_WIRE_CLIENT ? "client" : "server";
}

static int send_answer(int fd, const struct ktls_handoff_wire_res *res)
{
	ssize_t n;

	do {
		n = send(fd, res, sizeof(*res), MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

static void answer(struct handoff *h, const struct ktls_handoff_wire_res *res)
{
	int ret = send_answer(h->conn_fd, res);

	if (ret)
		log_debug("pid %d: cannot answer (the application left?): %s",
			  (int)h->peer_pid, strerror(-ret));
}

void handoff_refuse(int conn_fd, int status, const char *reason)
{
	struct ktls_handoff_wire_res res = {
		.magic = KTLS_HANDOFF_MAGIC,
		.version = KTLS_HANDOFF_VERSION,
		.size = sizeof(res),
		.status = status,
	};

	snprintf(res.reason, sizeof(res.reason), "%s", reason);
	send_answer(conn_fd, &res);
}

static const char *const limit_key[KTLSD_QUOTA_KINDS][2] = {
	{ "[handoff] max_unrequested", "[handoff] max_unrequested_per_uid" },
	{ "[handoff] max_waiting", "[handoff] max_waiting_per_uid" },
	{ "[handoff] max_in_flight", "[handoff] max_in_flight_per_uid" },
};

/* Count @kind for this handoff's uid, within its rule's limits if any. */
static int hold(struct handoff *h, enum ktlsd_quota_kind kind, char *why,
		size_t why_len)
{
	const struct ktlsd_config *c = &h->profile->config;
	struct ktlsd_quota_limit limit = {
		.total_key = limit_key[kind][0],
		.per_uid_key = limit_key[kind][1],
	};
	char rule_key[128];
	int rule_max = 0, ret;

	switch (kind) {
	case KTLSD_QUOTA_UNREQUESTED:
		limit.total = c->handoff_max_unrequested;
		limit.per_uid = c->handoff_max_unrequested_per_uid;
		break;
	case KTLSD_QUOTA_WAITING:
		limit.total = c->handoff_max_waiting;
		limit.per_uid = c->handoff_max_waiting_per_uid;
		rule_max = h->rule ? h->rule->max_waiting : 0;
		break;
	default:
		limit.total = c->handoff_max_in_flight;
		limit.per_uid = c->handoff_max_in_flight_per_uid;
		rule_max = h->rule ? h->rule->max_in_flight : 0;
		break;
	}
	if (rule_max) {
		snprintf(rule_key, sizeof(rule_key), "[%s] %s", h->rule->label,
			 kind == KTLSD_QUOTA_WAITING ? "max_waiting" :
						       "max_in_flight");
		limit.per_uid = rule_max;
		limit.per_uid_key = rule_key;
	}
	ret = ktlsd_quota_take(kind, h->peer_uid, &limit, why, why_len);
	if (!ret)
		h->held[kind] = true;
	return ret;
}

static void unhold(struct handoff *h, enum ktlsd_quota_kind kind)
{
	if (!h->held[kind])
		return;
	ktlsd_quota_put(kind, h->peer_uid);
	h->held[kind] = false;
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

/*
 * A flood meets the limits thousands of times a second: one warning per
 * REFUSAL_LOG_MS says so (and how often), the rest go to debug.
 */
static atomic_llong refusal_logged_at;	/* ms; 0: never */
static atomic_long refused;	/* since the last warning */

static void log_refusal(const struct handoff *h, const char *reason)
{
	long long now = ktlsd_now_ms(), last = atomic_load(&refusal_logged_at);
	long n = atomic_fetch_add(&refused, 1) + 1;

	if ((last && now - last < REFUSAL_LOG_MS) ||
	    !atomic_compare_exchange_strong(&refusal_logged_at, &last, now)) {
		log_debug("pid %d uid %u: refused: %s", (int)h->peer_pid,
			  (unsigned int)h->peer_uid, reason);
		return;
	}
	atomic_fetch_sub(&refused, n);
	log_warning("pid %d uid %u: refused: %s (%ld handoffs refused over a limit since the last report)",
		    (int)h->peer_pid, (unsigned int)h->peer_uid, reason, n);
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
	if (status == -EBUSY) {
		snprintf(res.reason, sizeof(res.reason), "%s", reason);
		log_refusal(h, reason);
	} else if (status) {
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
	struct handoff *h = container_of(task, struct handoff, task);
	char why[256];

	if (h->state == HANDOFF_READING) {
		finish(h, -ETIMEDOUT,
		       "no handoff request arrived in time ([handoff] request_timeout)");
		return;
	}
	if (h->state == HANDOFF_WAITING && h->first_byte_cut) {
		snprintf(why, sizeof(why),
			 "the TLS peer %s within %d ms ([handoff] first_byte_timeout)",
			 ktlsd_policy_wants_sni(h->rule) ?
			 "did not send its first record" : "sent nothing",
			 h->profile->config.handoff_first_byte_timeout_ms);
		finish(h, -ETIMEDOUT, why);
		return;
	}
	finish(h, -ETIMEDOUT,
	       "TLS handshake timed out: the peer did not finish in time");
}

static void handoff_stop(struct ktlsd_task *task)
{
	finish(container_of(task, struct handoff, task), -ESHUTDOWN, "ktlsd is shutting down");
}

static void handoff_free(struct ktlsd_task *task)
{
	struct handoff *h = container_of(task, struct handoff, task);

	if (h->own_ctx)
		ktls_ctx_free(h->ctx);
	for (int k = 0; k < KTLSD_QUOTA_KINDS; k++)
		unhold(h, (enum ktlsd_quota_kind)k);
	ktlsd_profile_put(h->profile);
	free(h);
}

static const struct ktlsd_task_ops handoff_ops = {
	.expire = handoff_expire,
	.stop = handoff_stop,
	.free = handoff_free,
};

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
	const char *why;
	int ret;

	ret = ktlsd_handshake_step(h->loop, h->session, h->tcp_fd,
				   &h->tcp_watch, &h->tcp_events, &why);
	if (ret == -EAGAIN)
		return;
	if (!ret) {
		ret = ktls_install(h->session, KTLS_TX | KTLS_RX);
		why = ret ? ktls_reason() : "";
	}
	finish(h, ret, why);
}

/*
 * Over a limit the application hears so at once, rather than waiting
 * behind handshakes that may all be stalled peers.
 */
static int start_handshake(struct handoff *h, char *why, size_t why_len)
{
	int ret;

	ret = hold(h, KTLSD_QUOTA_IN_FLIGHT, why, why_len);
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
	ktlsd_loop_set_deadline(h->loop, &h->task, h->end);
	h->state = HANDOFF_HANDSHAKE;
	log_debug("pid %d uid %u: %s handshake started%s%s", (int)h->peer_pid,
		  (unsigned int)h->peer_uid, role_name(h),
		  h->req.server_name[0] ? " for " : "", h->req.server_name);
	step(h);
	return 0;
}

/*
 * Under a rule with server_names, the whole first record must be there:
 * its SNI decides whether the key is used at all. 0 to go on, -EAGAIN to
 * wait for more, else why not.
 */
static int check_sni(struct handoff *h, uint32_t events, char *why,
		     size_t why_len)
{
	char sni[260];
	int ret;

	ret = ktlsd_sni_peek(h->tcp_fd, sni, sizeof(sni));
	if (ret == -EAGAIN && !(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return -EAGAIN;
	if (ret == -EAGAIN || ret == -ECONNRESET) {
		snprintf(why, why_len,
			 "the TLS peer left before its ClientHello arrived");
		return -ECONNRESET;
	}
	/*
	 * Refusals are said on the wire, as tlshd does: nothing of ours has
	 * gone out, so a plaintext alert (RFC 8446 §6.2; RFC 6066 §3 for the
	 * name) tells the peer why the connection ends.
	 */
	if (ret) {
		snprintf(why, why_len,
			 "the TLS peer's first record is not a ClientHello ktlsd can read its server name from ([%s] has server_names)",
			 h->rule->label);
		__ktls_plain_alert(h->tcp_fd, TLS_ALERT_DESC_DECODE_ERROR);
		return ret;
	}
	ret = ktlsd_policy_check_sni(h->rule, h->peer_uid, sni, why, why_len);
	if (ret)
		__ktls_plain_alert(h->tcp_fd, TLS_ALERT_DESC_UNRECOGNIZED_NAME);
	return ret;
}

/* The server's peer spoke (or hung up): now the handshake costs. */
static void first_byte(struct handoff *h, uint32_t events)
{
	char why[256];
	int ret = 0;

	if (ktlsd_policy_wants_sni(h->rule))
		ret = check_sni(h, events, why, sizeof(why));
	if (ret == -EAGAIN)
		return;
	unhold(h, KTLSD_QUOTA_WAITING);
	if (!ret)
		ret = start_handshake(h, why, sizeof(why));
	if (ret)
		finish(h, ret, why);
}

/*
 * A server handshake begins with the peer's ClientHello: until its first
 * byte the socket is only watched, under first_byte_timeout.
 */
static int wait_first_byte(struct handoff *h, char *why, size_t why_len)
{
	int first_ms = h->profile->config.handoff_first_byte_timeout_ms;
	int64_t deadline = ktlsd_now_ms() + first_ms;
	uint32_t events;
	int ret;

	ret = hold(h, KTLSD_QUOTA_WAITING, why, why_len);
	if (ret)
		return ret;
	/* Edge-triggered while a partial record is left in the socket. */
	events = EPOLLIN | EPOLLRDHUP;
	if (ktlsd_policy_wants_sni(h->rule))
		events |= EPOLLET;
	ret = ktlsd_loop_watch(h->loop, h->tcp_fd, &h->tcp_watch, events);
	if (ret) {
		snprintf(why, why_len, "epoll_ctl: %s", strerror(-ret));
		return ret;
	}
	h->tcp_events = events;
	h->first_byte_cut = deadline < h->end;
	ktlsd_loop_set_deadline(h->loop, &h->task,
				h->first_byte_cut ? deadline : h->end);
	h->state = HANDOFF_WAITING;
	log_debug("pid %d uid %u: server handoff waiting for the peer's first byte",
		  (int)h->peer_pid, (unsigned int)h->peer_uid);
	return 0;
}

/* A checked request: its context, its deadline, then wait or start. */
static int accept_request(struct handoff *h, char *why, size_t why_len)
{
	bool server = h->req.role == KTLS_HANDOFF_WIRE_SERVER;
	int timeout_ms, ret;

	ret = ktlsd_policy_check(&h->profile->config, h->rule, h->peer_uid,
				 server, h->req.server_name, why, why_len);
	if (ret)
		return ret;
	ret = check_tcp(h->tcp_fd, why, why_len);
	if (ret)
		return ret;
	ret = pick_ctx(h, why, why_len);
	if (ret)
		return ret;
	/*
	 * An application may ask for less time, never for more: a local
	 * client must not pin a handshake slot beyond the operator's limit.
	 */
	timeout_ms = ktls_ctx_timeout_ms(h->ctx);
	if (h->req.timeout_ms && h->req.timeout_ms < timeout_ms)
		timeout_ms = h->req.timeout_ms;
	h->end = ktlsd_now_ms() + timeout_ms;
	/* Only hang-ups matter on the application's side from now on. */
	ret = ktlsd_loop_watch(h->loop, h->conn_fd, &h->conn_watch,
			       EPOLLRDHUP);
	if (ret) {
		snprintf(why, why_len, "epoll_ctl: %s", strerror(-ret));
		return ret;
	}
	if (server)
		return wait_first_byte(h, why, why_len);
	return start_handshake(h, why, why_len);
}

/* 0 once the request is handled (or the handoff over), -EAGAIN if none yet. */
static int read_request(struct handoff *h)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HANDOFF_REQUEST_MAX_FDS)];
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
	struct handoff_request r;
	char why[256];
	ssize_t n;
	int ret;

	n = recvmsg(h->conn_fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -EAGAIN;
	/*
	 * Before anything else: a message, even an empty one, may carry
	 * descriptors the kernel has already put in our table. The buffer
	 * has room for HANDOFF_REQUEST_MAX_FDS: all of them are in r.fds.
	 */
	r.nr_fds = 0;
	r.nr_named = 0;
	if (n >= 0)
		handoff_request_fds(msg.msg_control, msg.msg_controllen, &r);
	for (int i = 0; i < r.nr_fds; i++) {
		if (i == 0 && r.fds[0] >= 0)
			h->tcp_fd = r.fds[0];
		else if (r.fds[i] >= 0)
			close(r.fds[i]);
	}
	unhold(h, KTLSD_QUOTA_UNREQUESTED);
	if (n <= 0) {
		/* Gone before asking: nobody to answer. */
		log_debug("pid %d: the application left before its request",
			  (int)h->peer_pid);
		finish(h, -ECONNRESET, "the application closed the connection");
		return 0;
	}
	ret = handoff_request_decode(data, (size_t)n, msg.msg_flags, &r, why,
				     sizeof(why));
	if (!ret) {
		h->req = r.req;
		ret = accept_request(h, why, sizeof(why));
	}
	if (ret)
		finish(h, ret, why);
	return 0;
}

/* The application's connection: its request, or its end. */
static void conn_event(struct ktlsd_loop *loop, struct ktlsd_watch *w,
		       uint32_t events)
{
	struct handoff *h = container_of(w, struct handoff, conn_watch);

	(void)loop;
	if (h->state == HANDOFF_READING)
		read_request(h);
	else if (h->state != HANDOFF_DONE &&
		 events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		finish(h, -ECONNABORTED,
		       "the application closed the handoff during the handshake");
}

/* The TCP socket: the peer's first byte, or the handshake's next step. */
static void tcp_event(struct ktlsd_loop *loop, struct ktlsd_watch *w,
		      uint32_t events)
{
	struct handoff *h = container_of(w, struct handoff, tcp_watch);

	(void)loop;
	if (h->state == HANDOFF_WAITING)
		first_byte(h, events);
	else if (h->state == HANDOFF_HANDSHAKE)
		step(h);
}

static const struct ktlsd_watch_ops conn_watch_ops = { .event = conn_event };
static const struct ktlsd_watch_ops tcp_watch_ops = { .event = tcp_event };

int handoff_new(struct ktlsd_loop *loop, int conn_fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct handoff *h;
	char why[256];
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
	h->conn_watch.ops = &conn_watch_ops;
	h->tcp_watch.ops = &tcp_watch_ops;
	if (!getsockopt(conn_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		h->peer_pid = cred.pid;
		h->peer_uid = cred.uid;
		h->peer_gid = cred.gid;
	}
	len = sizeof(h->groups);
	if (!getsockopt(conn_fd, SOL_SOCKET, SO_PEERGROUPS, h->groups, &len))
		h->nr_groups = (int)(len / sizeof(gid_t));
	h->profile = ktlsd_profile_current();
	h->rule = ktlsd_policy_match(&h->profile->config, h->peer_uid,
				     h->peer_gid, h->groups, h->nr_groups);
	ret = ktlsd_loop_watch(loop, conn_fd, &h->conn_watch,
			       EPOLLIN | EPOLLRDHUP);
	if (ret) {
		ktlsd_profile_put(h->profile);
		free(h);
		return ret;
	}
	/* A request usually comes with the connection: then it never waits. */
	if (read_request(h) != -EAGAIN)
		return 0;
	ret = hold(h, KTLSD_QUOTA_UNREQUESTED, why, sizeof(why));
	if (ret) {
		finish(h, ret, why);
		return 0;
	}
	ktlsd_loop_set_deadline(loop, &h->task, ktlsd_now_ms() +
				h->profile->config.handoff_request_timeout_ms);
	return 0;
}
