// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel handshake requests served in the event loops (see
 * upcall_server.h). The broker's request brings the socket and the key
 * material; libupcall starts its handshake (upcall_prepare_with), the
 * loop steps it when its socket is ready, libupcall installs kernel TLS
 * (upcall_complete), and the outcome goes back to the broker for DONE.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handshake_step.h"
#include "log.h"
#include "profile.h"
#include "psk_keyring.h"
#include "upcall_server.h"
#include "upcall_wire.h"

#define UPCALLS_PER_WAKE 64

static void jobs_event(struct ktlsd_loop *loop, struct ktlsd_watch *w,
		       uint32_t events);

static const struct ktlsd_watch_ops jobs_ops = { .event = jobs_event };
/* The broker's jobs channel, set before the loops start. */
static struct ktlsd_source jobs = { .fd = -1, .watch = { &jobs_ops } };

/* The outcome to the broker, which DONEs the request. */
static void report(struct upcall_job *job, const struct upcall_outcome *out)
{
	struct upw_result res = {
		.hdr = { .type = UPW_RESULT, .len = sizeof(res), .id = job->id },
		.status = out->status,
		.peer_cert = out->peer_cert,
		.peer = out->peer,
	};

	snprintf(res.why, sizeof(res.why), "%s", out->why);
	if (send(job->chan, &res, sizeof(res), MSG_NOSIGNAL) != sizeof(res))
		log_warning("upcall: request %llu: cannot tell the broker its result: %s",
			    (unsigned long long)job->id, strerror(errno));
}

/* Report the outcome (whatever @err is), then leave the job to the loop. */
static void finish(struct upcall_job *job, int err)
{
	const char *role = upcall_msg_type_name(job->req.msg_type);
	const char *auth = upcall_auth_name(job->req.auth_mode);
	const char *peer = job->req.peername[0] ? job->req.peername : "-";
	struct upcall_outcome out;
	int status;

	if (job->done)
		return;
	job->done = true;
	/* Before it is closed: the consumer keeps the socket. */
	if (job->events)
		ktlsd_loop_unwatch(job->loop, job->req.sockfd);
	job->events = 0;
	status = upcall_complete(&job->req, job->hs, err, &out);
	job->hs = NULL;
	close(job->req.sockfd);
	job->req.sockfd = -1;
	report(job, &out);
	close(job->chan);
	job->chan = -1;
	if (status)
		log_info("upcall: %s %s handshake (peer %s) failed, DONE %s: %s",
			 role, auth, peer, upcall_status_name(status), out.why);
	else
		log_info("upcall: %s %s handshake (peer %s) done", role, auth,
			 peer);
	ktlsd_loop_retire(job->loop, &job->task);
}

/*
 * A failure seen by the loop: DONE at once if the refusal delay has
 * passed (UPCALL_REFUSE_DELAY_MS), else on a deadline, so that the loop
 * never sleeps in upcall_done().
 */
static void refuse(struct upcall_job *job, int err)
{
	int wait_ms = upcall_refuse_wait_ms(&job->req);

	if (!wait_ms) {
		finish(job, err);
		return;
	}
	if (job->events)
		ktlsd_loop_unwatch(job->loop, job->req.sockfd);
	job->events = 0;
	job->refused = err;
	snprintf(job->why, sizeof(job->why), "%s", upcall_reason());
	ktlsd_loop_set_deadline(job->loop, &job->task,
				ktlsd_now_ms() + wait_ms);
}

static void step(struct upcall_job *job)
{
	const char *why;
	int ret;

	ret = ktlsd_handshake_step(job->loop, job->hs->session,
				   job->req.sockfd, &job->watch, &job->events,
				   &why);
	if (ret == -EAGAIN)
		return;
	if (ret) {
		refuse(job, upcall_fail(ret, "%s handshake: %s",
					upcall_msg_type_name(job->req.msg_type),
					why));
		return;
	}
	finish(job, 0);
}

/* The request's socket is ready for its handshake's next step. */
static void job_event(struct ktlsd_loop *loop, struct ktlsd_watch *w,
		      uint32_t events)
{
	struct upcall_job *job = container_of(w, struct upcall_job, watch);

	(void)loop;
	(void)events;
	if (!job->done)
		step(job);
}

static const struct ktlsd_watch_ops job_watch_ops = { .event = job_event };

static void job_expire(struct ktlsd_task *task)
{
	struct upcall_job *job = container_of(task, struct upcall_job, task);

	if (job->refused) {
		finish(job, upcall_fail(job->refused, "%s", job->why));
		return;
	}
	finish(job, upcall_fail(-ETIMEDOUT,
				"%s handshake timed out: the peer did not finish in %d ms",
				upcall_msg_type_name(job->req.msg_type),
				job->hs ? job->hs->timeout_ms : 0));
}

static void job_stop(struct ktlsd_task *task)
{
	struct upcall_job *job = container_of(task, struct upcall_job, task);

	if (job->refused)
		finish(job, upcall_fail(job->refused, "%s", job->why));
	else
		finish(job, upcall_fail(-ESHUTDOWN, "ktlsd is shutting down"));
}

static void job_free(struct ktlsd_task *task)
{
	struct upcall_job *job = container_of(task, struct upcall_job, task);

	ktlsd_profile_put(job->profile);
	free(job);
}

static const struct ktlsd_task_ops upcall_job_ops = {
	.expire = job_expire,
	.stop = job_stop,
	.free = job_free,
};

/* One round trip on @job's channel: send @q, take the answer into @a. */
static ssize_t ask_broker(struct upcall_job *job, const void *q, size_t q_len,
			  void *a, size_t a_max)
{
	struct pollfd pfd = { .fd = job->chan, .events = POLLIN };
	int ret;

	if (send(job->chan, q, q_len, MSG_NOSIGNAL) != (ssize_t)q_len)
		return -1;
	do {
		ret = poll(&pfd, 1, 5000);
	} while (ret < 0 && errno == EINTR);
	return ret > 0 ? recv(job->chan, a, a_max, MSG_DONTWAIT) : -1;
}

/*
 * A PSK server's key for the identity the client offered: the broker
 * looks it up, over the request's channel (one round trip, in this loop).
 */
static int psk_ask(void *arg, const char *identity, uint8_t *key,
		   size_t key_max, size_t *key_len, const char **cipher)
{
	struct upcall_job *job = arg;
	struct upw_lookup q = {
		.hdr = { .type = UPW_LOOKUP, .id = job->id },
	};
	size_t len = strlen(identity);
	struct upw_key a;
	ssize_t n;
	int ret;

	if (!len || len >= sizeof(q.identity))
		return -ENOKEY;
	q.identity_len = (uint32_t)len;
	q.hdr.len = (uint32_t)(UPW_LOOKUP_HEADER + len);
	memcpy(q.identity, identity, len);
	n = ask_broker(job, &q, q.hdr.len, &a, sizeof(a));
	if (n < 0 || upw_decode_key(&a, (size_t)n, job->id)) {
		log_error("upcall: request %llu: no answer from the broker to a PSK lookup",
			  (unsigned long long)job->id);
		ret = -EIO;
	} else if (a.err) {
		ret = a.err;
	} else if (a.key_len > key_max) {
		ret = -EKEYREJECTED;
	} else {
		memcpy(key, a.key, a.key_len);
		*key_len = a.key_len;
		*cipher = upcall_psk_cipher(identity);
		ret = 0;
	}
	explicit_bzero(&a, sizeof(a));
	return ret;
}

/* The request's private key is the broker's: it signs (UPW_SIGN). */
static int broker_sign(void *arg, uint32_t key_id, enum ktls_sign_alg alg,
		       enum ktls_sign_hash hash, const uint8_t *in,
		       size_t in_len, uint8_t *out, size_t *out_len)
{
	struct upcall_job *job = arg;
	struct upw_sign q = {
		.hdr = { .type = UPW_SIGN, .id = job->id },
		.req = {
			.magic = KEYPROC_MAGIC,
			.key_id = KEYPROC_KEY_UPCALL_SERVER,
			.op = alg, .hash = hash, .in_len = (uint32_t)in_len,
		},
	};
	size_t q_len = sizeof(q.hdr) + KEYPROC_REQUEST_HEADER + in_len;
	struct upw_sig a;
	ssize_t n;

	(void)key_id;
	if (in_len > sizeof(q.req.in))
		return -EINVAL;
	memcpy(q.req.in, in, in_len);
	q.hdr.len = (uint32_t)q_len;
	n = ask_broker(job, &q, q_len, &a, sizeof(a));
	if (n < 0 || upw_decode_sig(&a, (size_t)n, job->id)) {
		log_error("upcall: request %llu: no answer from the broker to a signing request",
			  (unsigned long long)job->id);
		return -EIO;
	}
	if (a.res.status)
		return a.res.status;
	if (a.res.out_len > *out_len)
		return -ENOSPC;
	memcpy(out, a.res.out, a.res.out_len);
	*out_len = a.res.out_len;
	return 0;
}

/* A copy of @len bytes of @src (NULL for none) for @m: wiped later. */
static int copy_in(uint8_t **dst, size_t *dst_len, const void *src,
		   size_t len)
{
	*dst = NULL;
	*dst_len = 0;
	if (!len)
		return 0;
	*dst = malloc(len + 1);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, len);
	(*dst)[len] = 0;
	*dst_len = len;
	return 0;
}

/* The request as libupcall knows it, with the material the broker read. */
static int unpack(const struct upw_request_view *v, int sockfd,
		  struct upcall_req *req, struct upcall_material *m)
{
	const struct upw_request *r = v->req;
	size_t ident_len;
	int ret;

	memset(req, 0, sizeof(*req));
	memset(m, 0, sizeof(*m));
	req->sockfd = sockfd;
	req->msg_type = r->msg_type;
	req->auth_mode = r->auth_mode;
	req->timeout_ms = r->timeout_ms;
	req->accepted_ms = r->accepted_ms;
	req->cert = r->cert;
	req->privkey = r->privkey;
	snprintf(req->peername, sizeof(req->peername), "%s", r->peername);
	ret = copy_in(&m->cert_pem, &m->cert_len, v->cert, r->cert_len);
	if (!ret)
		ret = copy_in(&m->key_pem, &m->key_len, v->key, r->key_len);
	if (!ret)
		ret = copy_in(&m->psk_key, &m->psk_key_len, v->psk, r->psk_len);
	if (!ret && r->identity_len)
		ret = copy_in((uint8_t **)&m->psk_identity, &ident_len,
			      v->identity, r->identity_len);
	if (ret)
		upcall_material_wipe(m);
	return ret;
}

static void job_start(struct ktlsd_loop *loop, const struct upw_request_view *v,
		      int sockfd, int chan)
{
	struct upcall_job *job = calloc(1, sizeof(*job));
	struct upcall_material m;
	int ret;

	if (!job) {
		/* Never leave the kernel waiting, even now: the broker DONEs. */
		log_error("upcall: out of memory; DONE EIO");
		close(sockfd);
		close(chan);
		return;
	}
	job->task.ops = &upcall_job_ops;
	job->loop = loop;
	job->watch.ops = &job_watch_ops;
	job->id = v->req->hdr.id;
	job->chan = chan;
	job->profile = ktlsd_profile_current();
	ret = unpack(v, sockfd, &job->req, &m);
	if (ret) {
		job->req.sockfd = sockfd;
		finish(job, upcall_fail(ret, "out of memory"));
		return;
	}
	if (v->req->flags & UPW_F_PSK_LOOKUP) {
		m.psk_find = psk_ask;
		m.psk_find_arg = job;
	}
	if (v->req->flags & UPW_F_SIGN) {
		job->signer = (struct ktls_signer){ .sign = broker_sign,
						    .arg = job };
		m.signer = &job->signer;
	}
	log_debug("upcall: %s %s handshake requested (peer %s, timeout %u ms)",
		  upcall_msg_type_name(job->req.msg_type),
		  upcall_auth_name(job->req.auth_mode),
		  job->req.peername[0] ? job->req.peername : "-",
		  job->req.timeout_ms);
	ret = upcall_prepare_with(&job->req, &job->profile->upcall, &m,
				  &job->hs);
	if (ret) {
		refuse(job, ret);
		return;
	}
	ktlsd_loop_set_deadline(loop, &job->task,
				ktlsd_now_ms() + job->hs->timeout_ms);
	step(job);
}

/* One message from the broker: 0, -EAGAIN if none, -EPIPE at its end. */
static int take_one(struct ktlsd_loop *loop)
{
	/* A request with the largest key material the broker sends. */
	static __thread union {
		uint8_t buf[sizeof(struct upw_request) + UPW_CERT_MAX +
			    UPW_KEY_MAX + UPW_IDENTITY_MAX + UPW_PSK_MAX];
		uint64_t align;
	} in;
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = in.buf, .iov_len = sizeof(in.buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct upw_request_view v;
	int fds[2] = { -1, -1 };
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(jobs.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -EPIPE;
	if (n == 0)
		return -EPIPE;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(fds)))
		memcpy(fds, CMSG_DATA(c), sizeof(fds));
	if (fds[0] < 0 || fds[1] < 0 || (mh.msg_flags & MSG_TRUNC) ||
	    upw_decode_request(in.buf, (size_t)n, &v)) {
		/* Its channel closes with it: the broker DONEs it EIO. */
		log_error("upcall: a malformed request from the broker");
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
	} else {
		job_start(loop, &v, fds[0], fds[1]);
	}
	explicit_bzero(in.buf, (size_t)n);
	return 0;
}

/* The jobs channel is readable: take the requests waiting. */
static void jobs_event(struct ktlsd_loop *loop, struct ktlsd_watch *w,
		       uint32_t events)
{
	int ret = 0;

	(void)w;
	(void)events;
	for (int i = 0; i < UPCALLS_PER_WAKE && !ret; i++)
		ret = take_one(loop);
	if (ret == -EPIPE) {
		/* The monitor stops ktlsd when the broker ends. */
		log_error("upcall: the broker is gone: no more upcalls here");
		ktlsd_loop_unwatch(loop, jobs.fd);
	}
}

struct ktlsd_source *upcall_jobs_source(int jobs_fd)
{
	jobs.fd = jobs_fd;
	return &jobs;
}
