// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * READY, ACCEPT and DONE: take the kernel's requests and report back.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>

#include "upcall_internal.h"

const char *upcall_msg_type_name(uint32_t msg_type)
{
	switch (msg_type) {
	case HANDSHAKE_MSG_TYPE_CLIENTHELLO:
		return "client";
	case HANDSHAKE_MSG_TYPE_SERVERHELLO:
		return "server";
	}
	return "unknown";
}

const char *upcall_auth_name(uint32_t auth_mode)
{
	switch (auth_mode) {
	case HANDSHAKE_AUTH_UNAUTH:
		return "unauth";
	case HANDSHAKE_AUTH_PSK:
		return "psk";
	case HANDSHAKE_AUTH_X509:
		return "x509";
	}
	return "unknown";
}

const char *upcall_status_name(int status)
{
	switch (status) {
	case 0:
		return "ok";
	case EACCES:
		return "EACCES";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EKEYREJECTED:
		return "EKEYREJECTED";
	case ENOKEY:
		return "ENOKEY";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EINVAL:
		return "EINVAL";
	case EIO:
		return "EIO";
	}
	return "error";
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int upcall_refuse_wait_ms(const struct upcall_req *req)
{
	int64_t left = req->accepted_ms + UPCALL_REFUSE_DELAY_MS - now_ms();

	return left > 0 ? (int)left : 0;
}

static int s32_attr(const struct nlattr *attr, int32_t *val)
{
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return -1;
	*val = (int32_t)mnl_attr_get_u32(attr);
	return 0;
}

static int parse_cert(const struct nlattr *nest, struct upcall_req *req)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case HANDSHAKE_A_X509_CERT:
			if (s32_attr(attr, &req->cert))
				return -1;
			break;
		case HANDSHAKE_A_X509_PRIVKEY:
			if (s32_attr(attr, &req->privkey))
				return -1;
			break;
		}
	}
	return 0;
}

struct accept_reply {
	struct upcall_req *req;
	struct upcall_caps *caps;
	bool bad;		/* an attribute did not validate */
};

static int parse_attr(const struct nlattr *attr, struct accept_reply *rep)
{
	struct upcall_req *req = rep->req;

	switch (mnl_attr_get_type(attr)) {
	case HANDSHAKE_A_ACCEPT_SOCKFD:
		return s32_attr(attr, &req->sockfd);
	case HANDSHAKE_A_ACCEPT_MESSAGE_TYPE:
		return s32_attr(attr, (int32_t *)&req->msg_type);
	case HANDSHAKE_A_ACCEPT_TIMEOUT:
		return s32_attr(attr, (int32_t *)&req->timeout_ms);
	case HANDSHAKE_A_ACCEPT_AUTH_MODE:
		return s32_attr(attr, (int32_t *)&req->auth_mode);
	case HANDSHAKE_A_ACCEPT_PEER_IDENTITY:
		if (req->num_peerids == UPCALL_MAX_PEERIDS)
			return -1;
		return s32_attr(attr, &req->peerids[req->num_peerids++]);
	case HANDSHAKE_A_ACCEPT_CERTIFICATE:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return -1;
		return parse_cert(attr, req);
	case HANDSHAKE_A_ACCEPT_PEERNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 ||
		    strlen(mnl_attr_get_str(attr)) >= sizeof(req->peername))
			return -1;
		snprintf(req->peername, sizeof(req->peername), "%s",
			 mnl_attr_get_str(attr));
		return 0;
	case HANDSHAKE_A_ACCEPT_KEYRING:
		rep->caps->keyring_seen = true;
		return s32_attr(attr, &req->keyring);
	}
	return 0;	/* newer than us: ignore */
}

int upcall_accept_parse(const struct nlmsghdr *nlh, struct upcall_req *req,
			struct upcall_caps *caps)
{
	struct accept_reply rep = { .req = req, .caps = caps };
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (parse_attr(attr, &rep))
			rep.bad = true;
	return rep.bad ? -EPROTO : 0;
}

static int accept_cb(const struct nlmsghdr *nlh, void *data)
{
	struct accept_reply *rep = data;

	if (upcall_accept_parse(nlh, rep->req, rep->caps))
		rep->bad = true;
	return MNL_CB_OK;
}

/* ACCEPT one request: 0 and @req filled, -EAGAIN if none, or -errno. */
static int accept_one(struct upcall *up, struct upcall_req *req)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct accept_reply rep = { .req = req, .caps = &up->caps };
	struct nlmsghdr *nlh;
	unsigned int n_links;
	int32_t *links;
	int err;

	memset(req, 0, sizeof(*req));
	req->sockfd = -1;
	nlh = upcall_msg(buf, up->caps.family_id, HANDSHAKE_CMD_ACCEPT,
			 HANDSHAKE_FAMILY_VERSION);
	mnl_attr_put_u32(nlh, HANDSHAKE_A_ACCEPT_HANDLER_CLASS,
			 HANDSHAKE_HANDLER_CLASS_TLSHD);
	/*
	 * The kernel links the request's keyring into ours during ACCEPT:
	 * see what appeared before any DONE can unlink a thing.
	 */
	pthread_mutex_lock(&up->cmd_lock);
	links = upcall_process_links(&n_links);
	err = upcall_transact_locked(up, nlh, accept_cb, &rep);
	req->accepted_ms = now_ms();
	if (!err && req->sockfd >= 0)
		upcall_rings_hold(up, req, links, n_links);
	pthread_mutex_unlock(&up->cmd_lock);
	free(links);
	if (err == -EAGAIN)
		return err;
	if (err == -EPERM)
		return upcall_fail(err, "ACCEPT refused: answering kernel "
				   "handshake requests needs CAP_NET_ADMIN");
	if (err)
		return upcall_fail(err, "ACCEPT: %s (the kernel gave up this "
				   "request: its consumer gets EIO)",
				   strerror(-err));
	if (req->sockfd < 0)
		return upcall_fail(-EPROTO, "the kernel's ACCEPT reply carries no socket");
	if (rep.bad || !req->msg_type || !req->auth_mode) {
		/* The kernel still waits: tell it, never leave it hanging. */
		upcall_done(up, req, EIO, NULL, 0);
		return upcall_fail(-EPROTO, "the kernel's ACCEPT reply is "
				   "malformed (attribute of the wrong size, or "
				   "no message type or auth mode); reported EIO");
	}
	return 0;
}

static void drain_notifications(struct upcall *up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	/*
	 * READY says only "something is waiting"; ACCEPT finds out what.
	 * An overrun (ENOBUFS) loses nothing either, for the same reason.
	 */
	while (recv(mnl_socket_get_fd(up->mcast), buf, sizeof(buf),
		    MSG_DONTWAIT) > 0 || errno == ENOBUFS)
		;
}

static __thread int accept_failures;

int upcall_accept_failures(void)
{
	return accept_failures;
}

/* Failed ACCEPTs in a row that mean something is wrong with us, not them. */
#define ACCEPT_MAX_FAILURES 8

int upcall_accept(struct upcall *up, struct upcall_req *reqs, int max)
{
	int n = 0, in_row = 0, err, last_err = 0;

	accept_failures = 0;
	drain_notifications(up);
	while (n < max) {
		err = accept_one(up, &reqs[n]);
		if (err == -EAGAIN)
			break;
		if (!err) {
			n++;
			in_row = 0;
			continue;
		}
		/*
		 * That request is over (the kernel failed it, or it got DONE
		 * EIO), but the ones queued behind it had their READY
		 * drained above: go on, or nobody takes them.
		 */
		accept_failures++;
		last_err = err;
		if (err == -EPERM || ++in_row == ACCEPT_MAX_FAILURES)
			break;
	}
	return n ? n : last_err;
}

int upcall_done(struct upcall *up, struct upcall_req *req, int status,
		const int32_t *remote_auth, unsigned int num_remote_auth)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	unsigned int i;
	int err;

	if (req->sockfd < 0)
		return upcall_fail(-EBADF, "DONE for a request without a socket");
	/*
	 * Every refusal, whichever path it comes from: the kernel may not
	 * hold its socket reference yet (UPCALL_REFUSE_DELAY_MS).
	 */
	if (status) {
		int wait_ms = upcall_refuse_wait_ms(req);

		if (wait_ms)
			usleep((useconds_t)wait_ms * 1000);
	}
	nlh = upcall_msg(buf, up->caps.family_id, HANDSHAKE_CMD_DONE,
			 HANDSHAKE_FAMILY_VERSION);
	mnl_attr_put_u32(nlh, HANDSHAKE_A_DONE_STATUS, (uint32_t)status);
	mnl_attr_put_u32(nlh, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)req->sockfd);
	for (i = 0; !status && i < num_remote_auth; i++)
		mnl_attr_put_u32(nlh, HANDSHAKE_A_DONE_REMOTE_AUTH,
				 (uint32_t)remote_auth[i]);
	pthread_mutex_lock(&up->cmd_lock);
	err = upcall_transact_locked(up, nlh, NULL, NULL);
	/* The request is over: its keyring need not stay linked. */
	upcall_rings_release(up, req);
	pthread_mutex_unlock(&up->cmd_lock);
	close(req->sockfd);
	req->sockfd = -1;
	if (err == -EBUSY)
		return upcall_fail(err, "DONE: the kernel no longer waits for "
				   "this socket (the request timed out or was "
				   "cancelled)");
	if (err)
		return upcall_fail(err, "DONE: %s", strerror(-err));
	return 0;
}
