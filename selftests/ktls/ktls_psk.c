// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLS 1.3 external PSK, as NVMe/TCP uses it: both ends hold the same
 * identity and key, no certificates, and always (EC)DHE with it. A wrong
 * key, an unknown identity and a PSK with TLS 1.2 fail with their reasons;
 * a plain WolfSSL peer that does PSK without (EC)DHE (psk_ke) is refused
 * from either side, and the ServerHello on the wire carries a key share.
 * A server may find the key for the client's identity through psk_find
 * (ktlsd looks in a keyring): the identity found, an unknown one, a
 * SHA-384 key and a failing lookup. The psk_ke refusal is decided on the
 * server's own ServerHello (a HelloRetryRequest passes), and records
 * before the hello do not end the check.
 * Handshakes run natively; the data test moves 1 MiB each way through
 * kernel TLS and skips where there is none.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "kselftest_harness.h"
#include "ktls/tls_prot.h"
#include "test_util.h"

/* Generous: TCG on a loaded host is slow; failures here end sooner. */
#define TIMEOUT_MS 15000
#define IDENTITY "nvme-host-1"

static const uint8_t key32[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t other32[32] = "0123456789abcdef0123456789abcdeX";
static const uint8_t key48[48] = "0123456789abcdef0123456789abcdef0123456789abcde";

#define NO_FS "no forward secrecy, refused"

struct server_job {
	int fd;
	struct ktls_config config;
	size_t data_len;	/* bytes each way through kTLS; 0: none */
	char group[32];		/* what the server saw */
	int peer_certs;
	char psk_identity[128];	/* the identity whose key the server used */
};

static int server_run(struct peer *peer)
{
	struct server_job *job = peer->arg;
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	struct stream stream;
	int ret;

	ret = ktls_ctx_new(&job->config, &ctx);
	if (ret)
		goto out;
	ret = ktls_handshake(ctx, job->fd, &session);
	if (ret)
		goto free_ctx;
	snprintf(job->group, sizeof(job->group), "%s",
		 ktls_session_group(session));
	job->peer_certs = ktls_session_peer_certs(session);
	snprintf(job->psk_identity, sizeof(job->psk_identity), "%s",
		 ktls_session_psk_identity(session));
	if (job->data_len) {
		ret = ktls_install(session, KTLS_TX | KTLS_RX);
		if (!ret) {
			fd_stream(&stream, &job->fd);
			ret = stream_duplex(&stream, job->data_len, peer->sent,
					    peer->received);
		}
	}
	ktls_session_free(session);
free_ctx:
	ktls_ctx_free(ctx);
out:
	if (ret)
		shutdown(job->fd, SHUT_RDWR);
	return ret;
}

/*
 * A relay between the client and the server that keeps the first bytes the
 * server sent, so the test can read the ServerHello as it was on the wire.
 */
struct relay {
	int client_side, server_side;	/* our ends of the two pairs */
	uint8_t from_server[4096];
	size_t from_server_len;
};

static int relay_run(struct peer *peer)
{
	struct relay *relay = peer->arg;
	struct pollfd pfd[2] = {
		{ .fd = relay->client_side, .events = POLLIN },
		{ .fd = relay->server_side, .events = POLLIN },
	};
	uint8_t buf[16384];

	for (;;) {
		if (poll(pfd, 2, TIMEOUT_MS * 2) <= 0)
			return -ETIMEDOUT;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = recv(pfd[i].fd, buf, sizeof(buf), 0);
			if (n <= 0) {
				shutdown(pfd[!i].fd, SHUT_WR);
				return 0;
			}
			if (i == 1) {
				size_t room = sizeof(relay->from_server) -
					      relay->from_server_len;
				size_t keep = (size_t)n < room ? (size_t)n :
								 room;

				memcpy(relay->from_server +
					       relay->from_server_len,
				       buf, keep);
				relay->from_server_len += keep;
			}
			if (send(pfd[!i].fd, buf, (size_t)n, MSG_NOSIGNAL) !=
			    n)
				return -EIO;
		}
	}
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Whether the ServerHello at the start of @wire has extension @type. */
static bool server_hello_has(const uint8_t *wire, size_t len, uint16_t type)
{
	size_t pos = 5 + 4 + 2 + 32;	/* record, handshake header, version, random */
	size_t end;

	if (len < pos + 1 || wire[0] != TLS_RECORD_TYPE_HANDSHAKE ||
	    wire[5] != TLS_HS_SERVER_HELLO)
		return false;
	pos += 1 + wire[pos] + 3;	/* session id, suite, compression */
	if (len < pos + 2)
		return false;
	end = pos + 2 + get16(wire + pos);
	pos += 2;
	if (end > len)
		return false;
	while (pos + 4 <= end) {
		if (get16(wire + pos) == type)
			return true;
		pos += 4 + get16(wire + pos + 2);
	}
	return false;
}

/* The two ends of one test connection, and how each is configured. */
struct psk_ends {
	int client_fd, server_fd;
	struct ktls_config client, server;
};

FIXTURE(psk)
{
	struct psk_ends ends;
};

FIXTURE_SETUP(psk)
{
	self->ends.client_fd = -1;
	self->ends.server_fd = -1;
	/* Neither end has a certificate, a trust store or a name. */
	self->ends.client = (struct ktls_config){
		.role = KTLS_ROLE_CLIENT,
		.psk_identity = IDENTITY,
		.psk_key = key32,
		.psk_key_len = sizeof(key32),
		.handshake_timeout_ms = TIMEOUT_MS,
	};
	self->ends.server = self->ends.client;
	self->ends.server.role = KTLS_ROLE_SERVER;
}

FIXTURE_TEARDOWN(psk)
{
	if (self->ends.client_fd >= 0)
		close(self->ends.client_fd);
	if (self->ends.server_fd >= 0)
		close(self->ends.server_fd);
}

struct result {
	int client_ret, server_ret;
	char client_reason[512], server_reason[512];
	char version[16], cipher[64], group[32];
	int peer_certs;
	int round_trips;	/* the client's */
};

/* A handshake between self->ends.client and self->ends.server, both libktls. */
static void run(struct psk_ends *self, struct server_job *job,
		struct result *res)
{
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	struct peer server;

	memset(res, 0, sizeof(*res));
	res->client_ret = ktls_ctx_new(&self->client, &ctx);
	if (res->client_ret) {
		snprintf(res->client_reason, sizeof(res->client_reason), "%s",
			 ktls_reason());
		return;
	}
	job->fd = self->server_fd;
	job->config = self->server;
	if (peer_start(&server, server_run, job)) {
		res->client_ret = -EAGAIN;
		ktls_ctx_free(ctx);
		return;
	}
	res->client_ret = ktls_handshake(ctx, self->client_fd, &session);
	if (res->client_ret) {
		snprintf(res->client_reason, sizeof(res->client_reason), "%s",
			 ktls_reason());
		shutdown(self->client_fd, SHUT_RDWR);
	} else {
		snprintf(res->version, sizeof(res->version), "%s",
			 ktls_session_version(session));
		snprintf(res->cipher, sizeof(res->cipher), "%s",
			 ktls_session_cipher(session));
		snprintf(res->group, sizeof(res->group), "%s",
			 ktls_session_group(session));
		res->peer_certs = ktls_session_peer_certs(session);
		res->round_trips = ktls_session_round_trips(session);
	}
	res->server_ret = peer_join(&server);
	snprintf(res->server_reason, sizeof(res->server_reason), "%s",
		 server.reason);
	ktls_session_free(session);
	ktls_ctx_free(ctx);
}

static void log_result(struct __test_metadata *_metadata,
		       const struct result *res)
{
	TH_LOG("client: %d %s", res->client_ret, res->client_reason);
	TH_LOG("server: %d %s", res->server_ret, res->server_reason);
}

/*
 * Same identity and key: TLS 1.3, no certificate either way, a group for
 * the (EC)DHE, and on the wire a ServerHello with pre_shared_key and
 * key_share.
 */
TEST_F(psk, handshake)
{
	struct server_job job = { 0 };
	struct relay relay = { 0 };
	struct peer relay_peer;
	struct result res;
	int relay_client, relay_server;

	/* client_fd <-> relay <-> server_fd */
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &relay.client_side));
	ASSERT_EQ(0, tcp_pair(&relay.server_side, &self->ends.server_fd));
	relay_client = relay.client_side;
	relay_server = relay.server_side;
	ASSERT_EQ(0, peer_start(&relay_peer, relay_run, &relay));

	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	shutdown(self->ends.client_fd, SHUT_RDWR);
	shutdown(self->ends.server_fd, SHUT_RDWR);
	peer_join(&relay_peer);
	close(relay_client);
	close(relay_server);

	ASSERT_EQ(0, res.client_ret);
	ASSERT_EQ(0, res.server_ret);
	EXPECT_STREQ("TLSv1.3", res.version);
	EXPECT_STREQ("TLS_AES_128_GCM_SHA256", res.cipher);
	EXPECT_EQ(0, res.peer_certs);
	EXPECT_EQ(0, job.peer_certs);
	/* (EC)DHE: both ends name the group, the default hybrid. */
	EXPECT_STREQ("X25519MLKEM768", res.group);
	EXPECT_STREQ("X25519MLKEM768", job.group);
	EXPECT_EQ(1, res.round_trips);
	ASSERT_LT((size_t)5, relay.from_server_len);
	EXPECT_TRUE(server_hello_has(relay.from_server, relay.from_server_len,
				     TLS_EXT_PRE_SHARED_KEY))
		TH_LOG("ServerHello without pre_shared_key");
	EXPECT_TRUE(server_hello_has(relay.from_server, relay.from_server_len,
				     TLS_EXT_KEY_SHARE))
		TH_LOG("ServerHello without key_share: psk_ke");
}

/* A 48-byte key for SHA-384, used with TLS_AES_256_GCM_SHA384. */
TEST_F(psk, sha384)
{
	struct server_job job = { 0 };
	struct result res;

	self->ends.client.psk_key = key48;
	self->ends.client.psk_key_len = sizeof(key48);
	self->ends.client.ciphers = "TLS_AES_256_GCM_SHA384";
	self->ends.client.groups = "P-256";
	self->ends.server.psk_key = key48;
	self->ends.server.psk_key_len = sizeof(key48);
	self->ends.server.ciphers = "TLS_AES_256_GCM_SHA384";
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	ASSERT_EQ(0, res.client_ret);
	ASSERT_EQ(0, res.server_ret);
	EXPECT_STREQ("TLS_AES_256_GCM_SHA384", res.cipher);
	EXPECT_STREQ("P-256", res.group);
}

/*
 * The server wants another group than the client's first key share: a
 * HelloRetryRequest, then the real ServerHello, which the client checks.
 */
TEST_F(psk, hello_retry)
{
	struct server_job job = { 0 };
	struct result res;

	self->ends.server.groups = "P-384";
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	ASSERT_EQ(0, res.client_ret);
	ASSERT_EQ(0, res.server_ret);
	EXPECT_STREQ("P-384", res.group);
	EXPECT_STREQ("P-384", job.group);
	/* The retry cost the client a second round trip. */
	EXPECT_EQ(2, res.round_trips);
}

TEST_F(psk, wrong_key)
{
	struct server_job job = { 0 };
	struct result res;

	self->ends.client.psk_key = other32;
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	EXPECT_EQ(-EKEYREJECTED, res.server_ret);
	EXPECT_STREQ("PSK mismatch: the client's key for identity \"" IDENTITY
		     "\" is not ours (binder does not verify)",
		     res.server_reason);
	EXPECT_EQ(-EKEYREJECTED, res.client_ret);
	EXPECT_STREQ("the server refused our PSK identity \"" IDENTITY
		     "\" (alert decrypt_error): are identity and key the same on both ends?",
		     res.client_reason);
}

TEST_F(psk, unknown_identity)
{
	struct server_job job = { 0 };
	struct result res;

	self->ends.client.psk_identity = "nvme-host-2";
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	EXPECT_EQ(-EKEYREJECTED, res.server_ret);
	EXPECT_STREQ("unknown PSK identity \"nvme-host-2\" (ours is \"" IDENTITY
		     "\")",
		     res.server_reason);
	EXPECT_EQ(-EKEYREJECTED, res.client_ret);
	/* RFC 8446 §6.2: unknown_psk_identity, not a bare close. */
	EXPECT_STREQ("the server refused our PSK identity \"nvme-host-2\" "
		     "(alert unknown_psk_identity): "
		     "are identity and key the same on both ends?",
		     res.client_reason);
}

/* A server with a PSK and no certificate meets a client without a PSK. */
TEST_F(psk, client_without_psk)
{
	struct server_job job = { 0 };
	char ca[PATH_MAX];
	struct result res;

	test_pki_file("ca.pem", ca, sizeof(ca));
	self->ends.client = (struct ktls_config){
		.role = KTLS_ROLE_CLIENT,
		.ca_file = ca,
		.server_name = "localhost",
		.handshake_timeout_ms = TIMEOUT_MS,
	};
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	EXPECT_EQ(-EKEYREJECTED, res.server_ret);
	EXPECT_STREQ("the client offered no PSK, and this server authenticates with a PSK only",
		     res.server_reason);
	EXPECT_NE(0, res.client_ret);
}

/*
 * A server with both a certificate and the PSK that does not know the
 * client's identity answers with its certificate: the PSK client refuses
 * that, even though the certificate would verify.
 */
TEST_F(psk, certificate_instead_of_psk)
{
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	struct server_job job = { 0 };
	struct result res;

	test_pki_file("ca.pem", ca, sizeof(ca));
	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("server.key", key, sizeof(key));
	self->ends.client.psk_identity = "nvme-host-2";
	self->ends.client.ca_file = ca;
	self->ends.client.server_name = "localhost";
	self->ends.server.cert_file = cert;
	self->ends.server.key_file = key;
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	EXPECT_EQ(-EKEYREJECTED, res.client_ret);
	EXPECT_STREQ("the server did not accept our PSK identity \"nvme-host-2\" "
		     "(it answered with a certificate instead)",
		     res.client_reason);
	EXPECT_NE(0, res.server_ret);
}

/* 1 MiB each way through kernel TLS after a PSK handshake. */
TEST_F_TIMEOUT(psk, ktls_duplex_1mib, 300)
{
	struct server_job job = { .data_len = MiB };
	uint8_t sent[DIGEST_LEN], received[DIGEST_LEN];
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	struct stream stream;
	struct peer server;
	int ret = ktls_tcp_pair(&self->ends.client_fd, &self->ends.server_fd);

	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, ktls_ctx_new(&self->ends.client, &ctx))
		TH_LOG("%s", ktls_reason());
	job.fd = self->ends.server_fd;
	job.config = self->ends.server;
	ASSERT_EQ(0, peer_start(&server, server_run, &job));
	ret = ktls_handshake(ctx, self->ends.client_fd, &session);
	if (!ret)
		ret = ktls_install(session, KTLS_TX | KTLS_RX);
	EXPECT_EQ(0, ret) TH_LOG("client: %s", ktls_reason());
	if (!ret) {
		EXPECT_STREQ("TLSv1.3", ktls_session_version(session));
		fd_stream(&stream, &self->ends.client_fd);
		ret = stream_duplex(&stream, job.data_len, sent, received);
		EXPECT_EQ(0, ret) TH_LOG("client data: %s", strerror(-ret));
	}
	if (ret)
		shutdown(self->ends.client_fd, SHUT_RDWR);
	EXPECT_EQ(0, peer_join(&server)) TH_LOG("server: %s", server.reason);
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, memcmp(sent, server.received, DIGEST_LEN))
		TH_LOG("client to server bytes differ");
	EXPECT_EQ(0, memcmp(server.sent, received, DIGEST_LEN))
		TH_LOG("server to client bytes differ");
}

/*
 * Plain WolfSSL with wolfSSL_*_no_dhe_psk: PSK without (EC)DHE (psk_ke).
 * As a client it offers only psk_ke; as a server it picks psk_ke.
 */
static unsigned int plain_client_psk(WOLFSSL *ssl, const char *hint,
				     char *identity, unsigned int identity_max,
				     unsigned char *key, unsigned int key_max,
				     const char **suite)
{
	(void)ssl;
	(void)hint;
	(void)identity_max;
	(void)key_max;
	memcpy(identity, IDENTITY, sizeof(IDENTITY));
	memcpy(key, key32, sizeof(key32));
	*suite = "TLS13-AES128-GCM-SHA256";
	return sizeof(key32);
}

static unsigned int plain_server_psk(WOLFSSL *ssl, const char *identity,
				     unsigned char *key, unsigned int key_max,
				     const char **suite)
{
	(void)ssl;
	(void)key_max;
	if (strcmp(identity, IDENTITY))
		return 0;
	memcpy(key, key32, sizeof(key32));
	*suite = "TLS13-AES128-GCM-SHA256";
	return sizeof(key32);
}

struct plain_job {
	enum ktls_role role;
	int fd;
	int err;	/* WolfSSL's error, 0 after a handshake */
	/* client: offer psk_dhe_ke and psk_ke, with an empty key_share */
	bool empty_key_share;
	/* client: a warning alert goes out before the ClientHello */
	bool record_before_hello;
	/* client: both PSK modes, X25519 the only group it knows */
	bool x25519_only;
};

static int plain_run(struct peer *peer)
{
	struct plain_job *job = peer->arg;
	WOLFSSL_CTX *ctx;
	WOLFSSL *ssl;
	int ret;

	ctx = wolfSSL_CTX_new(job->role == KTLS_ROLE_CLIENT ?
				      wolfTLSv1_3_client_method() :
				      wolfTLSv1_3_server_method());
	if (!ctx)
		return -ENOMEM;
	if (job->role == KTLS_ROLE_CLIENT)
		wolfSSL_CTX_set_psk_client_tls13_callback(ctx,
							  plain_client_psk);
	else
		wolfSSL_CTX_set_psk_server_tls13_callback(ctx,
							  plain_server_psk);
	if (job->x25519_only) {
		int groups[] = { WOLFSSL_ECC_X25519 };

		wolfSSL_CTX_set_groups(ctx, groups, 1);
	} else if (!job->empty_key_share) {
		wolfSSL_CTX_no_dhe_psk(ctx);
	}
	ssl = wolfSSL_new(ctx);
	if (!ssl) {
		wolfSSL_CTX_free(ctx);
		return -ENOMEM;
	}
	if (job->empty_key_share)
		wolfSSL_NoKeyShares(ssl);
	if (job->record_before_hello) {
		/* A warning alert, user_canceled: WolfSSL reads past it. */
		static const uint8_t record[] = { 21, 3, 3, 0, 2, 1, 90 };

		if (send(job->fd, record, sizeof(record), MSG_NOSIGNAL) !=
		    sizeof(record))
			return -EIO;
	}
	wolfSSL_set_fd(ssl, job->fd);
	ret = job->role == KTLS_ROLE_CLIENT ? wolfSSL_connect(ssl) :
					      wolfSSL_accept(ssl);
	job->err = ret == WOLFSSL_SUCCESS ? 0 : wolfSSL_get_error(ssl, ret);
	shutdown(job->fd, SHUT_RDWR);
	wolfSSL_free(ssl);
	wolfSSL_CTX_free(ctx);
	return 0;
}

/* Our end against a plain WolfSSL end in psk_ke mode. */
static int against_psk_ke(struct psk_ends *self, enum ktls_role ours,
			  struct plain_job *job, char *reason, size_t len)
{
	const struct ktls_config *config = ours == KTLS_ROLE_CLIENT ?
						   &self->client :
						   &self->server;
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	struct peer plain;
	int ret;

	ret = ktls_ctx_new(config, &ctx);
	if (ret)
		return ret;
	job->role = ours == KTLS_ROLE_CLIENT ? KTLS_ROLE_SERVER :
					       KTLS_ROLE_CLIENT;
	job->fd = ours == KTLS_ROLE_CLIENT ? self->server_fd : self->client_fd;
	ret = peer_start(&plain, plain_run, job);
	if (!ret) {
		ret = ktls_handshake(ctx, ours == KTLS_ROLE_CLIENT ?
						  self->client_fd :
						  self->server_fd,
				     &session);
		snprintf(reason, len, "%s", ret ? ktls_reason() : "");
		shutdown(self->client_fd, SHUT_RDWR);
		shutdown(self->server_fd, SHUT_RDWR);
		peer_join(&plain);
	}
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	return ret;
}

/* A client offering only psk_ke: our server refuses before answering. */
TEST_F(psk, server_refuses_psk_ke)
{
	struct plain_job job = { 0 };
	char reason[512];
	int ret;

	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	ret = against_psk_ke(&self->ends, KTLS_ROLE_SERVER, &job, reason,
			     sizeof(reason));
	TH_LOG("server: %d %s; plain client: WolfSSL error %d", ret, reason,
	       job.err);
	EXPECT_EQ(-EPROTO, ret);
	EXPECT_STREQ("the client offered its PSK only without (EC)DHE (psk_ke): " NO_FS,
		     reason);
	EXPECT_NE(0, job.err);
}

/* A server choosing psk_ke: our client refuses its ServerHello. */
TEST_F(psk, client_refuses_psk_ke)
{
	struct plain_job job = { 0 };
	char reason[512];
	int ret;

	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	ret = against_psk_ke(&self->ends, KTLS_ROLE_CLIENT, &job, reason,
			     sizeof(reason));
	TH_LOG("client: %d %s; plain server: WolfSSL error %d", ret, reason,
	       job.err);
	EXPECT_EQ(-EPROTO, ret);
	EXPECT_STREQ("the server chose PSK without (EC)DHE (psk_ke): " NO_FS,
		     reason);
}

/*
 * A client offering psk_dhe_ke and psk_ke with an empty key_share: WolfSSL
 * asks for a key share (HelloRetryRequest) and uses (EC)DHE. The check on
 * our own ServerHello lets the retry and the real ServerHello through.
 */
TEST_F(psk, empty_key_share_gets_retry)
{
	struct plain_job job = { .empty_key_share = true };
	char reason[512];
	int ret;

	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	ret = against_psk_ke(&self->ends, KTLS_ROLE_SERVER, &job, reason,
			     sizeof(reason));
	TH_LOG("server: %d %s; plain client: WolfSSL error %d", ret, reason,
	       job.err);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, job.err);
}

/*
 * A client offering psk_dhe_ke with an X25519 key share, and psk_ke, to a
 * server with P-384 only: no group in common, so (EC)DHE is impossible and
 * psk_ke would be the only way on. The early check reads the client's
 * supported_groups and refuses, saying why (WolfSSL 5.5.4 alone would
 * fail with BAD_FUNC_ARG, a reason nobody can act on).
 */
TEST_F(psk, no_common_group_refused)
{
	struct plain_job job = { .x25519_only = true };
	char reason[512];
	int ret;

	self->ends.server.groups = "P-384";
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	ret = against_psk_ke(&self->ends, KTLS_ROLE_SERVER, &job, reason,
			     sizeof(reason));
	TH_LOG("server: %d %s; plain client: WolfSSL error %d", ret, reason,
	       job.err);
	EXPECT_EQ(-EPROTO, ret);
	EXPECT_STREQ("the client has none of our (EC)DHE groups (P-384), "
		     "so only PSK without (EC)DHE (psk_ke) is left: " NO_FS,
		     reason);
	EXPECT_NE(0, job.err);
}

/*
 * A record ahead of a psk_ke-only ClientHello (a warning alert, which
 * WolfSSL reads past) does not end the check: the ClientHello after it is
 * still read, and refused as such. Were the check over at the alert, the
 * refusal would come from our ServerHello instead (another reason), or,
 * with no check at all, the handshake would complete with psk_ke.
 */
TEST_F(psk, record_before_hello_does_not_end_check)
{
	struct plain_job job = { .record_before_hello = true };
	char reason[512];
	int ret;

	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	ret = against_psk_ke(&self->ends, KTLS_ROLE_SERVER, &job, reason,
			     sizeof(reason));
	TH_LOG("server: %d %s; plain client: WolfSSL error %d", ret, reason,
	       job.err);
	EXPECT_EQ(-EPROTO, ret);
	EXPECT_STREQ("the client offered its PSK only without (EC)DHE (psk_ke): " NO_FS,
		     reason);
	EXPECT_NE(0, job.err);
}

/* The plain psk_ke peers do complete with each other: the refusals above
 * are ours, not an accident of the peer.
 */
TEST_F(psk, plain_psk_ke_completes)
{
	struct plain_job client = { .role = KTLS_ROLE_CLIENT };
	struct plain_job server = { .role = KTLS_ROLE_SERVER };
	struct peer client_peer, server_peer;

	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	client.fd = self->ends.client_fd;
	server.fd = self->ends.server_fd;
	ASSERT_EQ(0, peer_start(&server_peer, plain_run, &server));
	ASSERT_EQ(0, peer_start(&client_peer, plain_run, &client));
	peer_join(&client_peer);
	peer_join(&server_peer);
	EXPECT_EQ(0, client.err);
	EXPECT_EQ(0, server.err);
}

/*
 * Plaintext where a ClientHello should be: an NVMe/TCP host without TLS
 * sends its ICReq (PDU type 0). Said as such, not as "no PSK offered".
 */
TEST_F(psk, plaintext_client)
{
	static const uint8_t icreq[8] = { 0x00, 0x00, 128, 0, 128, 0, 0, 0 };
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;

	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	ASSERT_EQ(0, ktls_ctx_new(&self->ends.server, &ctx));
	ASSERT_EQ((ssize_t)sizeof(icreq),
		  send(self->ends.client_fd, icreq, sizeof(icreq), 0));
	shutdown(self->ends.client_fd, SHUT_WR);
	EXPECT_EQ(-ECONNABORTED,
		  ktls_handshake(ctx, self->ends.server_fd, &session));
	EXPECT_STREQ("the client does not speak TLS: its first byte is 0x00, not a TLS handshake record",
		     ktls_reason());
	ktls_session_free(session);
	ktls_ctx_free(ctx);
}

/* psk_find: a server's keys by identity, as ktlsd finds them in a keyring. */
struct psk_table {
	const char *identity[2];
	const uint8_t *key[2];
	size_t key_len[2];
	const char *cipher[2];
	int err;		/* returned for every identity, if set */
	char asked[128];	/* the last identity asked for */
};

static int table_find(void *arg, const char *identity, uint8_t *key,
		      size_t key_max, size_t *key_len, const char **cipher)
{
	struct psk_table *table = arg;

	snprintf(table->asked, sizeof(table->asked), "%s", identity);
	if (table->err)
		return table->err;
	for (int i = 0; i < 2; i++) {
		if (!table->identity[i] || strcmp(identity, table->identity[i]))
			continue;
		if (table->key_len[i] > key_max)
			return -ENOSPC;
		memcpy(key, table->key[i], table->key_len[i]);
		*key_len = table->key_len[i];
		*cipher = table->cipher[i];
		return 0;
	}
	return -ENOKEY;
}

static struct psk_table two_hosts = {
	.identity = { "NVMe0R01 nqn.host-1 nqn.subsys", "NVMe0R02 nqn.host-2 nqn.subsys" },
	.key = { key32, key48 },
	.key_len = { sizeof(key32), sizeof(key48) },
	.cipher = { NULL, "TLS_AES_256_GCM_SHA384" },
};

static void use_table(struct psk_ends *ends, struct psk_table *table)
{
	ends->server.psk_identity = NULL;
	ends->server.psk_key = NULL;
	ends->server.psk_key_len = 0;
	ends->server.psk_find = table_find;
	ends->server.psk_find_arg = table;
}

/* The client's identity is found, and the server says which it used. */
TEST_F(psk, find_identity)
{
	struct server_job job = { 0 };
	struct result res;

	use_table(&self->ends, &two_hosts);
	self->ends.client.psk_identity = two_hosts.identity[0];
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	ASSERT_EQ(0, res.client_ret);
	ASSERT_EQ(0, res.server_ret);
	EXPECT_STREQ(two_hosts.identity[0], two_hosts.asked);
	EXPECT_STREQ(two_hosts.identity[0], job.psk_identity);
	EXPECT_STREQ("TLS_AES_128_GCM_SHA256", res.cipher);
	EXPECT_STREQ("X25519MLKEM768", job.group);
}

/* A SHA-384 key: the lookup names its suite. */
TEST_F(psk, find_sha384_identity)
{
	struct server_job job = { 0 };
	struct result res;

	use_table(&self->ends, &two_hosts);
	self->ends.client.psk_identity = two_hosts.identity[1];
	self->ends.client.psk_key = key48;
	self->ends.client.psk_key_len = sizeof(key48);
	self->ends.client.ciphers = "TLS_AES_256_GCM_SHA384";
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	ASSERT_EQ(0, res.client_ret);
	ASSERT_EQ(0, res.server_ret);
	EXPECT_STREQ(two_hosts.identity[1], job.psk_identity);
	EXPECT_STREQ("TLS_AES_256_GCM_SHA384", res.cipher);
}

TEST_F(psk, find_unknown_identity)
{
	struct server_job job = { 0 };
	struct result res;

	use_table(&self->ends, &two_hosts);
	self->ends.client.psk_identity = "NVMe0R01 nqn.host-3 nqn.subsys";
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	EXPECT_EQ(-EKEYREJECTED, res.server_ret);
	EXPECT_STREQ("unknown PSK identity \"NVMe0R01 nqn.host-3 nqn.subsys\": the server has no key for it",
		     res.server_reason);
	EXPECT_EQ(-EKEYREJECTED, res.client_ret);
}

/* A known identity with another key: the binder names the identity. */
TEST_F(psk, find_wrong_key)
{
	struct server_job job = { 0 };
	struct result res;

	use_table(&self->ends, &two_hosts);
	self->ends.client.psk_identity = two_hosts.identity[0];
	self->ends.client.psk_key = other32;
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	EXPECT_EQ(-EKEYREJECTED, res.server_ret);
	EXPECT_STREQ("PSK mismatch: the client's key for identity \"NVMe0R01 nqn.host-1 nqn.subsys\" is not ours (binder does not verify)",
		     res.server_reason);
}

/* The lookup itself fails: its errno, not "unknown identity". */
TEST_F(psk, find_fails)
{
	struct psk_table failing = { .err = -EACCES };
	struct server_job job = { 0 };
	struct result res;

	use_table(&self->ends, &failing);
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	run(&self->ends, &job, &res);
	log_result(_metadata, &res);
	EXPECT_EQ(-EACCES, res.server_ret);
	EXPECT_STREQ("finding the key for PSK identity \"" IDENTITY "\" failed: Permission denied",
		     res.server_reason);
	EXPECT_NE(0, res.client_ret);
}

static void expect_ctx_error(struct __test_metadata *_metadata,
			     const struct ktls_config *config, int err,
			     const char *reason)
{
	struct ktls_ctx *ctx = NULL;

	EXPECT_EQ(err, ktls_ctx_new(config, &ctx));
	EXPECT_STREQ(reason, ktls_reason());
	ktls_ctx_free(ctx);
}

TEST_F(psk, config_errors)
{
	struct ktls_config config = self->ends.client;

	config.max_version = KTLS_TLS_1_2;
	expect_ctx_error(_metadata, &config, -EPROTONOSUPPORT,
			 "a PSK needs TLS 1.3, but max_version is TLS 1.2");

	config = self->ends.server;
	config.max_version = KTLS_TLS_1_2;
	expect_ctx_error(_metadata, &config, -EPROTONOSUPPORT,
			 "a PSK needs TLS 1.3, but max_version is TLS 1.2");

	config = self->ends.client;
	config.psk_key = NULL;
	expect_ctx_error(_metadata, &config, -EINVAL,
			 "a PSK needs both psk_identity and psk_key");

	config = self->ends.client;
	config.psk_key_len = 8;
	expect_ctx_error(_metadata, &config, -EINVAL,
			 "a PSK key has 16 to 64 bytes, not 8");

	config = self->ends.server;
	config.session_tickets = true;
	expect_ctx_error(_metadata, &config, -EINVAL,
			 "a PSK context has no session tickets, resumption or 0-RTT");

	/* Without a PSK, a server still needs a certificate. */
	config = self->ends.server;
	config.psk_identity = NULL;
	config.psk_key = NULL;
	config.psk_key_len = 0;
	expect_ctx_error(_metadata, &config, -EINVAL,
			 "a TLS server needs a certificate and a private key, or a PSK");

	config = self->ends.client;
	config.psk_find = table_find;
	expect_ctx_error(_metadata, &config, -EINVAL,
			 "psk_find is for a server; a client names its psk_identity and psk_key");

	config = self->ends.server;
	config.psk_find = table_find;
	expect_ctx_error(_metadata, &config, -EINVAL,
			 "a PSK server has either psk_find or psk_identity and psk_key, not both");
}

int main(int argc, char **argv)
{
	/* The plain peers use WolfSSL before any libktls context exists. */
	wolfSSL_Init();
	/* Their writes (WolfSSL's own IO) may meet a socket we closed. */
	signal(SIGPIPE, SIG_IGN);
	return test_harness_run(argc, argv);
}
