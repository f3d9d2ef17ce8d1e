// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The application side of ktlsd's handoff (include/ktls/handoff.h): send a
 * connected TCP socket and a request over a UNIX SOCK_SEQPACKET socket,
 * read the one result message. The wire format is in
 * include/ktls/handoff_wire.h.
 *
 * The handoff socket is non-blocking so that an event loop never stalls on
 * a daemon whose backlog is full; the blocking ktls_handoff() polls.
 */
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ktls/tls_prot.h"
#include "ktls_internal.h"
#include "ktls/handoff_wire.h"
#include "ktls/handoff.h"

static int copy_string(char *dst, size_t len, const char *src,
		       const char *what)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= len)
		return __ktls_fail(-ENAMETOOLONG,
				 "handoff: %s is %zu bytes, at most %zu fit",
				 what, n, len - 1);
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

static int build_request(const struct ktls_handoff_request *request,
			 struct ktls_handoff_wire_req *req)
{
	int ret;

	memset(req, 0, sizeof(*req));
	req->magic = KTLS_HANDOFF_MAGIC;
	req->version = KTLS_HANDOFF_VERSION;
	req->size = sizeof(*req);
	switch (request->role) {
	case KTLS_ROLE_CLIENT:
		if (!request->server_name || !*request->server_name)
			return __ktls_fail(-EINVAL,
					 "handoff: a client-role handshake needs the server name");
		req->role = KTLS_HANDOFF_WIRE_CLIENT;
		break;
	case KTLS_ROLE_SERVER:
		req->role = KTLS_HANDOFF_WIRE_SERVER;
		break;
	default:
		return __ktls_fail(-EINVAL, "handoff: unknown role %d",
				 (int)request->role);
	}
	if (request->timeout_ms < 0)
		return __ktls_fail(-EINVAL, "handoff: negative timeout %d ms",
				 request->timeout_ms);
	req->timeout_ms = request->timeout_ms;
	ret = copy_string(req->server_name, sizeof(req->server_name),
			  request->server_name, "the server name");
	if (!ret)
		ret = copy_string(req->alpn, sizeof(req->alpn), request->alpn,
				  "the ALPN list");
	return ret;
}

static int connect_daemon(const char *path, int *sock)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, err;

	if (!path)
		path = KTLS_HANDOFF_DEFAULT_PATH;
	if (strlen(path) >= sizeof(addr.sun_path))
		return __ktls_fail(-ENAMETOOLONG, "handoff socket path %s is too long",
				 path);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return __ktls_fail(-errno, "handoff: socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = errno;
		close(fd);
		if (err == EAGAIN)
			return __ktls_fail(-EAGAIN,
					 "ktlsd at %s is not keeping up: its backlog of connections is full (try again later, or raise its threads)",
					 path);
		if (err == ENOENT || err == ECONNREFUSED)
			return __ktls_fail(-err,
					 "cannot reach ktlsd at %s: %s (is ktlsd running?)",
					 path, strerror(err));
		return __ktls_fail(-err, "cannot reach ktlsd at %s: %s", path,
				 strerror(err));
	}
	*sock = fd;
	return 0;
}

static int send_request(int sock, int fd,
			const struct ktls_handoff_wire_req *req)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)req, .iov_len = sizeof(*req) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	memset(&control, 0, sizeof(control));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return __ktls_fail(-errno, "handoff: cannot send the request: %s",
				 strerror(errno));
	return 0;
}

int ktls_handoff_submit(const char *path, int fd,
			const struct ktls_handoff_request *request,
			int *handoff_fd)
{
	struct ktls_handoff_wire_req req;
	int sock = -1, ret;

	ret = build_request(request, &req);
	if (ret)
		return ret;
	ret = connect_daemon(path, &sock);
	if (ret)
		return ret;
	ret = send_request(sock, fd, &req);
	if (ret) {
		close(sock);
		return ret;
	}
	*handoff_fd = sock;
	return 0;
}

static void fill_result(struct ktls_handoff_result *result,
			const struct ktls_handoff_wire_res *res)
{
	result->status = res->status;
	snprintf(result->reason, sizeof(result->reason), "%s", res->reason);
	snprintf(result->version, sizeof(result->version), "%s",
		 res->tls_version);
	snprintf(result->cipher, sizeof(result->cipher), "%s", res->cipher);
	snprintf(result->alpn, sizeof(result->alpn), "%s", res->alpn);
	snprintf(result->peer, sizeof(result->peer), "%s", res->peer);
}

static bool terminated(const char *s, size_t len)
{
	return memchr(s, '\0', len);
}

static int check_result(const struct ktls_handoff_wire_res *res, ssize_t n)
{
	if (n != (ssize_t)sizeof(*res) || res->magic != KTLS_HANDOFF_MAGIC ||
	    res->size != sizeof(*res))
		return __ktls_fail(-EBADMSG,
				 "handoff: ktlsd's answer is malformed (%zd bytes)",
				 n);
	if (res->version != KTLS_HANDOFF_VERSION)
		return __ktls_fail(-EPROTO,
				 "handoff: ktlsd speaks handoff version %u, we speak %u (upgrade so both match)",
				 res->version, KTLS_HANDOFF_VERSION);
	if (!terminated(res->reason, sizeof(res->reason)) ||
	    !terminated(res->tls_version, sizeof(res->tls_version)) ||
	    !terminated(res->cipher, sizeof(res->cipher)) ||
	    !terminated(res->alpn, sizeof(res->alpn)) ||
	    !terminated(res->peer, sizeof(res->peer)) || res->status > 0)
		return __ktls_fail(-EBADMSG, "handoff: ktlsd's answer is malformed");
	return 0;
}

static int fail_result(struct ktls_handoff_result *result, int ret)
{
	memset(result, 0, sizeof(*result));
	result->status = ret;
	snprintf(result->reason, sizeof(result->reason), "%s", ktls_reason());
	return ret;
}

static int wait_answer(int handoff_fd)
{
	struct pollfd pfd = { .fd = handoff_fd, .events = POLLIN };
	int n;

	do {
		n = poll(&pfd, 1, -1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return __ktls_fail(-errno, "handoff: poll: %s", strerror(errno));
	return 0;
}

/*
 * One direction is in the kernel: getsockopt(SOL_TLS) with room for the
 * header only gives the version and cipher, never the key; -EBUSY (no
 * cipher set) means the direction was never installed.
 */
static int check_direction(int fd, int optname, const char *name,
			   uint16_t *version)
{
	struct tls_crypto_info info = { 0 };
	socklen_t len = sizeof(info);
	int err;

	if (getsockopt(fd, SOL_TLS, optname, &info, &len)) {
		err = errno;
		return __ktls_fail(-EPROTO,
				 "handoff: the daemon reported success but kernel TLS %s is not installed (%s); close it",
				 name, strerror(err));
	}
	if (len != sizeof(info) || !info.cipher_type ||
	    (info.version != TLS_1_2_VERSION &&
	     info.version != TLS_1_3_VERSION))
		return __ktls_fail(-EPROTO,
				 "handoff: the daemon reported success but kernel TLS %s is not usable (version %#x, cipher %u); close it",
				 name, info.version, info.cipher_type);
	*version = info.version;
	return 0;
}

/*
 * Fail closed: before the application writes a byte it believes is
 * encrypted, the socket must really carry the tls ULP with both
 * directions installed, in the version the daemon named, whatever it
 * said.
 */
static int check_kernel_tls(int fd, const char *reported_version)
{
	uint16_t tx_version, rx_version, reported;
	char ulp[16] = "";
	socklen_t len = sizeof(ulp) - 1;
	int err;

	if (getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &len)) {
		err = errno;
		return __ktls_fail(-err,
				 "handoff: cannot read the socket's TCP_ULP: %s (close it: its TLS state is unknown)",
				 strerror(err));
	}
	if (strcmp(ulp, "tls"))
		return __ktls_fail(-EPROTO,
				 "handoff: the daemon reported success but the socket has no kernel TLS (TCP_ULP \"%s\"); close it",
				 ulp);
	err = check_direction(fd, TLS_TX, "TX", &tx_version);
	if (!err)
		err = check_direction(fd, TLS_RX, "RX", &rx_version);
	if (err)
		return err;
	reported = !strcmp(reported_version, "TLSv1.3") ? TLS_1_3_VERSION :
		   !strcmp(reported_version, "TLSv1.2") ? TLS_1_2_VERSION : 0;
	if (tx_version != reported || rx_version != reported)
		return __ktls_fail(-EPROTO,
				 "handoff: the daemon reported %s but the kernel carries TLS %#x (TX) and %#x (RX); close it",
				 reported_version, tx_version, rx_version);
	return 0;
}

int ktls_handoff_finish(int handoff_fd, int fd,
			struct ktls_handoff_result *result)
{
	struct ktls_handoff_wire_res res;
	ssize_t n;
	int ret;

	memset(result, 0, sizeof(*result));
	ret = wait_answer(handoff_fd);
	if (ret) {
		close(handoff_fd);
		return fail_result(result, ret);
	}
	do {
		n = recv(handoff_fd, &res, sizeof(res), MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		ret = __ktls_fail(-errno, "handoff: cannot read ktlsd's answer: %s",
				  strerror(errno));
	else if (n == 0)
		ret = __ktls_fail(-ECONNRESET,
				  "handoff: ktlsd closed the connection without an answer (see its log)");
	else
		ret = check_result(&res, n);
	close(handoff_fd);
	if (ret)
		return fail_result(result, ret);
	fill_result(result, &res);
	if (res.status)
		return __ktls_fail(res.status, "%s", res.reason);
	ret = check_kernel_tls(fd, result->version);
	if (ret)
		return fail_result(result, ret);
	return 0;
}

int ktls_handoff(const char *path, int fd,
		 const struct ktls_handoff_request *request,
		 struct ktls_handoff_result *result)
{
	int handoff_fd, ret;

	ret = ktls_handoff_submit(path, fd, request, &handoff_fd);
	if (ret)
		return fail_result(result, ret);
	return ktls_handoff_finish(handoff_fd, fd, result);
}
