// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls_handoff_finish() fails closed: a daemon's "success" is believed only
 * if the socket carries the tls ULP with kernel TLS installed in both
 * directions, in the version the daemon named. A fake daemon answers
 * success after setting up only part of that (TCP_ULP alone, TX alone, RX
 * alone, a version other than the one it reports); each must fail with a
 * reason, and the whole of it must pass. Needs kernel TLS (the VM).
 */
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ktls/tls_prot.h"
#include "test_util.h"
#include "ktls/handoff.h"
#include "fake_handoff.h"

#define SET_ULP 1
#define SET_TX 2
#define SET_RX 4

struct fake_job {
	int listener;
	unsigned int set;	/* SET_* done on the socket before "success" */
	uint16_t version;	/* installed */
	const char *reported;	/* answered */
};

/* A test key: all zeros; the kernel only needs a well-formed one. */
static int install(int fd, int optname, uint16_t version)
{
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info.version = version,
		.info.cipher_type = TLS_CIPHER_AES_GCM_128,
	};

	return setsockopt(fd, SOL_TLS, optname, &ci, sizeof(ci)) ? -errno : 0;
}

static int set_up(int fd, const struct fake_job *job)
{
	int ret = 0;

	if (job->set & SET_ULP)
		ret = setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) ?
			      -errno : 0;
	if (!ret && job->set & SET_TX)
		ret = install(fd, TLS_TX, job->version);
	if (!ret && job->set & SET_RX)
		ret = install(fd, TLS_RX, job->version);
	return ret;
}

/* Takes the socket, sets up what the job says, answers success. */
static int fake_daemon(struct peer *peer)
{
	struct fake_job *job = peer->arg;
	int conn, fd, ret;

	ret = fake_handoff_take(job->listener, &conn, &fd);
	if (ret)
		return ret;
	ret = set_up(fd, job);
	close(fd);
	if (ret) {
		close(conn);
		return ret;
	}
	return fake_handoff_succeed(conn, job->reported,
				    "TLS_AES_128_GCM_SHA256");
}

FIXTURE(verify)
{
	char path[108];
	int listener, client_fd, server_fd;
};

FIXTURE_VARIANT(verify)
{
	unsigned int set;
	uint16_t version;
	const char *reported;
	const char *reason;	/* NULL: the handoff succeeds */
};

FIXTURE_VARIANT_ADD(verify, ulp_only)
{
	.set = SET_ULP,
	.version = TLS_1_3_VERSION,
	.reported = "TLSv1.3",
	.reason = "handoff: the daemon reported success but kernel TLS TX is not installed (Device or resource busy); close it",
};

FIXTURE_VARIANT_ADD(verify, tx_only)
{
	.set = SET_ULP | SET_TX,
	.version = TLS_1_3_VERSION,
	.reported = "TLSv1.3",
	.reason = "handoff: the daemon reported success but kernel TLS RX is not installed (Device or resource busy); close it",
};

FIXTURE_VARIANT_ADD(verify, rx_only)
{
	.set = SET_ULP | SET_RX,
	.version = TLS_1_3_VERSION,
	.reported = "TLSv1.3",
	.reason = "handoff: the daemon reported success but kernel TLS TX is not installed (Device or resource busy); close it",
};

FIXTURE_VARIANT_ADD(verify, other_version)
{
	.set = SET_ULP | SET_TX | SET_RX,
	.version = TLS_1_2_VERSION,
	.reported = "TLSv1.3",
	.reason = "handoff: the daemon reported TLSv1.3 but the kernel carries TLS 0x303 (TX) and 0x303 (RX); close it",
};

FIXTURE_VARIANT_ADD(verify, both_directions)
{
	.set = SET_ULP | SET_TX | SET_RX,
	.version = TLS_1_3_VERSION,
	.reported = "TLSv1.3",
};

FIXTURE_SETUP(verify)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int ret = ktls_tcp_pair(&self->client_fd, &self->server_fd);

	self->listener = -1;
	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
	snprintf(self->path, sizeof(self->path), "/tmp/ktls_handoff_verify.%d",
		 getpid());
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", self->path);
	unlink(self->path);
	self->listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->listener);
	ASSERT_EQ(0, bind(self->listener, (struct sockaddr *)&addr,
			  sizeof(addr)));
	ASSERT_EQ(0, listen(self->listener, 1));
}

FIXTURE_TEARDOWN(verify)
{
	if (self->listener >= 0) {
		close(self->listener);
		unlink(self->path);
	}
	if (self->client_fd >= 0)
		close(self->client_fd);
	if (self->server_fd >= 0)
		close(self->server_fd);
}

TEST_F(verify, finish_checks_both_directions)
{
	static const struct ktls_handoff_request request = {
		.role = KTLS_ROLE_SERVER,
	};
	struct fake_job job = {
		.listener = self->listener,
		.set = variant->set,
		.version = variant->version,
		.reported = variant->reported,
	};
	struct ktls_handoff_result result;
	struct peer daemon;
	int ret;

	ASSERT_EQ(0, peer_start(&daemon, fake_daemon, &job));
	ret = ktls_handoff(self->path, self->server_fd, &request, &result);
	ASSERT_EQ(0, peer_join(&daemon))
		TH_LOG("fake daemon: %s", strerror(-daemon.ret));
	if (!variant->reason) {
		EXPECT_EQ(0, ret) TH_LOG("%s", result.reason);
		EXPECT_STREQ("TLSv1.3", result.version);
		return;
	}
	EXPECT_EQ(-EPROTO, ret);
	EXPECT_EQ(-EPROTO, result.status);
	EXPECT_STREQ(variant->reason, result.reason);
}

TEST_HARNESS_MAIN
