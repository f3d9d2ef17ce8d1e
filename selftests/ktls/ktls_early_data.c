// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLS 1.3 0-RTT early data. A first connection gets a ticket; the next one
 * resumes with it and queues 4 KiB to send before the handshake completes.
 * Off by default (the bytes arrive once, after the handshake); enabled (the
 * server holds them before the client has read its first flight, then data
 * moves through kernel TLS); a replayed first flight and a ticket used twice
 * get no 0-RTT; the server never takes more than max_early_data; a server
 * without 0-RTT skips early data it gets anyway (RFC 8446 §4.2.10).
 *
 * Both ends run in this thread on non-blocking sockets, stepped in turn, so
 * a test can stop one side between steps. A relay between them can record
 * what the client sent first.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_config.h"
#include "ktls/tickets.h"

#define QUEUED 4096
#define BULK MiB
#define STEP_DEADLINE_MS 10000

struct ends {
	struct ktls_ctx *client, *server;
};

struct conn {
	int client_fd, server_fd;
	int relay[2];		/* [0] faces the client, [1] the server; -1: none */
	struct ktls_session *client, *server;
	int client_ret, server_ret;	/* of the last step */
	uint8_t capture[64 * 1024];	/* what the client sent first */
	size_t capture_len;
	bool server_spoke;	/* the relay passed server bytes on */
};

/* Set: the server's tickets are sealed elsewhere (ktls/tickets.h). */
static const struct ktls_ticket_sealer *server_sealer;

static int make_ends(uint32_t server_max, uint32_t client_max,
		     struct ends *ends)
{
	struct ktls_config server = {
		.role = KTLS_ROLE_SERVER,
		.min_version = KTLS_TLS_1_3,
		.session_tickets = true,
		.max_early_data = server_max,
	};
	struct ktls_config client = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "localhost",
		.min_version = KTLS_TLS_1_3,
		.resumption = true,
		.max_early_data = client_max,
	};
	static struct test_pki pki;
	int ret;

	test_pki(&pki);
	server.cert_file = pki.cert;
	server.key_file = pki.key;
	server.ticket_sealer = server_sealer;
	client.ca_file = pki.ca;
	ret = ktls_ctx_new(&server, &ends->server);
	if (ret)
		return ret;
	ret = ktls_ctx_new(&client, &ends->client);
	if (ret)
		ktls_ctx_free(ends->server);
	return ret;
}

static void free_ends(struct ends *ends)
{
	ktls_ctx_free(ends->client);
	ktls_ctx_free(ends->server);
}

static int set_blocking(int fd, bool blocking)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -errno;
	flags = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
	return fcntl(fd, F_SETFL, flags) ? -errno : 0;
}

static void conn_close(struct conn *c)
{
	ktls_session_free(c->client);
	ktls_session_free(c->server);
	c->client = NULL;
	c->server = NULL;
	for (int i = 0; i < 2; i++)
		if (c->relay[i] >= 0)
			close(c->relay[i]);
	if (c->client_fd >= 0)
		close(c->client_fd);
	if (c->server_fd >= 0)
		close(c->server_fd);
}

/* Connected, non-blocking, handshakes started; through a relay if asked. */
static int conn_open(struct conn *c, struct ends *ends, bool relay)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->client_fd = -1;
	c->server_fd = -1;
	c->relay[0] = -1;
	c->relay[1] = -1;
	c->client_ret = -EAGAIN;
	c->server_ret = -EAGAIN;
	if (relay) {
		ret = tcp_pair(&c->client_fd, &c->relay[0]);
		if (!ret)
			ret = tcp_pair(&c->relay[1], &c->server_fd);
	} else {
		ret = tcp_pair(&c->client_fd, &c->server_fd);
	}
	if (!ret)
		ret = set_blocking(c->client_fd, false);
	if (!ret)
		ret = set_blocking(c->server_fd, false);
	if (!ret)
		ret = ktls_handshake_start(ends->client, c->client_fd,
					   &c->client);
	if (!ret)
		ret = ktls_handshake_start(ends->server, c->server_fd,
					   &c->server);
	if (ret)
		conn_close(c);
	return ret;
}

/* Move what is waiting on @from to @to; @log (if any) records it. */
static ssize_t move(int from, int to, uint8_t *log, size_t *log_len,
		    size_t log_cap)
{
	uint8_t buf[16384];
	ssize_t total = 0, n;

	while ((n = recv(from, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (log && *log_len + (size_t)n <= log_cap) {
			memcpy(log + *log_len, buf, (size_t)n);
			*log_len += (size_t)n;
		}
		if (send(to, buf, (size_t)n, MSG_NOSIGNAL) != n)
			return -EIO;
		total += n;
	}
	return total;
}

/* The relay: the client's bytes are recorded until the server answers. */
static void pump(struct conn *c)
{
	if (c->relay[0] < 0)
		return;
	move(c->relay[0], c->relay[1], c->server_spoke ? NULL : c->capture,
	     &c->capture_len, sizeof(c->capture));
	if (move(c->relay[1], c->relay[0], NULL, NULL, 0) > 0)
		c->server_spoke = true;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wait_a_little(struct conn *c)
{
	struct pollfd pfd[4] = {
		{ .fd = c->client_fd, .events = POLLIN },
		{ .fd = c->server_fd, .events = POLLIN },
		{ .fd = c->relay[0], .events = POLLIN },
		{ .fd = c->relay[1], .events = POLLIN },
	};

	poll(pfd, 4, 10);
}

static int step(struct ktls_session *session, int *ret)
{
	if (*ret == -EAGAIN)
		*ret = ktls_handshake_step(session);
	return *ret;
}

/* Step both ends until both are done or one fails. */
static int drive(struct conn *c)
{
	int64_t deadline = now_ms() + STEP_DEADLINE_MS;

	while (c->client_ret == -EAGAIN || c->server_ret == -EAGAIN) {
		step(c->client, &c->client_ret);
		pump(c);
		step(c->server, &c->server_ret);
		pump(c);
		if ((c->client_ret && c->client_ret != -EAGAIN) ||
		    (c->server_ret && c->server_ret != -EAGAIN))
			break;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		wait_a_little(c);
	}
	if (c->client_ret)
		return c->client_ret;
	if (c->server_ret)
		return c->server_ret;
	if (set_blocking(c->client_fd, true) ||
	    set_blocking(c->server_fd, true))
		return -errno;
	return 0;
}

/* A full handshake whose ticket the client keeps (read with the data). */
static int first_connection(struct ends *ends)
{
	char buf[KTLS_RECV_MIN];
	struct conn c;
	int ret;

	ret = conn_open(&c, ends, false);
	if (ret)
		return ret;
	ret = drive(&c);
	if (!ret && ktls_session_resumed(c.client))
		ret = -EPROTO;
	if (!ret)
		ret = ktls_install(c.server, KTLS_TX | KTLS_RX);
	if (!ret)
		ret = ktls_install(c.client, KTLS_TX | KTLS_RX);
	if (!ret && ktls_send(c.server, "ticket", 6) != 6)
		ret = -EIO;
	if (!ret && ktls_recv(c.client, buf, sizeof(buf)) != 6)
		ret = -EIO;
	conn_close(&c);
	return ret;
}

/* The server installs kTLS and reads @len bytes: what the client resent. */
static int server_reads(struct conn *c, size_t len, uint8_t digest[DIGEST_LEN])
{
	struct stream stream;
	int ret;

	ret = ktls_install(c->server, KTLS_TX | KTLS_RX);
	if (ret)
		return ret;
	ktls_stream(&stream, c->server);
	return stream_recv_digest(&stream, len, digest);
}

static int server_bulk(struct peer *peer)
{
	struct ktls_session *session = peer->arg;
	struct stream stream;

	ktls_stream(&stream, session);
	return stream_duplex(&stream, BULK, peer->sent, peer->received);
}

/* The 0-RTT bytes, their length signed for the harness's comparisons. */
static long early_len(const struct ktls_session *session,
		      const uint8_t **data)
{
	return (long)ktls_session_early_data(session, data);
}

static int skip_unless_ktls(void)
{
	return ktls_kernel_has_tls();
}

/* A default server gives tickets without early data: the bytes go later. */
TEST(off_by_default)
{
	uint8_t queued[QUEUED], want[DIGEST_LEN], got[DIGEST_LEN];
	const uint8_t *early;
	struct ends ends;
	struct conn c;

	if (skip_unless_ktls() == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, make_ends(0, 16384, &ends)) TH_LOG("%s", ktls_reason());
	ASSERT_EQ(0, first_connection(&ends)) TH_LOG("%s", ktls_reason());

	ASSERT_EQ(QUEUED, getrandom(queued, sizeof(queued), 0));
	ASSERT_EQ(0, sha256(queued, sizeof(queued), want));
	ASSERT_EQ(0, conn_open(&c, &ends, false));
	ASSERT_EQ(0, ktls_session_set_early_data(c.client, queued,
						 sizeof(queued)));
	ASSERT_EQ(0, drive(&c)) TH_LOG("%s", ktls_reason());
	EXPECT_TRUE(ktls_session_resumed(c.client));
	EXPECT_FALSE(ktls_session_early_data_accepted(c.client));
	EXPECT_FALSE(ktls_session_early_data_accepted(c.server));
	EXPECT_EQ(0, early_len(c.server, &early));
	EXPECT_EQ(0, early_len(c.client, &early));

	/* Exactly once, as the first data through kernel TLS. */
	ASSERT_EQ(0, ktls_install(c.client, KTLS_TX | KTLS_RX));
	ASSERT_EQ(0, server_reads(&c, QUEUED, got)) TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, memcmp(want, got, DIGEST_LEN));
	conn_close(&c);
	free_ends(&ends);
}

/*
 * Enabled: the server has the 4 KiB before the client has read a byte of
 * its answer; accepted on both ends; then 1 MiB each way through kTLS.
 */
TEST(accepted_then_bulk)
{
	uint8_t queued[QUEUED], want[DIGEST_LEN], got[DIGEST_LEN];
	long long tx_before, rx_before, tx_after, rx_after;
	uint8_t received[DIGEST_LEN], peek[1];
	struct stream stream;
	const uint8_t *early;
	struct ends ends;
	struct peer peer;
	struct conn c;
	int64_t deadline;

	if (skip_unless_ktls() == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, make_ends(16384, 16384, &ends)) TH_LOG("%s", ktls_reason());
	ASSERT_EQ(0, first_connection(&ends)) TH_LOG("%s", ktls_reason());

	ASSERT_EQ(QUEUED, getrandom(queued, sizeof(queued), 0));
	ASSERT_EQ(0, sha256(queued, sizeof(queued), want));
	ASSERT_EQ(0, conn_open(&c, &ends, false));
	ASSERT_EQ(0, ktls_session_set_early_data(c.client, queued,
						 sizeof(queued)));
	/* One client step: ClientHello and 0-RTT data go out. */
	ASSERT_EQ(-EAGAIN, step(c.client, &c.client_ret));
	deadline = now_ms() + STEP_DEADLINE_MS;
	while (early_len(c.server, &early) < QUEUED &&
	       now_ms() < deadline) {
		ASSERT_EQ(-EAGAIN, ktls_handshake_step(c.server))
			TH_LOG("%s", ktls_reason());
		wait_a_little(&c);
	}
	ASSERT_EQ(QUEUED, early_len(c.server, &early));
	ASSERT_EQ(0, sha256(early, QUEUED, got));
	EXPECT_EQ(0, memcmp(want, got, DIGEST_LEN));
	EXPECT_TRUE(ktls_session_early_data_accepted(c.server));
	/* The server's first flight is still unread at the client. */
	EXPECT_EQ(1, recv(c.client_fd, peek, 1, MSG_PEEK | MSG_DONTWAIT));

	ASSERT_EQ(0, drive(&c)) TH_LOG("%s", ktls_reason());
	EXPECT_TRUE(ktls_session_resumed(c.client));
	EXPECT_TRUE(ktls_session_resumed(c.server));
	EXPECT_TRUE(ktls_session_early_data_accepted(c.client));
	EXPECT_EQ(QUEUED, early_len(c.client, &early));
	EXPECT_EQ(1, ktls_session_round_trips(c.client));
	/* Nothing more arrived as early data after the handshake. */
	EXPECT_EQ(QUEUED, early_len(c.server, &early));

	ASSERT_EQ(0, tls_stat("TlsTxSw", &tx_before));
	ASSERT_EQ(0, tls_stat("TlsRxSw", &rx_before));
	ASSERT_EQ(0, ktls_install(c.server, KTLS_TX | KTLS_RX))
		TH_LOG("%s", ktls_reason());
	ASSERT_EQ(0, ktls_install(c.client, KTLS_TX | KTLS_RX))
		TH_LOG("%s", ktls_reason());
	ASSERT_EQ(0, peer_start(&peer, server_bulk, c.server));
	ktls_stream(&stream, c.client);
	EXPECT_EQ(0, stream_duplex(&stream, BULK, want, received))
		TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, peer_join(&peer)) TH_LOG("server: %s", peer.reason);
	EXPECT_EQ(0, memcmp(want, peer.received, DIGEST_LEN));
	EXPECT_EQ(0, memcmp(peer.sent, received, DIGEST_LEN));
	ASSERT_EQ(0, tls_stat("TlsTxSw", &tx_after));
	ASSERT_EQ(0, tls_stat("TlsRxSw", &rx_after));
	EXPECT_EQ(tx_before + 2, tx_after);
	EXPECT_EQ(rx_before + 2, rx_after);
	conn_close(&c);
	free_ends(&ends);
}

/*
 * An attacker who recorded the client's first flight (ClientHello and 0-RTT
 * records) sends it again on a new connection: the ticket was used, so the
 * server does a full handshake, skips the early data, and never delivers it.
 */
TEST(replayed_first_flight)
{
	uint8_t queued[QUEUED];
	struct ktls_session *replayed;
	const uint8_t *early;
	int attacker, victim_fd, ret;
	struct pollfd pfd = { .events = POLLIN };
	struct ends ends;
	struct conn c;
	int64_t deadline;

	if (skip_unless_ktls() == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, make_ends(16384, 16384, &ends)) TH_LOG("%s", ktls_reason());
	ASSERT_EQ(0, first_connection(&ends)) TH_LOG("%s", ktls_reason());

	ASSERT_EQ(QUEUED, getrandom(queued, sizeof(queued), 0));
	ASSERT_EQ(0, conn_open(&c, &ends, true));
	ASSERT_EQ(0, ktls_session_set_early_data(c.client, queued,
						 sizeof(queued)));
	ASSERT_EQ(0, drive(&c)) TH_LOG("%s", ktls_reason());
	ASSERT_TRUE(ktls_session_early_data_accepted(c.server));
	ASSERT_EQ(QUEUED, early_len(c.server, &early));
	/* ClientHello plus at least the 0-RTT bytes were recorded. */
	ASSERT_GT(c.capture_len, (size_t)QUEUED);
	ASSERT_EQ(22, c.capture[0]);

	ASSERT_EQ(0, tcp_pair(&attacker, &victim_fd));
	pfd.fd = victim_fd;
	ASSERT_EQ(0, set_blocking(victim_fd, false));
	ASSERT_EQ(0, ktls_handshake_start(ends.server, victim_fd, &replayed));
	ASSERT_EQ((ssize_t)c.capture_len,
		  send(attacker, c.capture, c.capture_len, MSG_NOSIGNAL));
	/* The attacker cannot finish the handshake: it stops here. */
	shutdown(attacker, SHUT_WR);
	deadline = now_ms() + STEP_DEADLINE_MS;
	do {
		ret = ktls_handshake_step(replayed);
		EXPECT_EQ(0, early_len(replayed, &early));
		if (ret == -EAGAIN)
			poll(&pfd, 1, 10);
	} while (ret == -EAGAIN && now_ms() < deadline);
	EXPECT_EQ(-ECONNRESET, ret) TH_LOG("%s", ktls_reason());
	EXPECT_STREQ("TLS handshake failed: the peer closed the connection",
		     ktls_reason());
	EXPECT_EQ(0, early_len(replayed, &early));
	EXPECT_FALSE(ktls_session_early_data_accepted(replayed));
	EXPECT_FALSE(ktls_session_resumed(replayed));

	ktls_session_free(replayed);
	close(attacker);
	close(victim_fd);
	conn_close(&c);
	free_ends(&ends);
}

/*
 * The client resumes twice from the same saved session (the second
 * connection's new ticket is not read yet): the second use gets a full
 * handshake without 0-RTT, and its bytes still arrive, once.
 */
static void used_twice(struct __test_metadata *_metadata)
{
	uint8_t queued[QUEUED], want[DIGEST_LEN], got[DIGEST_LEN];
	const uint8_t *early;
	struct conn first, second;
	struct ends ends;

	if (skip_unless_ktls() == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, make_ends(16384, 16384, &ends)) TH_LOG("%s", ktls_reason());
	ASSERT_EQ(0, first_connection(&ends)) TH_LOG("%s", ktls_reason());
	ASSERT_EQ(QUEUED, getrandom(queued, sizeof(queued), 0));
	ASSERT_EQ(0, sha256(queued, sizeof(queued), want));

	ASSERT_EQ(0, conn_open(&first, &ends, false));
	ASSERT_EQ(0, ktls_session_set_early_data(first.client, queued,
						 sizeof(queued)));
	ASSERT_EQ(0, drive(&first)) TH_LOG("%s", ktls_reason());
	EXPECT_TRUE(ktls_session_early_data_accepted(first.server));
	EXPECT_EQ(QUEUED, early_len(first.server, &early));

	ASSERT_EQ(0, conn_open(&second, &ends, false));
	ASSERT_EQ(0, ktls_session_set_early_data(second.client, queued,
						 sizeof(queued)));
	ASSERT_EQ(0, drive(&second)) TH_LOG("%s", ktls_reason());
	EXPECT_FALSE(ktls_session_resumed(second.server));
	EXPECT_FALSE(ktls_session_early_data_accepted(second.server));
	EXPECT_FALSE(ktls_session_early_data_accepted(second.client));
	EXPECT_EQ(0, early_len(second.server, &early));
	ASSERT_EQ(0, ktls_install(second.client, KTLS_TX | KTLS_RX));
	ASSERT_EQ(0, server_reads(&second, QUEUED, got))
		TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, memcmp(want, got, DIGEST_LEN));

	conn_close(&second);
	conn_close(&first);
	free_ends(&ends);
}

TEST(ticket_used_twice)
{
	used_twice(_metadata);
}

/* Keys in "another process": the sealer holds them, the server none. */
static struct ktls_ticket_keys *elsewhere;
static int seals, opens;

static int sealer_seal(void *arg, uint32_t key_id, uint8_t *name,
		       uint8_t *iv, uint8_t *mac, uint8_t *ticket, size_t len)
{
	(void)arg;
	seals += key_id == 7;
	return __ktls_ticket_keys_seal(elsewhere, name, iv, mac, ticket, len);
}

static int sealer_open(void *arg, uint32_t key_id, const uint8_t *name,
		       const uint8_t *iv, const uint8_t *mac, uint8_t *ticket,
		       size_t len)
{
	(void)arg;
	opens += key_id == 7;
	return __ktls_ticket_keys_open(elsewhere, name, iv, mac, ticket, len);
}

/*
 * The same with a ticket sealer (ktlsd's key process holds the keys): the
 * guard needs only the ticket's iv, and still refuses the second use.
 */
TEST(ticket_used_twice_through_a_sealer)
{
	static const struct ktls_ticket_sealer sealer = {
		.seal = sealer_seal, .open = sealer_open, .key_id = 7,
		.lifetime_s = 600,
	};

	ASSERT_EQ(0, __ktls_ticket_keys_new(600, &elsewhere));
	server_sealer = &sealer;
	used_twice(_metadata);
	server_sealer = NULL;
	__ktls_ticket_keys_free(elsewhere);
	if (skip_unless_ktls() == -ENOENT)
		return;
	/* Every ticket went through it: two resumptions opened one each. */
	EXPECT_LE(2, seals);
	EXPECT_LE(2, opens);
}

/*
 * RFC 8446 §4.2.10: a server without 0-RTT that gets early data anyway (a
 * ticket from another server that allowed it) skips the records it cannot
 * decrypt instead of closing: a full handshake, no 0-RTT bytes delivered,
 * and the client's bytes arrive once, after the handshake.
 */
TEST(rejected_by_server_without_0rtt)
{
	uint8_t queued[QUEUED], want[DIGEST_LEN], got[DIGEST_LEN];
	struct ktls_config plain = {
		.role = KTLS_ROLE_SERVER,
		.min_version = KTLS_TLS_1_3,
		.session_tickets = true,
	};
	struct ktls_ctx *zero_rtt_server;
	const uint8_t *early;
	struct test_pki pki;
	struct ends ends;
	char buf[KTLS_RECV_MIN];
	struct conn c;

	if (skip_unless_ktls() == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, make_ends(16384, 16384, &ends)) TH_LOG("%s", ktls_reason());
	ASSERT_EQ(0, first_connection(&ends)) TH_LOG("%s", ktls_reason());
	/* The ticket (max_early_data 16384) goes to a server without 0-RTT. */
	test_pki(&pki);
	plain.cert_file = pki.cert;
	plain.key_file = pki.key;
	zero_rtt_server = ends.server;
	ASSERT_EQ(0, ktls_ctx_new(&plain, &ends.server))
		TH_LOG("%s", ktls_reason());

	ASSERT_EQ(QUEUED, getrandom(queued, sizeof(queued), 0));
	ASSERT_EQ(0, sha256(queued, sizeof(queued), want));
	ASSERT_EQ(0, conn_open(&c, &ends, false));
	ASSERT_EQ(0, ktls_session_set_early_data(c.client, queued,
						 sizeof(queued)));
	ASSERT_EQ(0, drive(&c)) TH_LOG("%s", ktls_reason());
	EXPECT_FALSE(ktls_session_resumed(c.server));
	EXPECT_FALSE(ktls_session_early_data_accepted(c.client));
	EXPECT_FALSE(ktls_session_early_data_accepted(c.server));
	EXPECT_EQ(0, early_len(c.server, &early));

	/* The bytes once, as the first data after the handshake; then more. */
	ASSERT_EQ(0, ktls_install(c.client, KTLS_TX | KTLS_RX));
	ASSERT_EQ(0, server_reads(&c, QUEUED, got)) TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, memcmp(want, got, DIGEST_LEN));
	ASSERT_EQ(5, ktls_send(c.client, "after", 5));
	ASSERT_EQ(5, ktls_recv(c.server, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "after", 5));
	conn_close(&c);
	ktls_ctx_free(zero_rtt_server);
	free_ends(&ends);
}

FIXTURE(limit)
{
	struct ends ends;
};

FIXTURE_VARIANT(limit)
{
	uint32_t server_max, client_max;
	long zero_rtt;	/* what may go as 0-RTT */
};

/* The server's limit, carried in its ticket, binds the client. */
FIXTURE_VARIANT_ADD(limit, server_1k)
{
	.server_max = 1024,
	.client_max = 16384,
	.zero_rtt = 1024,
};

FIXTURE_VARIANT_ADD(limit, client_512)
{
	.server_max = 16384,
	.client_max = 512,
	.zero_rtt = 512,
};

FIXTURE_SETUP(limit)
{
	if (skip_unless_ktls() == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, make_ends(variant->server_max, variant->client_max,
			       &self->ends))
		TH_LOG("%s", ktls_reason());
}

FIXTURE_TEARDOWN(limit)
{
	free_ends(&self->ends);
}

/* More than the limit is queued: the head goes as 0-RTT, the rest after. */
TEST_F(limit, head_early_rest_after)
{
	uint8_t queued[QUEUED], want[DIGEST_LEN], got[DIGEST_LEN];
	const uint8_t *early;
	struct conn c;

	ASSERT_EQ(0, first_connection(&self->ends)) TH_LOG("%s", ktls_reason());
	ASSERT_EQ(QUEUED, getrandom(queued, sizeof(queued), 0));
	ASSERT_EQ(0, conn_open(&c, &self->ends, false));
	ASSERT_EQ(0, ktls_session_set_early_data(c.client, queued,
						 sizeof(queued)));
	ASSERT_EQ(0, drive(&c)) TH_LOG("%s", ktls_reason());
	EXPECT_TRUE(ktls_session_early_data_accepted(c.server));
	EXPECT_TRUE(ktls_session_early_data_accepted(c.client));
	ASSERT_EQ(variant->zero_rtt, early_len(c.server, &early));
	EXPECT_EQ(0, memcmp(queued, early, variant->zero_rtt));
	EXPECT_EQ(variant->zero_rtt, early_len(c.client, &early));

	ASSERT_EQ(0, sha256(queued + variant->zero_rtt,
			    QUEUED - variant->zero_rtt, want));
	ASSERT_EQ(0, ktls_install(c.client, KTLS_TX | KTLS_RX));
	ASSERT_EQ(0, server_reads(&c, QUEUED - variant->zero_rtt, got))
		TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, memcmp(want, got, DIGEST_LEN));
	conn_close(&c);
}

/* Misconfigurations say what is missing. */
TEST(config_errors)
{
	struct ktls_config server = {
		.role = KTLS_ROLE_SERVER,
		.max_early_data = 1024,
	};
	struct ktls_config client = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "localhost",
		.max_early_data = 1024,
	};
	struct test_pki pki;
	struct ktls_ctx *ctx;

	test_pki(&pki);
	server.cert_file = pki.cert;
	server.key_file = pki.key;
	client.ca_file = pki.ca;
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&server, &ctx));
	EXPECT_STREQ("max_early_data needs session_tickets: 0-RTT data rides on a ticket",
		     ktls_reason());
	server.session_tickets = true;
	server.max_version = KTLS_TLS_1_2;
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&server, &ctx));
	EXPECT_STREQ("max_early_data needs TLS 1.3 (max_version is TLS 1.2)",
		     ktls_reason());
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&client, &ctx));
	EXPECT_STREQ("max_early_data needs resumption: 0-RTT data rides on a resumed session",
		     ktls_reason());
}

TEST_HARNESS_MAIN
