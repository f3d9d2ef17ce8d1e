// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Peers that do not play along: one that stalls, one that sends garbage,
 * one that speaks plain HTTP to a TLS port, one that hangs up mid-hello.
 * Each gets a clear error within the handshake deadline, never a hang.
 * Handshake only: runs natively and in the VM.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_config.h"

#define DEADLINE_MS 500

/* A ClientHello's first bytes: a handshake record that never completes. */
static const uint8_t half_hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
static const char http_get[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

enum behaviour { STALL, GARBAGE, PLAIN_HTTP, HANG_UP };

FIXTURE(hostile)
{
	int client_fd, server_fd;
};

FIXTURE_VARIANT(hostile)
{
	enum behaviour client_does;
	int ret;
	const char *reason;	/* must appear in the server's reason */
};

FIXTURE_VARIANT_ADD(hostile, stalls)
{
	.client_does = STALL,
	.ret = -ETIMEDOUT,
	.reason = "TLS handshake timed out after 500 ms",
};

FIXTURE_VARIANT_ADD(hostile, sends_garbage)
{
	.client_does = GARBAGE,
	.ret = -ECONNABORTED,
	.reason = "TLS handshake failed: record layer length error",
};

FIXTURE_VARIANT_ADD(hostile, speaks_plain_http)
{
	.client_does = PLAIN_HTTP,
	.ret = -EPROTO,
	.reason = "the peer sent a plain HTTP request, not TLS",
};

FIXTURE_VARIANT_ADD(hostile, hangs_up_mid_hello)
{
	.client_does = HANG_UP,
	.ret = -ECONNRESET,
	.reason = "TLS handshake failed: the peer closed the connection",
};

FIXTURE_SETUP(hostile)
{
	ASSERT_EQ(0, tcp_pair(&self->client_fd, &self->server_fd));
}

FIXTURE_TEARDOWN(hostile)
{
	if (self->client_fd >= 0)
		close(self->client_fd);
	close(self->server_fd);
}

TEST_F(hostile, server_reports_and_returns)
{
	char cert[PATH_MAX], key[PATH_MAX];
	struct ktls_config config = {
		.role = KTLS_ROLE_SERVER,
		.cert_file = cert,
		.key_file = key,
		.handshake_timeout_ms = DEADLINE_MS,
	};
	struct ktls_session *session = NULL;
	uint8_t garbage[1024];
	struct ktls_ctx *ctx;
	int ret;

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("server.key", key, sizeof(key));
	ASSERT_EQ(0, ktls_ctx_new(&config, &ctx)) TH_LOG("%s", ktls_reason());
	switch (variant->client_does) {
	case STALL:
		break;
	case GARBAGE:
		ASSERT_EQ((ssize_t)sizeof(garbage),
			  getrandom(garbage, sizeof(garbage), 0));
		/* An application data record longer than TLS allows. */
		memcpy(garbage, "\x17\x03\x03\x7f\xff", 5);
		ASSERT_EQ((ssize_t)sizeof(garbage),
			  send(self->client_fd, garbage, sizeof(garbage), 0));
		break;
	case PLAIN_HTTP:
		ASSERT_EQ((ssize_t)strlen(http_get),
			  send(self->client_fd, http_get, strlen(http_get), 0));
		break;
	case HANG_UP:
		ASSERT_EQ((ssize_t)sizeof(half_hello),
			  send(self->client_fd, half_hello, sizeof(half_hello),
			       0));
		close(self->client_fd);
		self->client_fd = -1;
		break;
	}
	ret = ktls_handshake(ctx, self->server_fd, &session);
	TH_LOG("server: %d %s", ret, ktls_reason());
	EXPECT_EQ(variant->ret, ret) TH_LOG("reason: %s", ktls_reason());
	EXPECT_NE(NULL, strstr(ktls_reason(), variant->reason))
		TH_LOG("reason: %s", ktls_reason());
	EXPECT_EQ(NULL, session);
	ktls_ctx_free(ctx);
}

TEST_HARNESS_MAIN
