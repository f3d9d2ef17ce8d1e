// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The handoff without kernel TLS (natively, and in the VM before the tls
 * module loads): a kernel without kTLS answers ENOENT naming kernel TLS;
 * malformed requests and sockets that are not TCP get a clear error and
 * ktlsd goes on serving; a stalled peer times out; SIGTERM answers the
 * handshakes in flight and exits 0; 1,000 rejected or abandoned requests
 * leave ktlsd with the fds it had. The library side: a daemon whose backlog
 * is full gets EAGAIN, not a hang, and a "success" on a socket without
 * kernel TLS is refused (fail closed).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "ktls/handoff.h"
#include "lib/daemon.h"
#include "fake_handoff.h"
#include "ktls/handoff_wire.h"

FIXTURE(handoff)
{
	struct daemon d;
	int client_fd, server_fd;
};

FIXTURE_SETUP(handoff)
{
	self->client_fd = -1;
	self->server_fd = -1;
	ASSERT_EQ(0, daemon_init(&self->d));
	ASSERT_EQ(0, daemon_write_config(&self->d, "1s", NULL));
	ASSERT_EQ(0, daemon_start(&self->d)) TH_LOG("ktlsd did not start");
	ASSERT_EQ(0, tcp_pair(&self->client_fd, &self->server_fd));
}

FIXTURE_TEARDOWN(handoff)
{
	if (self->client_fd >= 0)
		close(self->client_fd);
	if (self->server_fd >= 0)
		close(self->server_fd);
	daemon_cleanup(&self->d);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct ktls_handoff_request server_role = {
	.role = KTLS_ROLE_SERVER,
};

TEST_F(handoff, no_kernel_tls_is_enoent)
{
	struct ktls_handoff_result result;
	struct peer peer;

	if (ktls_kernel_has_tls() != -ENOENT)
		SKIP(return, "this kernel has kernel TLS");
	ASSERT_EQ(0, peer_start(&peer, daemon_tls_client, &self->client_fd));
	EXPECT_EQ(-ENOENT, ktls_handoff(self->d.sock, self->server_fd,
					&server_role, &result));
	EXPECT_EQ(-ENOENT, result.status);
	EXPECT_STREQ("kernel TLS unavailable: the tls module is not loaded "
		"(run 'modprobe tls'; the kernel needs CONFIG_TLS)",
		     result.reason);
	/* The handshake itself completed; only the switch was impossible. */
	EXPECT_EQ(0, peer_join(&peer)) TH_LOG("client: %s", peer.reason);
	EXPECT_EQ(0, daemon_wait_log(&self->d,
				     "this kernel has no kernel TLS", 1000));
}

/* Connect to ktlsd and send @len bytes of @req with @fds. */
static int raw_submit(const char *path, const void *req, size_t len,
		      const int *fds, int nr_fds)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)req, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	int sock;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)))
		return -errno;
	if (nr_fds) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nr_fds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nr_fds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nr_fds);
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
		close(sock);
		return -errno;
	}
	return sock;
}

static void good_request(struct ktls_handoff_wire_req *req)
{
	memset(req, 0, sizeof(*req));
	req->magic = KTLS_HANDOFF_MAGIC;
	req->version = KTLS_HANDOFF_VERSION;
	req->size = sizeof(*req);
	req->role = KTLS_HANDOFF_WIRE_SERVER;
}

/* Send a raw request; ktlsd's answer in @result. */
static int raw_handoff(const char *path, const void *req, size_t len,
		       const int *fds, int nr_fds,
		       struct ktls_handoff_result *result)
{
	int sock = raw_submit(path, req, len, fds, nr_fds);

	if (sock < 0)
		return sock;
	return ktls_handoff_finish(sock, nr_fds ? fds[0] : -1, result);
}

TEST_F(handoff, malformed_requests)
{
	struct ktls_handoff_wire_req req;
	struct ktls_handoff_result result;
	int fds[2] = { self->server_fd, self->server_fd };

	good_request(&req);
	EXPECT_EQ(-EBADMSG, raw_handoff(self->d.sock, &req, 10, fds, 1,
					&result));
	EXPECT_STREQ("malformed handoff request: 10 bytes, expected "
		"528 (libktls and ktlsd differ?)",
		     result.reason);

	req.version = 7;
	EXPECT_EQ(-EPROTO, raw_handoff(self->d.sock, &req, sizeof(req), fds, 1,
				       &result));
	EXPECT_STREQ("handoff version 7 is not supported: ktlsd speaks version 1",
		     result.reason);

	good_request(&req);
	req.magic = 0;
	EXPECT_EQ(-EBADMSG, raw_handoff(self->d.sock, &req, sizeof(req), fds, 1,
					&result));
	EXPECT_STREQ("malformed handoff request: bad magic or size field",
		     result.reason);

	good_request(&req);
	EXPECT_EQ(-EBADMSG, raw_handoff(self->d.sock, &req, sizeof(req), fds, 0,
					&result));
	EXPECT_STREQ("malformed handoff request: it must carry exactly "
		"one fd (SCM_RIGHTS), it carried 0",
		     result.reason);
	EXPECT_EQ(-EBADMSG, raw_handoff(self->d.sock, &req, sizeof(req), fds, 2,
					&result));
	EXPECT_STREQ("malformed handoff request: it must carry exactly "
		"one fd (SCM_RIGHTS), it carried 2",
		     result.reason);

	memset(req.alpn, 'a', sizeof(req.alpn));
	EXPECT_EQ(-EBADMSG, raw_handoff(self->d.sock, &req, sizeof(req), fds, 1,
					&result));
	EXPECT_STREQ("malformed handoff request: bad role, timeout or unterminated string",
		     result.reason);

	good_request(&req);
	req.role = KTLS_HANDOFF_WIRE_CLIENT;
	EXPECT_EQ(-EINVAL, raw_handoff(self->d.sock, &req, sizeof(req), fds, 1,
				       &result));
	EXPECT_STREQ("a client-role handoff needs the server name to verify",
		     result.reason);
}

TEST_F(handoff, not_tcp)
{
	struct ktls_handoff_result result;
	int pipefd[2], unix_pair[2], udp, unconnected;

	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-ENOTSOCK, ktls_handoff(self->d.sock, pipefd[0], &server_role,
					  &result));
	EXPECT_STREQ("the fd is not a socket (a pipe): kernel TLS needs a connected TCP socket",
		     result.reason);
	close(pipefd[0]);
	close(pipefd[1]);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, unix_pair));
	EXPECT_EQ(-EPROTONOSUPPORT, ktls_handoff(self->d.sock, unix_pair[0],
						 &server_role, &result));
	EXPECT_STREQ("the fd is a UNIX socket, not TCP: kernel TLS needs a connected TCP socket",
		     result.reason);
	close(unix_pair[0]);
	close(unix_pair[1]);

	udp = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, udp);
	EXPECT_EQ(-EPROTONOSUPPORT, ktls_handoff(self->d.sock, udp,
						 &server_role, &result));
	EXPECT_STREQ("the fd is a datagram socket, not TCP: kernel "
		"TLS needs a connected TCP socket",
		     result.reason);
	close(udp);

	unconnected = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, unconnected);
	EXPECT_EQ(-ENOTCONN, ktls_handoff(self->d.sock, unconnected,
					  &server_role, &result));
	EXPECT_STREQ("the TCP socket is not connected: connect or accept it first",
		     result.reason);
	close(unconnected);
}

/* The peer never sends its ClientHello: the daemon's 1 s timeout. */
TEST_F(handoff, stalled_peer_times_out)
{
	struct ktls_handoff_result result;
	int64_t start = now_ms(), took;
	int flags = fcntl(self->server_fd, F_GETFL);

	EXPECT_EQ(-ETIMEDOUT, ktls_handoff(self->d.sock, self->server_fd,
					   &server_role, &result));
	took = now_ms() - start;
	EXPECT_STREQ("TLS handshake timed out: the peer did not finish in time",
		     result.reason);
	EXPECT_LE(900, took);
	EXPECT_GE(3000, took);
	/* ktlsd gave the socket back as it came: still blocking. */
	EXPECT_EQ(flags, fcntl(self->server_fd, F_GETFL));
}

/* A shorter request timeout wins over the configured one. */
TEST_F(handoff, request_timeout)
{
	struct ktls_handoff_request request = {
		.role = KTLS_ROLE_SERVER,
		.timeout_ms = 300,
	};
	struct ktls_handoff_result result;
	int64_t start = now_ms(), took;

	EXPECT_EQ(-ETIMEDOUT, ktls_handoff(self->d.sock, self->server_fd,
					   &request, &result));
	took = now_ms() - start;
	EXPECT_LE(250, took);
	EXPECT_GE(900, took);
}

/* A longer request timeout is capped at the configured 1 s. */
TEST_F(handoff, request_timeout_is_capped)
{
	struct ktls_handoff_request request = {
		.role = KTLS_ROLE_SERVER,
		.timeout_ms = 600000,
	};
	struct ktls_handoff_result result;
	int64_t start = now_ms(), took;

	EXPECT_EQ(-ETIMEDOUT, ktls_handoff(self->d.sock, self->server_fd,
					   &request, &result));
	took = now_ms() - start;
	EXPECT_LE(900, took);
	EXPECT_GE(3000, took);
}

TEST_F(handoff, sigterm_answers_in_flight_and_exits_0)
{
	struct ktls_handoff_result result;
	struct stat st;
	int sock;

	ASSERT_EQ(0, ktls_handoff_submit(self->d.sock, self->server_fd,
					 &server_role, &sock));
	ASSERT_EQ(0, daemon_wait_log(&self->d,
				     "server handoff waiting for the peer's first byte",
				     2000));
	ASSERT_EQ(0, kill(self->d.pid, SIGTERM));
	EXPECT_EQ(-ESHUTDOWN, ktls_handoff_finish(sock, self->server_fd,
						  &result));
	EXPECT_STREQ("ktlsd is shutting down", result.reason);
	EXPECT_EQ(0, daemon_stop(&self->d));
	EXPECT_EQ(-1, stat(self->d.sock, &st));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(handoff, invalid_reload_keeps_serving)
{
	struct ktls_handoff_result result;
	char expect[PATH_MAX + 128];
	int pipefd[2];

	ASSERT_EQ(0, daemon_write_raw(&self->d, "[server]\ncertificat = x\n"));
	ASSERT_EQ(0, kill(self->d.pid, SIGHUP));
	snprintf(expect, sizeof(expect),
		 "reload failed, keeping the old configuration: %s:2: unknown key \"certificat\" in [server] (did you mean certificate?)",
		 self->d.conf);
	EXPECT_EQ(0, daemon_wait_log(&self->d, expect, 3000));
	/* Still serving with the old configuration: a 1 s timeout. */
	EXPECT_EQ(-ETIMEDOUT, ktls_handoff(self->d.sock, self->server_fd,
					   &server_role, &result));
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-ENOTSOCK, ktls_handoff(self->d.sock, pipefd[0], &server_role,
					  &result));
	close(pipefd[0]);
	close(pipefd[1]);
}

/* Wait until ktlsd is back to @want fds (it works asynchronously). */
static int settle_fds(struct daemon *d, int want)
{
	int n = -1;

	for (int i = 0; i < 500; i++) {
		n = daemon_fd_count(d);
		if (n == want)
			break;
		usleep(10000);
	}
	return n;
}

TEST_F_TIMEOUT(handoff, no_fd_leak_after_1000_bad_requests, 120)
{
	struct ktls_handoff_wire_req req;
	char fds_before[2048], fds_after[2048];
	struct ktls_handoff_result result;
	int before, pipefd[2];

	ASSERT_EQ(0, pipe(pipefd));
	before = daemon_fd_count_stable(&self->d);
	ASSERT_LT(0, before);
	daemon_fd_list(&self->d, fds_before, sizeof(fds_before));
	for (int i = 0; i < 1000; i++) {
		int client, server, sock;

		switch (i % 4) {
		case 0:	/* rejected: not a socket */
			ASSERT_EQ(-ENOTSOCK,
				  ktls_handoff(self->d.sock, pipefd[0],
					       &server_role, &result));
			break;
		case 1:	/* rejected: two fds */
			good_request(&req);
			sock = raw_submit(self->d.sock, &req, sizeof(req),
					  (int[]){ pipefd[0], pipefd[1] }, 2);
			ASSERT_LE(0, sock);
			ASSERT_EQ(-EBADMSG,
				  ktls_handoff_finish(sock, pipefd[0], &result));
			break;
		case 2:	/* abandoned during the handshake */
			ASSERT_EQ(0, tcp_pair(&client, &server));
			ASSERT_EQ(0, ktls_handoff_submit(self->d.sock, server,
							 &server_role, &sock));
			close(sock);
			close(client);
			close(server);
			break;
		case 3:	/* an empty message carrying fds, and gone */
			good_request(&req);
			sock = raw_submit(self->d.sock, &req, 0,
					  (int[]){ pipefd[0], pipefd[1] }, 2);
			if (sock >= 0)
				close(sock);
			break;
		}
	}
	EXPECT_EQ(before, settle_fds(&self->d, before)) {
		daemon_fd_list(&self->d, fds_after, sizeof(fds_after));
		TH_LOG("before: %s", fds_before);
		TH_LOG("after: %s", fds_after);
	}
	close(pipefd[0]);
	close(pipefd[1]);
	/* And it still answers. */
	EXPECT_EQ(-ETIMEDOUT, ktls_handoff(self->d.sock, self->server_fd,
					   &server_role, &result));
}

/* A listener that never accepts: its backlog of one fills at once. */
static int stuck_listener(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 0)) {
		close(fd);
		return -errno;
	}
	return fd;
}

TEST_F(handoff, full_backlog_is_eagain_not_a_hang)
{
	char path[PATH_MAX];
	int listener, socks[4], n = 0, ret = 0;
	int64_t t0;

	snprintf(path, sizeof(path), "%s.stuck", self->d.sock);
	listener = stuck_listener(path);
	ASSERT_LE(0, listener);
	t0 = now_ms();
	while (n < 4) {
		ret = ktls_handoff_submit(path, self->server_fd, &server_role,
					  &socks[n]);
		if (ret)
			break;
		n++;
	}
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_GT(4, n);
	EXPECT_GT(2000, now_ms() - t0);
	EXPECT_EQ(0, strncmp(ktls_reason(), "ktlsd at ", 9));
	EXPECT_NE(NULL, strstr(ktls_reason(), "its backlog of connections is full"))
		TH_LOG("reason: %s", ktls_reason());
	while (n > 0)
		close(socks[--n]);
	close(listener);
	unlink(path);
}

/* A fake daemon that answers "success" without touching the socket. */
static int lying_daemon(struct peer *peer)
{
	int conn, fd, ret;

	ret = fake_handoff_take(*(int *)peer->arg, &conn, &fd);
	if (ret)
		return ret;
	close(fd);
	return fake_handoff_succeed(conn, "TLSv1.3", "TLS_AES_128_GCM_SHA256");
}

TEST_F(handoff, success_without_kernel_tls_fails_closed)
{
	struct ktls_handoff_result result;
	char path[PATH_MAX];
	struct peer peer;
	int listener;

	snprintf(path, sizeof(path), "%s.liar", self->d.sock);
	listener = stuck_listener(path);
	ASSERT_LE(0, listener);
	/* The blocking call, then submit + finish as an event loop does. */
	for (int i = 0; i < 2; i++) {
		int sock, ret;

		ASSERT_EQ(0, peer_start(&peer, lying_daemon, &listener));
		if (i == 0) {
			ret = ktls_handoff(path, self->server_fd, &server_role,
					   &result);
		} else {
			ASSERT_EQ(0, ktls_handoff_submit(path, self->server_fd,
							 &server_role, &sock));
			ret = ktls_handoff_finish(sock, self->server_fd,
						  &result);
		}
		EXPECT_EQ(-EPROTO, ret);
		EXPECT_EQ(-EPROTO, result.status);
		EXPECT_STREQ("handoff: the daemon reported success but the "
			     "socket has no kernel TLS (TCP_ULP \"\"); close it",
			     result.reason);
		EXPECT_EQ(0, peer_join(&peer));
	}
	close(listener);
	unlink(path);
}

/*
 * Over [handoff] max_in_flight: -EBUSY at once; a freed slot is reused. A
 * server handoff takes its slot when the peer's first byte arrives.
 */
TEST_F(handoff, max_in_flight_is_ebusy_at_once)
{
	struct ktls_handoff_request short_request = {
		.role = KTLS_ROLE_SERVER,
		.timeout_ms = 300,
	};
	struct ktls_handoff_result result;
	int client[2], server[2], sock[2];
	int64_t start, took;

	ASSERT_EQ(0, daemon_stop(&self->d));
	ASSERT_EQ(0, daemon_write_config(&self->d, "5s",
					 "[handoff]\nmax_in_flight = 2\n"));
	ASSERT_EQ(0, daemon_start(&self->d));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, tcp_pair(&client[i], &server[i]));
		ASSERT_EQ(1, write(client[i], "\x16", 1));
		ASSERT_EQ(0, ktls_handoff_submit(self->d.sock, server[i],
						 &server_role, &sock[i]));
	}
	usleep(500 * 1000);	/* both taken by the loops */
	ASSERT_EQ(1, write(self->client_fd, "\x16", 1));
	start = now_ms();
	EXPECT_EQ(-EBUSY, ktls_handoff(self->d.sock, self->server_fd,
				       &server_role, &result));
	took = now_ms() - start;
	EXPECT_GT(1000, took);
	EXPECT_STREQ("ktlsd is at its limit of 2 handoffs in flight "
		     "([handoff] max_in_flight); try again later",
		     result.reason);
	/* The application leaving frees its slot. */
	close(sock[0]);
	close(client[0]);
	close(server[0]);
	usleep(500 * 1000);
	EXPECT_EQ(-ETIMEDOUT, ktls_handoff(self->d.sock, self->server_fd,
					   &short_request, &result))
		TH_LOG("%s", result.reason);
	close(sock[1]);
	close(client[1]);
	close(server[1]);
}

/* A server handoff whose peer stays silent ends at first_byte_timeout. */
TEST_F(handoff, silent_peer_ends_at_first_byte_timeout)
{
	struct ktls_handoff_result result;
	int64_t start, took;

	ASSERT_EQ(0, daemon_stop(&self->d));
	ASSERT_EQ(0, daemon_write_config(&self->d, "10s",
					 "[handoff]\nfirst_byte_timeout = 500ms\n"));
	ASSERT_EQ(0, daemon_start(&self->d));
	start = now_ms();
	EXPECT_EQ(-ETIMEDOUT, ktls_handoff(self->d.sock, self->server_fd,
					   &server_role, &result));
	took = now_ms() - start;
	EXPECT_STREQ("the TLS peer sent nothing within 500 ms ([handoff] first_byte_timeout)",
		     result.reason);
	EXPECT_LE(450, took);
	EXPECT_GE(3000, took);
}

/* Without [allow] rules ktlsd says at start who can use its key. */
TEST_F(handoff, no_policy_is_a_warning)
{
	EXPECT_EQ(0, daemon_wait_log(&self->d,
				     "has no [allow uid|gid ...] section: every process that can connect to",
				     2000));
}

/* Restart with @rules after the usual config (they start at line 17). */
static int restart_with(struct daemon *d, const char *rules)
{
	int ret = daemon_stop(d);

	if (ret)
		return ret;
	ret = daemon_write_config(d, "10s", rules);
	return ret ? ret : daemon_start(d);
}

TEST_F(handoff, policy_uid_without_server_role_is_eacces)
{
	struct ktls_handoff_result result;
	char rules[128], expect[256];

	snprintf(rules, sizeof(rules), "[allow uid %u]\nroles = client\n",
		 (unsigned int)geteuid());
	ASSERT_EQ(0, restart_with(&self->d, rules));
	EXPECT_EQ(-EACCES, ktls_handoff(self->d.sock, self->server_fd,
					&server_role, &result));
	snprintf(expect, sizeof(expect),
		 "uid %u may not run server handshakes: [allow uid %u] (line 17) has roles = client",
		 (unsigned int)geteuid(), (unsigned int)geteuid());
	EXPECT_STREQ(expect, result.reason);
}

TEST_F(handoff, policy_gid_rule_applies)
{
	struct ktls_handoff_result result;
	char rules[128], expect[256];

	snprintf(rules, sizeof(rules), "[allow gid %u]\nroles = client\n",
		 (unsigned int)getegid());
	ASSERT_EQ(0, restart_with(&self->d, rules));
	EXPECT_EQ(-EACCES, ktls_handoff(self->d.sock, self->server_fd,
					&server_role, &result));
	snprintf(expect, sizeof(expect),
		 "uid %u may not run server handshakes: [allow gid %u] (line 17) has roles = client",
		 (unsigned int)geteuid(), (unsigned int)getegid());
	EXPECT_STREQ(expect, result.reason);
}

TEST_F(handoff, policy_no_matching_rule_is_eacces)
{
	struct ktls_handoff_result result;
	char expect[PATH_MAX + 128];

	ASSERT_EQ(0, restart_with(&self->d, "[allow uid 4242]\n"));
	EXPECT_EQ(-EACCES, ktls_handoff(self->d.sock, self->server_fd,
					&server_role, &result));
	snprintf(expect, sizeof(expect),
		 "uid %u matches no [allow] rule in %s: handoffs refused",
		 (unsigned int)geteuid(), self->d.conf);
	EXPECT_STREQ(expect, result.reason);
}

TEST_F(handoff, policy_server_names_enforced)
{
	struct ktls_handoff_request request = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "evil.test",
		.timeout_ms = 300,
	};
	struct ktls_handoff_result result;
	char rules[256], expect[256];

	snprintf(rules, sizeof(rules),
		 "[allow uid %u]\nroles = client\n"
		 "server_names = db.internal, *.example.org\n",
		 (unsigned int)geteuid());
	ASSERT_EQ(0, restart_with(&self->d, rules));
	EXPECT_EQ(-EACCES, ktls_handoff(self->d.sock, self->client_fd,
					&request, &result));
	snprintf(expect, sizeof(expect),
		 "uid %u may not connect to \"evil.test\": not in server_names of [allow uid %u] (line 17)",
		 (unsigned int)geteuid(), (unsigned int)geteuid());
	EXPECT_STREQ(expect, result.reason);
	/* Only one label under a wildcard. */
	request.server_name = "a.b.example.org";
	EXPECT_EQ(-EACCES, ktls_handoff(self->d.sock, self->client_fd,
					&request, &result));
	/* A listed name gets its handshake: the silent peer times it out. */
	request.server_name = "www.example.org";
	EXPECT_EQ(-ETIMEDOUT, ktls_handoff(self->d.sock, self->client_fd,
					   &request, &result))
		TH_LOG("%s", result.reason);
	request.server_name = "DB.internal";
	EXPECT_EQ(-ETIMEDOUT, ktls_handoff(self->d.sock, self->client_fd,
					   &request, &result))
		TH_LOG("%s", result.reason);
}

/* A server rule's server_names: the peer's SNI, before the key is used. */
TEST_F(handoff, policy_server_sni_enforced)
{
	struct ktls_handoff_result result;
	char rules[256], expect[256];
	struct peer peer;
	int client, server;

	snprintf(rules, sizeof(rules),
		 "[allow uid %u]\nroles = server\nserver_names = other.example\n",
		 (unsigned int)geteuid());
	ASSERT_EQ(0, restart_with(&self->d, rules));
	ASSERT_EQ(0, peer_start(&peer, daemon_tls_client, &self->client_fd));
	EXPECT_EQ(-EACCES, ktls_handoff(self->d.sock, self->server_fd,
					&server_role, &result));
	snprintf(expect, sizeof(expect),
		 "uid %u may not serve \"localhost\": not in server_names of [allow uid %u] (line 17)",
		 (unsigned int)geteuid(), (unsigned int)geteuid());
	EXPECT_STREQ(expect, result.reason);
	shutdown(self->server_fd, SHUT_RDWR);
	EXPECT_NE(0, peer_join(&peer));
	/* ktlsd said why on the wire before it gave the socket back. */
	EXPECT_NE(NULL, strstr(peer.reason, "unrecognized_name"))
		TH_LOG("client: %s", peer.reason);

	/* Its own name: the handshake runs (natively ENOENT at the switch). */
	snprintf(rules, sizeof(rules),
		 "[allow uid %u]\nroles = server\nserver_names = *.example, LOCALHOST\n",
		 (unsigned int)geteuid());
	ASSERT_EQ(0, restart_with(&self->d, rules));
	ASSERT_EQ(0, tcp_pair(&client, &server));
	ASSERT_EQ(0, peer_start(&peer, daemon_tls_client, &client));
	EXPECT_EQ(ktls_kernel_has_tls() == -ENOENT ? -ENOENT : 0,
		  ktls_handoff(self->d.sock, server, &server_role, &result))
		TH_LOG("%s", result.reason);
	EXPECT_EQ(0, peer_join(&peer)) TH_LOG("client: %s", peer.reason);
	close(client);
	close(server);
}

TEST_HARNESS_MAIN
