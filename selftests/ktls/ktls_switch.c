// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The invariants of the switch to kernel TLS, against a peer that is plain
 * userspace WolfSSL with IO we control:
 *   - data sent in the same TCP segment as the peer's Finished arrives;
 *   - TLS 1.3 tickets: the server's TX sequence counts them, and a client
 *     reads past tickets that arrive after its switch;
 *   - close_notify both ways; a fatal alert is named; a tampered record is
 *     never delivered;
 *   - KeyUpdate: rekeyed where the kernel can (6.14+), refused with a
 *     stated reason where it cannot, and started by us before the limit.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ktls/tls_prot.h"
#include "wolfssl_peer.h"

#define SEGMENT_DATA (32 * 1024)	/* fits one loopback segment */
#define TRANSFER (256 * 1024)

/* Before any thread: WolfSSL ready, kernel TLS there, a TCP pair. */
static int open_pair(int *client_fd, int *server_fd)
{
	int ret = wolfssl_peer_init();

	if (ret) {
		*client_fd = -1;
		*server_fd = -1;
		return ret;
	}
	return ktls_tcp_pair(client_fd, server_fd);
}

static void close_pair(int client_fd, int server_fd)
{
	if (client_fd >= 0)
		close(client_fd);
	if (server_fd >= 0)
		close(server_fd);
}

FIXTURE(pair)
{
	int client_fd, server_fd;
};

FIXTURE_SETUP(pair)
{
	int ret = open_pair(&self->client_fd, &self->server_fd);

	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(pair)
{
	close_pair(self->client_fd, self->server_fd);
}

/* The same, for what only TLS 1.3 has: tickets after the switch, KeyUpdate. */
FIXTURE(tls13)
{
	int client_fd, server_fd;
};

FIXTURE_SETUP(tls13)
{
	int ret = open_pair(&self->client_fd, &self->server_fd);

	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(tls13)
{
	close_pair(self->client_fd, self->server_fd);
}

FIXTURE_VARIANT(tls13)
{
	enum ktls_role ours;
	uint16_t version;
};

FIXTURE_VARIANT_ADD(tls13, ktls_server)
{
	.ours = KTLS_ROLE_SERVER,
	.version = KTLS_TLS_1_3,
};

FIXTURE_VARIANT_ADD(tls13, ktls_client)
{
	.ours = KTLS_ROLE_CLIENT,
	.version = KTLS_TLS_1_3,
};

/* What a userspace WolfSSL peer thread does, and what it saw. */
struct wolfssl_job {
	enum ktls_role role;
	int fd;
	struct test_opts opts;
	bool tickets, hold_last_flight, corrupt, key_update, close_notify;
	size_t send_len, recv_len;
	/* results */
	bool got_ticket, got_zero_return;
	int alert_received;
	uint64_t peer_seq;
};

static int wolfssl_side(struct peer *thread)
{
	/* Too big for a thread's stack frame comfortably: one per thread. */
	static __thread struct wolfssl_peer peer;
	struct wolfssl_job *job = thread->arg;
	WOLFSSL_ALERT_HISTORY alerts;
	struct stream stream;
	uint8_t buf[SEGMENT_DATA];
	WOLFSSL_SESSION *session;
	word64 seq;
	int ret;

	ret = wolfssl_peer_new(&peer, job->role, job->fd, &job->opts,
			       job->tickets);
	if (ret)
		return ret;
	peer.hold_last_flight = job->hold_last_flight;
	wolfssl_peer_stream(&peer, &stream);
	ret = wolfssl_peer_handshake(&peer);
	if (ret)
		goto out;

	if (job->send_len) {
		peer.corrupt_next = job->corrupt;
		if (job->key_update) {
			/* Half, KeyUpdate (asking us to update too), half. */
			ret = stream_send_random(&stream, job->send_len / 2,
						 thread->sent);
			if (!ret && wolfSSL_update_keys(peer.ssl) !=
					    WOLFSSL_SUCCESS)
				ret = -EIO;
			if (!ret)
				ret = stream_send_random(&stream,
							 job->send_len / 2,
							 thread->sent);
		} else if (job->hold_last_flight) {
			/* The held flight and the data leave in one segment. */
			if (getrandom(buf, sizeof(buf), 0) != sizeof(buf))
				ret = -EIO;
			if (!ret)
				ret = wolfssl_peer_write(&peer, buf, sizeof(buf));
			if (!ret)
				ret = sha256(buf, sizeof(buf), thread->sent);
			if (!ret)
				ret = wolfssl_peer_flush(&peer);
		} else {
			ret = stream_send_random(&stream, job->send_len,
						 thread->sent);
		}
		if (ret)
			goto out;
	}
	if (job->recv_len) {
		ret = stream_recv_digest(&stream, job->recv_len,
					 thread->received);
		if (wolfSSL_GetPeerSequenceNumber(peer.ssl, &seq) >= 0)
			job->peer_seq = seq;
		if (ret)
			goto alerts;
		/* After the data: our close_notify, a clean end. */
		ret = wolfSSL_read(peer.ssl, buf, sizeof(buf));
		job->got_zero_return = ret == 0 &&
			wolfSSL_get_error(peer.ssl, ret) ==
				WOLFSSL_ERROR_ZERO_RETURN;
		ret = 0;
	}
	if (job->close_notify)
		wolfSSL_shutdown(peer.ssl);
alerts:
	if (wolfSSL_get_alert_history(peer.ssl, &alerts) == WOLFSSL_SUCCESS)
		job->alert_received = alerts.last_rx.code;
	session = wolfSSL_get1_session(peer.ssl);
	job->got_ticket = session && wolfSSL_SESSION_has_ticket(session);
	wolfSSL_SESSION_free(session);
out:
	if (ret)
		shutdown(job->fd, SHUT_RDWR);
	wolfssl_peer_free(&peer);
	return ret;
}

/* Our end: handshake, kTLS both ways, receive then send, hashing. */
struct ours {
	struct ktls_session *session;
	uint8_t sent[DIGEST_LEN], received[DIGEST_LEN];
	int recv_ret, send_ret, close_ret;
};

static int our_side(struct __test_metadata *_metadata, enum ktls_role role,
		    int fd, const struct test_opts *opts, size_t recv_len,
		    size_t send_len, struct ours *ours)
{
	struct stream stream;
	int ret;

	ret = test_handshake_opts(role, fd, opts, KTLS_TX | KTLS_RX,
				  &ours->session);
	EXPECT_EQ(0, ret) TH_LOG("our end: %s", ktls_reason());
	if (ret) {
		shutdown(fd, SHUT_RDWR);
		return ret;
	}
	ktls_stream(&stream, ours->session);
	if (recv_len)
		ours->recv_ret = stream_recv_digest(&stream, recv_len,
						    ours->received);
	if (!ours->recv_ret && send_len) {
		ours->send_ret = stream_send_random(&stream, send_len,
						    ours->sent);
		if (!ours->send_ret)
			ours->close_ret = ktls_close_notify(ours->session);
	}
	if (ours->recv_ret || ours->send_ret)
		shutdown(fd, SHUT_RDWR);
	return 0;
}

FIXTURE_VARIANT(pair)
{
	enum ktls_role ours;	/* the kTLS end; WolfSSL plays the other */
	uint16_t version;
};

FIXTURE_VARIANT_ADD(pair, ktls_server_tls13)
{
	.ours = KTLS_ROLE_SERVER,
	.version = KTLS_TLS_1_3,
};

FIXTURE_VARIANT_ADD(pair, ktls_client_tls13)
{
	.ours = KTLS_ROLE_CLIENT,
	.version = KTLS_TLS_1_3,
};

FIXTURE_VARIANT_ADD(pair, ktls_client_tls12)
{
	.ours = KTLS_ROLE_CLIENT,
	.version = KTLS_TLS_1_2,
};

/* The WolfSSL end plays the role we do not. */
#define setup_job(job, self, variant) \
	wolfssl_job_init(job, (variant)->ours, (variant)->version, \
			 (self)->client_fd, (self)->server_fd)
#define our_fd(self, variant) \
	((variant)->ours == KTLS_ROLE_SERVER ? (self)->server_fd : \
					       (self)->client_fd)

static void wolfssl_job_init(struct wolfssl_job *job, enum ktls_role ours,
			     uint16_t version, int client_fd, int server_fd)
{
	memset(job, 0, sizeof(*job));
	job->role = ours == KTLS_ROLE_SERVER ? KTLS_ROLE_CLIENT :
					       KTLS_ROLE_SERVER;
	job->fd = ours == KTLS_ROLE_SERVER ? client_fd : server_fd;
	job->opts.version = version;
}

/*
 * The peer's last handshake flight and 32 KiB of data leave in one send():
 * client Finished + data (TLS 1.3), server Finished + data (TLS 1.2), or
 * server ticket + data (TLS 1.3). All of it must come out of kernel TLS.
 */
TEST_F(pair, finished_and_data_in_one_segment)
{
	struct test_opts opts = { .version = variant->version };
	struct wolfssl_job job;
	struct ours ours = { 0 };
	struct peer thread;

	setup_job(&job, self, variant);
	job.hold_last_flight = true;
	job.tickets = variant->version == KTLS_TLS_1_3;
	job.send_len = SEGMENT_DATA;
	ASSERT_EQ(0, peer_start(&thread, wolfssl_side, &job));
	our_side(_metadata, variant->ours, our_fd(self, variant), &opts,
		 SEGMENT_DATA, 0, &ours);
	EXPECT_EQ(0, peer_join(&thread)) TH_LOG("peer: %d", thread.ret);
	ASSERT_EQ(0, ours.recv_ret) TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, memcmp(thread.sent, ours.received, DIGEST_LEN));
	ktls_session_free(ours.session);
}

/*
 * Tickets, from whichever end is the server. Ours sends one under the
 * application key before the switch: the peer decrypts what follows only
 * if our TX sequence counted it. The peer's arrives at our client after
 * the switch: ktls_recv() reads past it to the peer's close_notify.
 */
TEST_F(tls13, tickets_then_close_notify)
{
	struct test_opts opts = {
		.version = variant->version,
		.session_tickets = variant->ours == KTLS_ROLE_SERVER,
	};
	struct wolfssl_job job;
	struct ours ours = { 0 };
	struct peer thread;
	char buf[KTLS_RECV_MIN];

	setup_job(&job, self, variant);
	job.tickets = variant->ours == KTLS_ROLE_CLIENT;
	job.recv_len = TRANSFER;
	job.close_notify = true;
	ASSERT_EQ(0, peer_start(&thread, wolfssl_side, &job));
	our_side(_metadata, variant->ours, our_fd(self, variant), &opts, 0,
		 TRANSFER, &ours);
	ASSERT_EQ(0, ours.send_ret) TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, ours.close_ret) TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, ktls_recv(ours.session, buf, sizeof(buf)))
		TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, peer_join(&thread)) TH_LOG("peer: %d", thread.ret);
	EXPECT_EQ(0, memcmp(ours.sent, thread.received, DIGEST_LEN));
	EXPECT_TRUE(job.got_zero_return);
	if (variant->ours == KTLS_ROLE_SERVER)
		EXPECT_TRUE(job.got_ticket);
	ktls_session_free(ours.session);
}

/* The peer's close_notify: ktls_recv() returns 0 after the data. */
TEST_F(pair, close_notify_from_peer)
{
	struct test_opts opts = { .version = variant->version };
	struct wolfssl_job job;
	struct ours ours = { 0 };
	struct peer thread;
	char buf[KTLS_RECV_MIN];

	setup_job(&job, self, variant);
	job.send_len = TRANSFER;
	job.close_notify = true;
	job.tickets = true;
	ASSERT_EQ(0, peer_start(&thread, wolfssl_side, &job));
	our_side(_metadata, variant->ours, our_fd(self, variant), &opts,
		 TRANSFER, 0, &ours);
	ASSERT_EQ(0, ours.recv_ret) TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, ktls_recv(ours.session, buf, sizeof(buf)))
		TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, peer_join(&thread));
	EXPECT_EQ(0, memcmp(thread.sent, ours.received, DIGEST_LEN));
	ktls_session_free(ours.session);
}

/* A flipped bit: EBADMSG, nothing delivered, the connection closed. */
TEST_F(pair, tampered_record)
{
	struct test_opts opts = { .version = variant->version };
	long long before = 0, after = 0;
	struct wolfssl_job job;
	struct ktls_session *session;
	struct peer thread;
	char buf[SEGMENT_DATA];
	ssize_t n;
	int ret;

	ASSERT_EQ(0, tls_stat("TlsDecryptError", &before));
	setup_job(&job, self, variant);
	job.send_len = SEGMENT_DATA;
	job.corrupt = true;
	job.recv_len = 1;	/* then wait for our alert */
	ASSERT_EQ(0, peer_start(&thread, wolfssl_side, &job));
	ret = test_handshake_opts(variant->ours, our_fd(self, variant), &opts,
				  KTLS_TX | KTLS_RX, &session);
	ASSERT_EQ(0, ret) TH_LOG("%s", ktls_reason());
	n = ktls_recv(session, buf, sizeof(buf));
	EXPECT_EQ(-EBADMSG, n);
	EXPECT_NE(NULL, strstr(ktls_reason(), "failed authentication"))
		TH_LOG("reason: %s", ktls_reason());
	/*
	 * The kernel has aborted the socket (no alert can follow through
	 * it): the peer sees the connection end, and reads nothing more.
	 */
	EXPECT_NE(0, peer_join(&thread));
	ASSERT_EQ(0, tls_stat("TlsDecryptError", &after));
	EXPECT_EQ(before + 1, after);
	ktls_session_free(session);
}

struct alert_job {
	enum ktls_role role;
	int fd;
	struct test_opts opts;
};

/* An end of ours that sends a fatal internal_error alert after the switch. */
static int send_fatal_alert(struct peer *thread)
{
	struct alert_job *job = thread->arg;
	struct ktls_session *session;
	int ret;

	ret = test_handshake_opts(job->role, job->fd, &job->opts,
				  KTLS_TX | KTLS_RX, &session);
	if (ret) {
		shutdown(job->fd, SHUT_RDWR);
		return ret;
	}
	ret = ktls_send_alert(session, TLS_ALERT_LEVEL_FATAL,
			      TLS_ALERT_DESC_INTERNAL_ERROR);
	ktls_session_free(session);
	return ret;
}

/* A fatal alert from the peer is named, and ends the connection. */
TEST_F(pair, fatal_alert_named)
{
	struct alert_job job = {
		.role = variant->ours == KTLS_ROLE_SERVER ? KTLS_ROLE_CLIENT :
							    KTLS_ROLE_SERVER,
		.fd = variant->ours == KTLS_ROLE_SERVER ? self->client_fd :
							  self->server_fd,
		.opts = { .version = variant->version },
	};
	struct ktls_session *session;
	struct peer thread;
	char buf[KTLS_RECV_MIN];
	int ret;

	ASSERT_EQ(0, peer_start(&thread, send_fatal_alert, &job));
	ret = test_handshake_opts(variant->ours, our_fd(self, variant),
				  &job.opts, KTLS_TX | KTLS_RX, &session);
	ASSERT_EQ(0, ret) TH_LOG("%s", ktls_reason());
	EXPECT_EQ(-ECONNRESET, ktls_recv(session, buf, sizeof(buf)));
	EXPECT_STREQ("the peer sent fatal alert internal_error (80)",
		     ktls_reason());
	/* Nothing more is read after a fatal alert. */
	EXPECT_EQ(0, ktls_recv(session, buf, sizeof(buf)));
	EXPECT_EQ(0, peer_join(&thread)) TH_LOG("peer: %s", thread.reason);
	ktls_session_free(session);
}

/*
 * The peer updates its key mid-stream and asks us to update ours: on
 * Linux 6.14+ every byte arrives both ways; before, ktls_recv() stops with
 * the reason instead of returning garbage.
 */
TEST_F(tls13, peer_key_update)
{
	struct test_opts opts = { .version = variant->version };
	struct wolfssl_job job;
	struct ours ours = { 0 };
	struct peer thread;

	setup_job(&job, self, variant);
	job.send_len = 2 * TRANSFER;
	job.key_update = true;
	job.recv_len = TRANSFER;
	ASSERT_EQ(0, peer_start(&thread, wolfssl_side, &job));
	our_side(_metadata, variant->ours, our_fd(self, variant), &opts,
		 2 * TRANSFER, TRANSFER, &ours);
	peer_join(&thread);
	if (kernel_can_rekey()) {
		ASSERT_EQ(0, ours.recv_ret) TH_LOG("%s", ktls_reason());
		EXPECT_EQ(0, ours.send_ret) TH_LOG("%s", ktls_reason());
		EXPECT_EQ(0, thread.ret);
		EXPECT_EQ(0, memcmp(ours.sent, thread.received, DIGEST_LEN));
	} else {
		EXPECT_EQ(-EKEYREJECTED, ours.recv_ret);
		EXPECT_NE(NULL, strstr(ktls_reason(), "needs Linux 6.14"))
			TH_LOG("reason: %s", ktls_reason());
	}
	ktls_session_free(ours.session);
}

/*
 * A tiny key_update_records: we update our key every few records, and the
 * peer still reads every byte (6.14+); before 6.14, the send fails with
 * the reason.
 */
TEST_F(tls13, our_key_update_before_limit)
{
	struct test_opts opts = {
		.version = variant->version,
		.key_update_records = 4,
	};
	struct wolfssl_job job;
	struct ours ours = { 0 };
	struct peer thread;

	setup_job(&job, self, variant);
	job.recv_len = TRANSFER;
	ASSERT_EQ(0, peer_start(&thread, wolfssl_side, &job));
	our_side(_metadata, variant->ours, our_fd(self, variant), &opts, 0,
		 TRANSFER, &ours);
	peer_join(&thread);
	if (kernel_can_rekey()) {
		ASSERT_EQ(0, ours.send_ret) TH_LOG("%s", ktls_reason());
		EXPECT_EQ(0, memcmp(ours.sent, thread.received, DIGEST_LEN));
		/* Sequence numbers restart at every update. */
		EXPECT_GE(4ULL + 1, job.peer_seq);
	} else {
		EXPECT_EQ(-EKEYREJECTED, ours.send_ret);
		EXPECT_NE(NULL, strstr(ktls_reason(), "needs Linux 6.14"))
			TH_LOG("reason: %s", ktls_reason());
	}
	ktls_session_free(ours.session);
}

TEST_HARNESS_MAIN
