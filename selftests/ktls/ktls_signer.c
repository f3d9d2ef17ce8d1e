// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Handshakes whose private key is elsewhere (include/ktls/signer.h): the
 * server (and a mutual-TLS client) holds only its certificate and asks a
 * signer for every signature, as ktlsd's worker asks its key process.
 * Here the signer is __ktls_private_key_sign() in the same process, counted
 * and, for the negative cases, broken on purpose: a signer that fails or
 * returns a forged signature must fail the handshake, never pass it.
 * Handshakes run natively (no kernel TLS needed).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ktls/signer.h"
#include "test_util.h"

#define TIMEOUT_MS 15000

enum signer_mode { SIGN_OK, SIGN_FAILS, SIGN_FORGED };

struct test_signer {
	struct ktls_private_key *key;
	enum signer_mode mode;
	int calls;
	enum ktls_sign_alg last_alg;
};

static int test_sign(void *arg, uint32_t key_id, enum ktls_sign_alg alg,
		     enum ktls_sign_hash hash, const uint8_t *in, size_t in_len,
		     uint8_t *sig, size_t *sig_len)
{
	struct test_signer *ts = arg;
	int ret;

	ts->calls++;
	ts->last_alg = alg;
	if (key_id != 7)
		return -EINVAL;
	if (ts->mode == SIGN_FAILS)
		return -EIO;
	ret = __ktls_private_key_sign(ts->key, alg, hash, in, in_len, sig,
				      sig_len);
	if (!ret && ts->mode == SIGN_FORGED)
		sig[*sig_len / 2] ^= 0x01;
	return ret;
}

struct server_job {
	int fd;
	struct ktls_config config;
};

static int server_run(struct peer *peer)
{
	struct server_job *job = peer->arg;
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	int ret;

	ret = ktls_ctx_new(&job->config, &ctx);
	if (ret)
		goto out;
	ret = ktls_handshake(ctx, job->fd, &session);
	if (!ret)
		ret = ktls_tls_send(session, "k", 1) == 1 ? 0 : -EIO;
	ktls_session_free(session);
	ktls_ctx_free(ctx);
out:
	if (ret) {
		snprintf(peer->reason, sizeof(peer->reason), "%s",
			 ktls_reason());
		shutdown(job->fd, SHUT_RDWR);
	}
	return ret;
}

/* One test connection's two ends and the signer between them. */
struct signer_ends {
	int client_fd, server_fd;
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	char client_cert[PATH_MAX], client_key[PATH_MAX];
	struct test_signer ts;
	struct ktls_signer signer;
	struct ktls_config client, server;
	struct peer peer;
	struct server_job job;
};

FIXTURE(signer)
{
	struct signer_ends e;
};

FIXTURE_VARIANT(signer)
{
	uint16_t version;
	const char *cert, *key;
};

FIXTURE_VARIANT_ADD(signer, ecdsa_tls13)
{
	.version = KTLS_TLS_1_3, .cert = "server.pem", .key = "server.key",
};

FIXTURE_VARIANT_ADD(signer, ecdsa_tls12)
{
	.version = KTLS_TLS_1_2, .cert = "server.pem", .key = "server.key",
};

FIXTURE_VARIANT_ADD(signer, rsa_tls13)
{
	.version = KTLS_TLS_1_3, .cert = "server-rsa.pem",
	.key = "server-rsa.key",
};

FIXTURE_VARIANT_ADD(signer, rsa_tls12)
{
	.version = KTLS_TLS_1_2, .cert = "server-rsa.pem",
	.key = "server-rsa.key",
};

FIXTURE_SETUP(signer)
{
	test_pki_file("ca.pem", self->e.ca, sizeof(self->e.ca));
	test_pki_file(variant->cert, self->e.cert, sizeof(self->e.cert));
	test_pki_file(variant->key, self->e.key, sizeof(self->e.key));
	test_pki_file("client.pem", self->e.client_cert, sizeof(self->e.client_cert));
	test_pki_file("client.key", self->e.client_key, sizeof(self->e.client_key));
	ASSERT_EQ(0, __ktls_private_key_load(self->e.key, self->e.cert, &self->e.ts.key))
		TH_LOG("%s", ktls_reason());
	self->e.signer = (struct ktls_signer){
		.sign = test_sign, .arg = &self->e.ts, .key_id = 7,
	};
	self->e.client = (struct ktls_config){
		.role = KTLS_ROLE_CLIENT,
		.ca_file = self->e.ca,
		.server_name = "localhost",
		.min_version = variant->version,
		.max_version = variant->version,
		.handshake_timeout_ms = TIMEOUT_MS,
	};
	self->e.server = (struct ktls_config){
		.role = KTLS_ROLE_SERVER,
		.cert_file = self->e.cert,
		.signer = &self->e.signer,
		.min_version = variant->version,
		.max_version = variant->version,
		.handshake_timeout_ms = TIMEOUT_MS,
	};
	ASSERT_EQ(0, tcp_pair(&self->e.client_fd, &self->e.server_fd));
}

FIXTURE_TEARDOWN(signer)
{
	close(self->e.client_fd);
	close(self->e.server_fd);
	__ktls_private_key_free(self->e.ts.key);
}

/* The client's handshake and the server's one byte; server result in *@srv. */
static int run(struct __test_metadata *_metadata, struct signer_ends *self,
	       int *srv)
{
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	uint8_t byte;
	int ret;

	ret = ktls_ctx_new(&self->client, &ctx);
	if (ret)
		return ret;
	self->job.fd = self->server_fd;
	self->job.config = self->server;
	if (peer_start(&self->peer, server_run, &self->job)) {
		ktls_ctx_free(ctx);
		return -EAGAIN;
	}
	ret = ktls_handshake(ctx, self->client_fd, &session);
	if (!ret)
		ret = ktls_tls_recv(session, &byte, 1) == 1 ? 0 : -EPROTO;
	if (ret) {
		TH_LOG("client: %d %s", ret, ktls_reason());
		shutdown(self->client_fd, SHUT_RDWR);
	}
	*srv = peer_join(&self->peer);
	TH_LOG("server: %d %s", *srv, self->peer.reason);
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	return ret;
}

/* The server has no key, yet the handshake verifies: the signer signed. */
TEST_F(signer, handshake_signs_through_the_signer)
{
	int srv;

	ASSERT_EQ(0, run(_metadata, &self->e, &srv));
	ASSERT_EQ(0, srv);
	ASSERT_EQ(1, self->e.ts.calls);
	ASSERT_EQ(!strstr(variant->cert, "rsa"),
		  self->e.ts.last_alg == KTLS_SIGN_ECDSA);
}

TEST_F(signer, failing_signer_fails_the_handshake)
{
	int srv;

	self->e.ts.mode = SIGN_FAILS;
	ASSERT_NE(0, run(_metadata, &self->e, &srv));
	ASSERT_NE(0, srv);
	ASSERT_EQ(1, self->e.ts.calls);
}

/* A forged signature never reaches the wire as a valid one. */
TEST_F(signer, forged_signature_fails_the_handshake)
{
	int srv;

	self->e.ts.mode = SIGN_FORGED;
	ASSERT_NE(0, run(_metadata, &self->e, &srv));
	ASSERT_NE(0, srv);
}

/* Mutual TLS: the client's certificate signs through the signer too. */
TEST_F(signer, client_certificate_signs_through_the_signer)
{
	struct ktls_private_key *ckey;
	int srv;

	ASSERT_EQ(0, __ktls_private_key_load(self->e.client_key, self->e.client_cert,
					     &ckey));
	__ktls_private_key_free(self->e.ts.key);
	self->e.ts.key = ckey;
	/* The server signs with its own key now; the client asks ours. */
	self->e.server.signer = NULL;
	self->e.server.key_file = self->e.key;
	self->e.server.verify_client = true;
	self->e.server.ca_file = self->e.ca;
	self->e.client.cert_file = self->e.client_cert;
	self->e.client.signer = &self->e.signer;
	ASSERT_EQ(0, run(_metadata, &self->e, &srv));
	ASSERT_EQ(0, srv);
	ASSERT_EQ(1, self->e.ts.calls);
	ASSERT_TRUE(self->e.ts.last_alg == KTLS_SIGN_ECDSA);
}

TEST_F(signer, key_file_and_signer_exclude_each_other)
{
	struct ktls_ctx *ctx;

	self->e.server.key_file = self->e.key;
	ASSERT_EQ(-EINVAL, ktls_ctx_new(&self->e.server, &ctx));
	ASSERT_NE(NULL, strstr(ktls_reason(), "exclude each other"));
}

/* The key holder refuses a key that is not the certificate's. */
TEST(mismatched_key_is_refused_at_load)
{
	char cert[PATH_MAX], key[PATH_MAX];
	struct ktls_private_key *k;

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("client.key", key, sizeof(key));
	ASSERT_EQ(-EINVAL, __ktls_private_key_load(key, cert, &k));
	ASSERT_NE(NULL, strstr(ktls_reason(), "does not match"))
		TH_LOG("%s", ktls_reason());
}

/* Requests a key cannot serve are refused, not signed. */
TEST(wrong_algorithm_is_refused)
{
	char cert[PATH_MAX], key[PATH_MAX];
	uint8_t digest[32] = { 1 }, sig[KTLS_SIGN_MAX_SIG];
	size_t len = sizeof(sig);
	struct ktls_private_key *k;

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("server.key", key, sizeof(key));
	ASSERT_EQ(0, __ktls_private_key_load(key, cert, &k));
	ASSERT_EQ(-EINVAL, __ktls_private_key_sign(k, KTLS_SIGN_RSA_PSS,
						   KTLS_SIGN_SHA256, digest,
						 sizeof(digest), sig, &len));
	ASSERT_EQ(-EINVAL, __ktls_private_key_sign(k, KTLS_SIGN_ECDSA,
						   KTLS_SIGN_HASH_NONE, digest, 0,
						 sig, &len));
	len = sizeof(sig);
	ASSERT_EQ(0, __ktls_private_key_sign(k, KTLS_SIGN_ECDSA,
					     KTLS_SIGN_HASH_NONE, digest,
					   sizeof(digest), sig, &len));
	ASSERT_LT(0U, len);
	__ktls_private_key_free(k);
}

/*
 * ktlsd's worker runs one server context on several event loops, and its
 * key process signs for each of them on its own thread: one RSA key, and
 * the public key that checks our own signatures, shared by threads that
 * sign at once. WolfSSL's RsaKey keeps state while it works, so each use
 * must be alone on it (found natively: ktlsd with an RSA certificate
 * failed most handoffs at two concurrent clients, RSA-PSS errors, then a
 * worker SIGSEGV).
 */
#define CONCURRENT_ENDS 4
#define ROUNDS 25

struct concurrent_end {
	struct ktls_ctx *server, *client;
	int failures;
	char reason[600];
};

struct shared_job {
	int fd;
	struct ktls_ctx *server;
};

static int serve_shared(struct peer *peer)
{
	struct shared_job *job = peer->arg;
	struct ktls_session *session = NULL;
	int ret;

	ret = ktls_handshake(job->server, job->fd, &session);
	if (!ret)
		ret = ktls_tls_send(session, "k", 1) == 1 ? 0 : -EIO;
	if (ret) {
		snprintf(peer->reason, sizeof(peer->reason), "%s",
			 ktls_reason());
		shutdown(job->fd, SHUT_RDWR);
	}
	ktls_session_free(session);
	return ret;
}

static void *concurrent_rounds(void *arg)
{
	struct concurrent_end *end = arg;

	for (int i = 0; i < ROUNDS; i++) {
		struct shared_job job = { .server = end->server };
		struct ktls_session *session = NULL;
		struct peer server;
		int client_fd, ret;
		uint8_t byte;

		if (tcp_pair(&client_fd, &job.fd) ||
		    peer_start(&server, serve_shared, &job)) {
			end->failures++;
			break;
		}
		ret = ktls_handshake(end->client, client_fd, &session);
		if (!ret)
			ret = ktls_tls_recv(session, &byte, 1) == 1 ? 0 : -EPROTO;
		if (ret)
			shutdown(client_fd, SHUT_RDWR);
		if (peer_join(&server) || ret) {
			if (!end->failures++)
				snprintf(end->reason, sizeof(end->reason),
					 "client %d; server: %s", ret,
					 server.reason);
		}
		ktls_session_free(session);
		close(client_fd);
		close(job.fd);
	}
	return NULL;
}

TEST_F(signer, threads_share_the_signer)
{
	struct concurrent_end ends[CONCURRENT_ENDS] = {};
	pthread_t threads[CONCURRENT_ENDS];
	struct ktls_ctx *server;
	int i;

	ASSERT_EQ(0, ktls_ctx_new(&self->e.server, &server))
		TH_LOG("%s", ktls_reason());
	for (i = 0; i < CONCURRENT_ENDS; i++) {
		ends[i].server = server;
		ASSERT_EQ(0, ktls_ctx_new(&self->e.client, &ends[i].client));
	}
	for (i = 0; i < CONCURRENT_ENDS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL,
					    concurrent_rounds, &ends[i]));
	for (i = 0; i < CONCURRENT_ENDS; i++) {
		pthread_join(threads[i], NULL);
		EXPECT_EQ(0, ends[i].failures)
			TH_LOG("end %d: %d of %d failed, the first: %s", i,
			       ends[i].failures, ROUNDS, ends[i].reason);
		ktls_ctx_free(ends[i].client);
	}
	ktls_ctx_free(server);
}

TEST_HARNESS_MAIN
