// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A handshake that waits for its peer asks the socket once, then gives
 * the wait back to its caller (ktls_handshake() polls, ktlsd's and
 * ktls-serve's loops wait in epoll). WolfSSL's OpenSSL-compatible default,
 * SSL_MODE_AUTO_RETRY, would instead read the empty socket ten more times
 * in a row before saying "want read": ten system calls per wait, for
 * nothing (measured natively: 11 recvfrom returning EAGAIN before every
 * poll of ktls-hs-server). This program counts the empty reads of one
 * handshake step: its recv() stands in front of libc's for libktls.
 * Handshakes only, no kernel TLS: runs natively and in the VM.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_util.h"

#define TIMEOUT_MS 5000

static int watched_fd = -1;
static int empty_reads;

/* libktls's record reads come here (static link): count the empty ones. */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	long n = syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);

	if (n < 0 && errno == EAGAIN && fd == watched_fd)
		empty_reads++;
	return n;
}

static int readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, TIMEOUT_MS) == 1 ? 0 : -ETIMEDOUT;
}

FIXTURE(waits)
{
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	struct ktls_ctx *client_ctx, *server_ctx;
	struct ktls_session *client, *server;
	int client_fd, server_fd;
};

FIXTURE_SETUP(waits)
{
	struct ktls_config client = {
		.role = KTLS_ROLE_CLIENT,
		.min_version = KTLS_TLS_1_3,
		.server_name = "localhost",
		.groups = "X25519",
		.handshake_timeout_ms = TIMEOUT_MS,
	};
	struct ktls_config server = {
		.role = KTLS_ROLE_SERVER,
		.min_version = KTLS_TLS_1_3,
		.handshake_timeout_ms = TIMEOUT_MS,
	};

	self->client_ctx = NULL;
	self->server_ctx = NULL;
	self->client = NULL;
	self->server = NULL;
	test_pki_file("ca.pem", self->ca, sizeof(self->ca));
	test_pki_file("server.pem", self->cert, sizeof(self->cert));
	test_pki_file("server.key", self->key, sizeof(self->key));
	client.ca_file = self->ca;
	server.cert_file = self->cert;
	server.key_file = self->key;
	ASSERT_EQ(0, ktls_ctx_new(&client, &self->client_ctx))
		TH_LOG("%s", ktls_reason());
	ASSERT_EQ(0, ktls_ctx_new(&server, &self->server_ctx))
		TH_LOG("%s", ktls_reason());
	ASSERT_EQ(0, tcp_pair(&self->client_fd, &self->server_fd));
	ASSERT_EQ(0, ktls_handshake_start(self->client_ctx, self->client_fd,
					  &self->client));
	ASSERT_EQ(0, ktls_handshake_start(self->server_ctx, self->server_fd,
					  &self->server));
}

FIXTURE_TEARDOWN(waits)
{
	ktls_session_free(self->client);
	ktls_session_free(self->server);
	ktls_ctx_free(self->client_ctx);
	ktls_ctx_free(self->server_ctx);
	close(self->client_fd);
	close(self->server_fd);
}

/*
 * The server reads the ClientHello, sends its flight and waits for the
 * client's Finished: one empty read, then -EAGAIN with POLLIN; the same for
 * the client waiting for the server's flight. Then the handshake completes
 * driven by those answers alone.
 */
TEST_F(waits, one_empty_read_per_wait)
{
	int ret, client_ret = -EAGAIN, server_ret = -EAGAIN, rounds;

	watched_fd = self->client_fd;
	empty_reads = 0;
	/* ClientHello out, nothing back yet. */
	ASSERT_EQ(-EAGAIN, ktls_handshake_step(self->client));
	EXPECT_EQ(POLLIN, ktls_session_wants(self->client));
	EXPECT_EQ(1, empty_reads);

	ASSERT_EQ(0, readable(self->server_fd));
	watched_fd = self->server_fd;
	empty_reads = 0;
	ret = ktls_handshake_step(self->server);
	ASSERT_EQ(-EAGAIN, ret) TH_LOG("%s", ktls_reason());
	EXPECT_EQ(POLLIN, ktls_session_wants(self->server));
	EXPECT_EQ(1, empty_reads);

	/* The rest: each end steps when the socket says so. */
	watched_fd = -1;
	for (rounds = 0; rounds < 10 && (client_ret || server_ret); rounds++) {
		if (client_ret == -EAGAIN && !readable(self->client_fd))
			client_ret = ktls_handshake_step(self->client);
		if (server_ret == -EAGAIN && !readable(self->server_fd))
			server_ret = ktls_handshake_step(self->server);
	}
	EXPECT_EQ(0, client_ret) TH_LOG("client: %s", ktls_reason());
	EXPECT_EQ(0, server_ret) TH_LOG("server: %s", ktls_reason());
}

TEST_HARNESS_MAIN
