// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /proc/net/tls_stat is how an operator sees kernel TLS at work: configuring
 * sockets must move the software TX/RX counters by exactly what we set up,
 * and closing them must bring the "current" counters back.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_config.h"

static const char *const counters[] = {
	"TlsCurrTxSw", "TlsCurrRxSw", "TlsTxSw", "TlsRxSw",
};

enum { CURR_TX, CURR_RX, TX, RX, NR_COUNTERS };

static int read_counters(long long values[NR_COUNTERS])
{
	for (int i = 0; i < NR_COUNTERS; i++) {
		int ret = tls_stat(counters[i], &values[i]);

		if (ret)
			return ret;
	}
	return 0;
}

struct stat_job {
	int fd;
	int ready[2];	/* server -> test: installed */
	int done[2];	/* test -> server: counters read, close now */
};

/* The server installs TX only, sends 1 MiB, then waits to be released. */
static int server_tx_only(struct peer *peer)
{
	struct stat_job *job = peer->arg;
	struct ktls_session *session;
	struct stream stream;
	char byte = 0;
	int ret;

	ret = test_handshake(KTLS_ROLE_SERVER, job->fd, KTLS_TX, &session);
	if (write(job->ready[1], &byte, 1) != 1 && !ret)
		ret = -EPIPE;
	if (ret)
		return ret;
	fd_stream(&stream, &job->fd);
	ret = stream_send_random(&stream, MiB, peer->sent);
	if (read(job->done[0], &byte, 1) != 1 && !ret)
		ret = -EPIPE;
	ktls_session_free(session);
	return ret;
}

TEST(counters_follow_sockets)
{
	long long before[NR_COUNTERS], during[NR_COUNTERS], after[NR_COUNTERS];
	struct stat_job job;
	struct ktls_session *client;
	uint8_t received[DIGEST_LEN];
	struct stream stream;
	struct peer server;
	int client_fd, ret;
	char byte = 0;

	ret = ktls_kernel_has_tls();
	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, read_counters(before))
		TH_LOG("/proc/net/tls_stat lacks a software counter");
	ASSERT_EQ(0, tcp_pair(&client_fd, &job.fd));
	ASSERT_EQ(0, pipe(job.ready));
	ASSERT_EQ(0, pipe(job.done));

	/* Client: TX and RX; server: TX only. Three configured directions. */
	ASSERT_EQ(0, peer_start(&server, server_tx_only, &job));
	ret = test_handshake(KTLS_ROLE_CLIENT, client_fd, KTLS_TX | KTLS_RX,
			     &client);
	EXPECT_EQ(0, ret) TH_LOG("client: %s", ktls_reason());
	EXPECT_EQ(1, read(job.ready[0], &byte, 1));
	if (!ret) {
		fd_stream(&stream, &client_fd);
		EXPECT_EQ(0, stream_recv_digest(&stream, MiB, received));
	}
	EXPECT_EQ(0, read_counters(during));
	EXPECT_EQ(1, write(job.done[1], &byte, 1));
	EXPECT_EQ(0, peer_join(&server)) TH_LOG("server: %s", server.reason);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, memcmp(server.sent, received, DIGEST_LEN));

	EXPECT_EQ(before[TX] + 2, during[TX]);
	EXPECT_EQ(before[RX] + 1, during[RX]);
	EXPECT_EQ(before[CURR_TX] + 2, during[CURR_TX]);
	EXPECT_EQ(before[CURR_RX] + 1, during[CURR_RX]);

	ktls_session_free(client);
	close(client_fd);
	close(job.fd);
	ASSERT_EQ(0, read_counters(after));
	EXPECT_EQ(during[TX], after[TX]);
	EXPECT_EQ(during[RX], after[RX]);
	EXPECT_EQ(before[CURR_TX], after[CURR_TX]);
	EXPECT_EQ(before[CURR_RX], after[CURR_RX]);
}

TEST_HARNESS_MAIN
