// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Certificate verification and negotiation failures, each reported in the
 * words people search for: "certificate has expired", "certificate signed
 * by unknown authority", "certificate name mismatch", "handshake failure:
 * no shared version or cipher suite". The certificates come from
 * selftests/pki/make-certs.sh. Handshake only, no kernel TLS: runs natively
 * and in the VM.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_util.h"

#define EXPIRED "certificate has expired"
#define UNKNOWN_CA "certificate signed by unknown authority"
#define NAME_MISMATCH "certificate name mismatch"
#define NO_SHARED "handshake failure: no shared version or cipher suite"
#define PEER_NO_SHARED "handshake failure: no shared version, cipher suite or group"
#define PEER_REJECTED "the peer rejected our certificate"

/* Short enough that a silent peer fails the test quickly, not the harness. */
#define TIMEOUT_MS 5000

struct server_job {
	int fd;
	struct ktls_config config;
};

/* @reason contains @phrase, or there is no phrase to look for. */
static bool has_phrase(const char *reason, const char *phrase)
{
	return !phrase || strstr(reason, phrase);
}

static int server_handshake(struct peer *peer)
{
	struct server_job *job = peer->arg;
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	int ret;

	ret = ktls_ctx_new(&job->config, &ctx);
	if (!ret) {
		ret = ktls_handshake(ctx, job->fd, &session);
		ktls_ctx_free(ctx);
	}
	/* A failed server never leaves the client waiting. */
	if (ret)
		shutdown(job->fd, SHUT_RDWR);
	ktls_session_free(session);
	return ret;
}

FIXTURE(verify)
{
	int client_fd, server_fd;
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
};

FIXTURE_VARIANT(verify)
{
	const char *cert;		/* the server's chain, in the test PKI */
	const char *key;
	const char *server_name;	/* what the client asks for */
	uint16_t client_min, client_max, server_min, server_max;
	const char *client_ciphers, *server_ciphers;
	int client_ret;			/* 0: the handshake succeeds */
	const char *client_reason;	/* must appear in the client's reason */
	const char *server_reason;	/* and in the server's, if set */
};

FIXTURE_VARIANT_ADD(verify, expired)
{
	.cert = "expired.pem",
	.key = "expired.key",
	.server_name = "localhost",
	.client_ret = -EKEYREJECTED,
	.client_reason = EXPIRED,
	.server_reason = PEER_REJECTED,
};

FIXTURE_VARIANT_ADD(verify, wrong_name)
{
	.cert = "wrongname.pem",
	.key = "wrongname.key",
	.server_name = "localhost",
	.client_ret = -EKEYREJECTED,
	.client_reason = NAME_MISMATCH,
	.server_reason = PEER_REJECTED,
};

FIXTURE_VARIANT_ADD(verify, unknown_ca)
{
	.cert = "unknownca.pem",
	.key = "unknownca.key",
	.server_name = "localhost",
	.client_ret = -EKEYREJECTED,
	.client_reason = UNKNOWN_CA,
	.server_reason = PEER_REJECTED,
};

/* The server sends its leaf without the intermediate that signed it. */
FIXTURE_VARIANT_ADD(verify, missing_intermediate)
{
	.cert = "chain-leaf.pem",
	.key = "chain-leaf.key",
	.server_name = "localhost",
	.client_ret = -EKEYREJECTED,
	.client_reason = UNKNOWN_CA,
	.server_reason = PEER_REJECTED,
};

FIXTURE_VARIANT_ADD(verify, full_chain)
{
	.cert = "chain-full.pem",
	.key = "chain-leaf.key",
	.server_name = "localhost",
};

/* server.pem carries IP:127.0.0.1 in its subjectAltName. */
FIXTURE_VARIANT_ADD(verify, ip_match)
{
	.cert = "server.pem",
	.key = "server.key",
	.server_name = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(verify, ip_mismatch)
{
	.cert = "server.pem",
	.key = "server.key",
	.server_name = "127.0.0.2",
	.client_ret = -EKEYREJECTED,
	.client_reason = NAME_MISMATCH,
	.server_reason = PEER_REJECTED,
};

FIXTURE_VARIANT_ADD(verify, tls13_client_tls12_server)
{
	.cert = "server.pem",
	.key = "server.key",
	.server_name = "localhost",
	.client_min = KTLS_TLS_1_3,
	.client_max = KTLS_TLS_1_3,
	.server_max = KTLS_TLS_1_2,
	.client_ret = -EPROTONOSUPPORT,
	.client_reason = PEER_NO_SHARED,
	.server_reason = NO_SHARED,
};

FIXTURE_VARIANT_ADD(verify, tls12_client_tls13_server)
{
	.cert = "server.pem",
	.key = "server.key",
	.server_name = "localhost",
	.client_max = KTLS_TLS_1_2,
	.server_min = KTLS_TLS_1_3,
	.client_ret = -EPROTONOSUPPORT,
	.client_reason = PEER_NO_SHARED,
	.server_reason = NO_SHARED,
};

FIXTURE_VARIANT_ADD(verify, no_shared_cipher)
{
	.cert = "server.pem",
	.key = "server.key",
	.server_name = "localhost",
	.client_min = KTLS_TLS_1_3,
	.server_min = KTLS_TLS_1_3,
	.client_ciphers = "TLS_AES_128_GCM_SHA256",
	.server_ciphers = "TLS_AES_256_GCM_SHA384",
	.client_ret = -EPROTONOSUPPORT,
	.client_reason = PEER_NO_SHARED,
	.server_reason = NO_SHARED,
};

FIXTURE_SETUP(verify)
{
	self->client_fd = -1;
	self->server_fd = -1;
	test_pki_file("ca.pem", self->ca, sizeof(self->ca));
	test_pki_file(variant->cert, self->cert, sizeof(self->cert));
	test_pki_file(variant->key, self->key, sizeof(self->key));
	ASSERT_EQ(0, access(self->cert, R_OK))
		TH_LOG("%s: %s (run make)", self->cert, strerror(errno));
	ASSERT_EQ(0, tcp_pair(&self->client_fd, &self->server_fd));
}

FIXTURE_TEARDOWN(verify)
{
	if (self->client_fd >= 0)
		close(self->client_fd);
	if (self->server_fd >= 0)
		close(self->server_fd);
}

TEST_F(verify, handshake)
{
	struct ktls_config client = {
		.role = KTLS_ROLE_CLIENT,
		.ca_file = self->ca,
		.server_name = variant->server_name,
		.min_version = variant->client_min,
		.max_version = variant->client_max,
		.ciphers = variant->client_ciphers,
		.handshake_timeout_ms = TIMEOUT_MS,
	};
	struct server_job job = {
		.fd = self->server_fd,
		.config = {
			.role = KTLS_ROLE_SERVER,
			.cert_file = self->cert,
			.key_file = self->key,
			.min_version = variant->server_min,
			.max_version = variant->server_max,
			.ciphers = variant->server_ciphers,
			.handshake_timeout_ms = TIMEOUT_MS,
		},
	};
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	struct peer server;
	char reason[512];
	int ret, server_ret;

	/* The client's context first: wolfSSL_Init runs once, unraced. */
	ASSERT_EQ(0, ktls_ctx_new(&client, &ctx))
		TH_LOG("client context: %s", ktls_reason());
	ASSERT_EQ(0, peer_start(&server, server_handshake, &job));
	ret = ktls_handshake(ctx, self->client_fd, &session);
	snprintf(reason, sizeof(reason), "%s", ret ? ktls_reason() : "");
	/* Whatever happened, the server must not wait for us any longer. */
	if (ret)
		shutdown(self->client_fd, SHUT_RDWR);
	server_ret = peer_join(&server);
	ktls_ctx_free(ctx);

	TH_LOG("client: %d %s", ret, reason);
	TH_LOG("server: %d %s", server_ret, server.reason);
	EXPECT_EQ(variant->client_ret, ret);
	EXPECT_TRUE(has_phrase(reason, variant->client_reason))
		TH_LOG("client reason \"%s\" lacks \"%s\"", reason,
		       variant->client_reason);
	/* Both ends succeed, or both fail. */
	EXPECT_EQ(!variant->client_ret, !server_ret)
		TH_LOG("server: %d %s", server_ret, server.reason);
	EXPECT_TRUE(has_phrase(server.reason, variant->server_reason))
		TH_LOG("server reason \"%s\" lacks \"%s\"", server.reason,
		       variant->server_reason);
	EXPECT_STREQ("TLSv1.3",
		     session ? ktls_session_version(session) : "TLSv1.3");
	ktls_session_free(session);
}

/* A server whose key file is missing fails early, naming the file. */
TEST(server_key_missing)
{
	struct ktls_config config = { .role = KTLS_ROLE_SERVER };
	char cert[PATH_MAX], key[PATH_MAX], expected[PATH_MAX + 64];
	struct ktls_ctx *ctx = NULL;

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("no-such.key", key, sizeof(key));
	config.cert_file = cert;
	config.key_file = key;
	EXPECT_EQ(-ENOENT, ktls_ctx_new(&config, &ctx));
	snprintf(expected, sizeof(expected),
		 "cannot read private key file %s: No such file or directory",
		 key);
	EXPECT_STREQ(expected, ktls_reason());
	ktls_ctx_free(ctx);
}

/* A key that is not the certificate's is refused before any handshake. */
TEST(server_key_mismatch)
{
	struct ktls_config config = { .role = KTLS_ROLE_SERVER };
	char cert[PATH_MAX], key[PATH_MAX], expected[2 * PATH_MAX + 64];
	struct ktls_ctx *ctx = NULL;

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("ca.key", key, sizeof(key));
	config.cert_file = cert;
	config.key_file = key;
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&config, &ctx));
	snprintf(expected, sizeof(expected),
		 "private key %s does not match certificate %s", key, cert);
	EXPECT_STREQ(expected, ktls_reason());
	ktls_ctx_free(ctx);

	/* The matching pairs, ECDSA and RSA, are accepted. */
	test_pki_file("server.key", key, sizeof(key));
	ASSERT_EQ(0, ktls_ctx_new(&config, &ctx)) TH_LOG("%s", ktls_reason());
	ktls_ctx_free(ctx);
	test_pki_file("server-rsa.pem", cert, sizeof(cert));
	test_pki_file("server-rsa.key", key, sizeof(key));
	ASSERT_EQ(0, ktls_ctx_new(&config, &ctx)) TH_LOG("%s", ktls_reason());
	ktls_ctx_free(ctx);
}

TEST_HARNESS_MAIN
