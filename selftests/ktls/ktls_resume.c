// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Resumption: a client context keeps the server's ticket and resumes with
 * it on the next connection. TLS 1.2: the ticket comes in the handshake and
 * the resumed handshake takes one round trip instead of two. TLS 1.3: the
 * ticket comes after the handshake; the client reads it in userspace and
 * moves RX into the kernel behind its first application data. Both
 * connections then carry data through kernel TLS.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_config.h"

#define TRANSFER (64 * 1024)

FIXTURE(resume)
{
	int client_fd[2], server_fd[2];
};

FIXTURE_VARIANT(resume)
{
	uint16_t version;
	int full_round_trips;
};

FIXTURE_VARIANT_ADD(resume, tls12)
{
	.version = KTLS_TLS_1_2,
	.full_round_trips = 2,
};

FIXTURE_VARIANT_ADD(resume, tls13)
{
	.version = KTLS_TLS_1_3,
	.full_round_trips = 1,
};

FIXTURE_SETUP(resume)
{
	int ret = ktls_tcp_pair(&self->client_fd[0], &self->server_fd[0]);

	self->client_fd[1] = -1;
	self->server_fd[1] = -1;
	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, tcp_pair(&self->client_fd[1], &self->server_fd[1]));
}

FIXTURE_TEARDOWN(resume)
{
	for (int i = 0; i < 2; i++) {
		if (self->client_fd[i] >= 0)
			close(self->client_fd[i]);
		if (self->server_fd[i] >= 0)
			close(self->server_fd[i]);
	}
}

struct server_job {
	int *fds;
	uint16_t version;
	uint8_t sent[2][DIGEST_LEN];
};

/* One server context for both connections: its ticket key persists. */
static int serve_two(struct peer *thread)
{
	struct server_job *job = thread->arg;
	struct ktls_config config = {
		.role = KTLS_ROLE_SERVER,
		.min_version = job->version,
		.max_version = job->version,
		.session_tickets = true,
	};
	char cert[PATH_MAX], key[PATH_MAX];
	struct ktls_session *session;
	struct stream stream;
	struct ktls_ctx *ctx;
	int ret;

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("server.key", key, sizeof(key));
	config.cert_file = cert;
	config.key_file = key;
	ret = ktls_ctx_new(&config, &ctx);
	for (int i = 0; i < 2 && !ret; i++) {
		ret = ktls_handshake(ctx, job->fds[i], &session);
		if (ret)
			break;
		ret = ktls_install(session, KTLS_TX | KTLS_RX);
		ktls_stream(&stream, session);
		if (!ret)
			ret = stream_send_random(&stream, TRANSFER,
						 job->sent[i]);
		if (!ret)
			ret = ktls_close_notify(session);
		ktls_session_free(session);
	}
	if (ret)
		for (int i = 0; i < 2; i++)
			shutdown(job->fds[i], SHUT_RDWR);
	ktls_ctx_free(ctx);
	return ret;
}

TEST_F(resume, second_connection_resumes)
{
	struct server_job job = {
		.fds = self->server_fd,
		.version = variant->version,
	};
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "localhost",
		.min_version = variant->version,
		.max_version = variant->version,
		.resumption = true,
	};
	uint8_t received[2][DIGEST_LEN];
	struct ktls_session *session[2] = { 0 };
	long long rx_before = 0, rx_after = 0;
	char ca[PATH_MAX], byte[KTLS_RECV_MIN];
	struct stream stream;
	struct ktls_ctx *ctx;
	struct peer thread;
	int ret = 0;

	test_pki_file("ca.pem", ca, sizeof(ca));
	config.ca_file = ca;
	ASSERT_EQ(0, ktls_ctx_new(&config, &ctx));
	ASSERT_EQ(0, tls_stat("TlsRxSw", &rx_before));
	ASSERT_EQ(0, peer_start(&thread, serve_two, &job));

	for (int i = 0; i < 2 && !ret; i++) {
		ret = ktls_handshake(ctx, self->client_fd[i], &session[i]);
		if (!ret)
			ret = ktls_install(session[i], KTLS_TX | KTLS_RX);
		EXPECT_EQ(0, ret) TH_LOG("connection %d: %s", i, ktls_reason());
		if (ret)
			break;
		ktls_stream(&stream, session[i]);
		ret = stream_recv_digest(&stream, TRANSFER, received[i]);
		EXPECT_EQ(0, ret) TH_LOG("data %d: %s", i, ktls_reason());
		EXPECT_EQ(0, ktls_recv(session[i], byte, sizeof(byte)))
			TH_LOG("close_notify %d: %s", i, ktls_reason());
	}
	if (ret)
		for (int i = 0; i < 2; i++)
			shutdown(self->client_fd[i], SHUT_RDWR);
	EXPECT_EQ(0, peer_join(&thread)) TH_LOG("server: %s", thread.reason);
	ASSERT_EQ(0, ret);

	EXPECT_FALSE(ktls_session_resumed(session[0]));
	EXPECT_TRUE(ktls_session_resumed(session[1]));
	EXPECT_EQ(variant->full_round_trips,
		  ktls_session_round_trips(session[0]));
	EXPECT_EQ(1, ktls_session_round_trips(session[1]));
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(0, memcmp(job.sent[i], received[i], DIGEST_LEN));
	/* Four RX directions went into the kernel, deferred ones included. */
	ASSERT_EQ(0, tls_stat("TlsRxSw", &rx_after));
	EXPECT_EQ(rx_before + 4, rx_after);

	for (int i = 0; i < 2; i++)
		ktls_session_free(session[i]);
	ktls_ctx_free(ctx);
}

TEST_HARNESS_MAIN
