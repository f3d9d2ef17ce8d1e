// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Mutual TLS, as NFS with xprtsec=mtls uses it: the client presents a
 * certificate (client.pem from selftests/pki), the server requires one that
 * chains to its trust store and sees who the client is. Failures name their
 * cause on the server: no certificate, or one from a CA it does not trust.
 * With client_cert_optional the server asks, verifies what comes and lets
 * a client without a certificate in.
 * The handshakes run natively; the data test moves 1 MiB each way through
 * kernel TLS after an mTLS handshake and skips where there is none.
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

/* Generous: TCG on a loaded host is slow; failures here end sooner. */
#define TIMEOUT_MS 15000
#define CLIENT_SUBJECT "/CN=ktlsd test client"
#define SERVER_SUBJECT "/CN=localhost"

struct server_job {
	int fd;
	struct ktls_config config;
	size_t data_len;	/* bytes each way through kTLS; 0: none */
	/* what the server saw */
	char subject[256];
	char verify[64];
	int peer_certs;
};

static int server_run(struct peer *peer)
{
	struct server_job *job = peer->arg;
	struct ktls_session *session = NULL;
	struct ktls_cert_info info;
	struct ktls_ctx *ctx;
	struct stream stream;
	int ret;

	ret = ktls_ctx_new(&job->config, &ctx);
	if (ret)
		goto out;
	ret = ktls_handshake(ctx, job->fd, &session);
	if (ret)
		goto free_ctx;
	job->peer_certs = ktls_session_peer_certs(session);
	if (!ktls_session_peer_cert(session, 0, &info))
		snprintf(job->subject, sizeof(job->subject), "%s",
			 info.subject);
	snprintf(job->verify, sizeof(job->verify), "%s",
		 ktls_session_verify_result(session));
	if (!job->data_len) {
		/* One byte says "accepted" to a client still waiting. */
		ret = ktls_tls_send(session, "k", 1) == 1 ? 0 : -EIO;
	} else {
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
	/* A failed server never leaves the client waiting. */
	if (ret)
		shutdown(job->fd, SHUT_RDWR);
	return ret;
}

/* The two ends of one test connection, and how each is configured. */
struct mtls_ends {
	int client_fd, server_fd;
	char ca[PATH_MAX], server_cert[PATH_MAX], server_key[PATH_MAX];
	char client_cert[PATH_MAX], client_key[PATH_MAX], crl[PATH_MAX];
	struct ktls_config client, server;
};

FIXTURE(mtls)
{
	struct mtls_ends ends;
};

FIXTURE_VARIANT(mtls)
{
	uint16_t version;
};

FIXTURE_VARIANT_ADD(mtls, tls13)
{
	.version = KTLS_TLS_1_3,
};

FIXTURE_VARIANT_ADD(mtls, tls12)
{
	.version = KTLS_TLS_1_2,
};

FIXTURE_SETUP(mtls)
{
	self->ends.client_fd = -1;
	self->ends.server_fd = -1;
	test_pki_file("ca.pem", self->ends.ca, sizeof(self->ends.ca));
	test_pki_file("server.pem", self->ends.server_cert,
		      sizeof(self->ends.server_cert));
	test_pki_file("server.key", self->ends.server_key,
		      sizeof(self->ends.server_key));
	test_pki_file("client.pem", self->ends.client_cert,
		      sizeof(self->ends.client_cert));
	test_pki_file("client.key", self->ends.client_key,
		      sizeof(self->ends.client_key));
	test_pki_file("crl.pem", self->ends.crl, sizeof(self->ends.crl));
	ASSERT_EQ(0, access(self->ends.client_cert, R_OK))
		TH_LOG("%s: %s (run make)", self->ends.client_cert, strerror(errno));
	self->ends.client = (struct ktls_config){
		.role = KTLS_ROLE_CLIENT,
		.cert_file = self->ends.client_cert,
		.key_file = self->ends.client_key,
		.ca_file = self->ends.ca,
		.server_name = "localhost",
		.min_version = variant->version,
		.max_version = variant->version,
		.handshake_timeout_ms = TIMEOUT_MS,
	};
	self->ends.server = (struct ktls_config){
		.role = KTLS_ROLE_SERVER,
		.cert_file = self->ends.server_cert,
		.key_file = self->ends.server_key,
		.ca_file = self->ends.ca,
		.verify_client = true,
		.min_version = variant->version,
		.max_version = variant->version,
		.handshake_timeout_ms = TIMEOUT_MS,
	};
}

FIXTURE_TEARDOWN(mtls)
{
	if (self->ends.client_fd >= 0)
		close(self->ends.client_fd);
	if (self->ends.server_fd >= 0)
		close(self->ends.server_fd);
}

/*
 * Client handshake against the server in a thread. Returns the client's
 * result; @reason gets its reason. A TLS 1.3 client finishes before the
 * server has judged its certificate, so it reads the server's one byte
 * (or its alert) as part of its result here.
 */
static int client_run(struct __test_metadata *_metadata,
		      struct mtls_ends *self, struct server_job *job,
		      struct peer *server, char *reason, size_t reason_len)
{
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	uint8_t byte;
	int ret, server_ret;

	reason[0] = '\0';
	/* The client's context first: wolfSSL_Init runs once, unraced. */
	ret = ktls_ctx_new(&self->client, &ctx);
	if (ret) {
		snprintf(reason, reason_len, "%s",
			 ret == -EPROTO ? "the server closed without a byte" :
					  ktls_reason());
		return ret;
	}
	job->fd = self->server_fd;
	job->config = self->server;
	if (peer_start(server, server_run, job)) {
		ktls_ctx_free(ctx);
		return -EAGAIN;
	}
	ret = ktls_handshake(ctx, self->client_fd, &session);
	if (!ret && !job->data_len) {
		ssize_t n = ktls_tls_recv(session, &byte, 1);

		ret = n < 0 ? (int)n : n == 1 ? 0 : -EPROTO;
	}
	if (ret) {
		snprintf(reason, reason_len, "%s",
			 ret == -EPROTO ? "the server closed without a byte" :
					  ktls_reason());
		shutdown(self->client_fd, SHUT_RDWR);
	}
	server_ret = peer_join(server);
	TH_LOG("client: %d %s", ret, reason);
	TH_LOG("server: %d %s", server_ret, server->reason);
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	return ret;
}

/* The server requires a certificate, gets one from its CA, sees who. */
TEST_F(mtls, client_certificate_accepted)
{
	struct server_job job = { 0 };
	struct peer server;
	char reason[512];
	int ret;

	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	ret = client_run(_metadata, &self->ends, &job, &server, reason,
			 sizeof(reason));
	EXPECT_EQ(0, ret);
	ASSERT_EQ(0, server.ret);
	EXPECT_EQ(1, job.peer_certs);
	EXPECT_STREQ(CLIENT_SUBJECT, job.subject);
	EXPECT_STREQ("ok", job.verify);
}

TEST_F(mtls, no_client_certificate)
{
	struct server_job job = { 0 };
	struct peer server;
	char reason[512];
	int ret;

	self->ends.client.cert_file = NULL;
	self->ends.client.key_file = NULL;
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	ret = client_run(_metadata, &self->ends, &job, &server, reason,
			 sizeof(reason));
	EXPECT_EQ(-EKEYREJECTED, server.ret);
	EXPECT_STREQ("the client sent no certificate, and this server requires one",
		     server.reason);
	/*
	 * The client hears an alert: TLS 1.3 has certificate_required; TLS
	 * 1.2 has only handshake_failure (RFC 5246 §7.4.6), which the client
	 * cannot tell from "no shared cipher suite".
	 */
	EXPECT_NE(0, ret);
	EXPECT_STREQ(variant->version == KTLS_TLS_1_3 ?
			     "the peer sent fatal alert certificate_required (116)" :
			     "handshake failure: no shared version, cipher suite or group (the peer sent alert handshake_failure)",
		     reason);
}

TEST_F(mtls, client_certificate_unknown_ca)
{
	char cert[PATH_MAX], key[PATH_MAX];
	struct server_job job = { 0 };
	struct peer server;
	char reason[512];
	int ret;

	test_pki_file("client-unknownca.pem", cert, sizeof(cert));
	test_pki_file("client-unknownca.key", key, sizeof(key));
	self->ends.client.cert_file = cert;
	self->ends.client.key_file = key;
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	ret = client_run(_metadata, &self->ends, &job, &server, reason,
			 sizeof(reason));
	EXPECT_EQ(-EKEYREJECTED, server.ret);
	EXPECT_STREQ("certificate signed by unknown authority", server.reason);
	EXPECT_NE(0, ret);
	EXPECT_NE(NULL, strstr(reason, "unknown_ca")) TH_LOG("client: %s", reason);
}

/* Without verify_client, a client certificate is neither asked nor seen. */
TEST_F(mtls, not_required)
{
	struct server_job job = { 0 };
	struct peer server;
	char reason[512];
	int ret;

	self->ends.server.verify_client = false;
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	ret = client_run(_metadata, &self->ends, &job, &server, reason,
			 sizeof(reason));
	EXPECT_EQ(0, ret);
	ASSERT_EQ(0, server.ret);
	EXPECT_EQ(0, job.peer_certs);
	EXPECT_STREQ("not verified (server)", job.verify);
}

/* Optional: asked for, verified when sent, a client without one let in. */
TEST_F(mtls, optional_with_certificate)
{
	struct server_job job = { 0 };
	struct peer server;
	char reason[512];

	self->ends.server.client_cert_optional = true;
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	EXPECT_EQ(0, client_run(_metadata, &self->ends, &job, &server, reason,
				sizeof(reason)));
	ASSERT_EQ(0, server.ret);
	EXPECT_EQ(1, job.peer_certs);
	EXPECT_STREQ(CLIENT_SUBJECT, job.subject);
	EXPECT_STREQ("ok", job.verify);
}

TEST_F(mtls, optional_without_certificate)
{
	struct server_job job = { 0 };
	struct peer server;
	char reason[512];

	self->ends.server.client_cert_optional = true;
	self->ends.client.cert_file = NULL;
	self->ends.client.key_file = NULL;
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	EXPECT_EQ(0, client_run(_metadata, &self->ends, &job, &server, reason,
				sizeof(reason)));
	ASSERT_EQ(0, server.ret);
	EXPECT_EQ(0, job.peer_certs);
	EXPECT_STREQ("no client certificate", job.verify);
}

TEST_F(mtls, optional_unknown_ca_still_refused)
{
	char cert[PATH_MAX], key[PATH_MAX];
	struct server_job job = { 0 };
	struct peer server;
	char reason[512];

	test_pki_file("client-unknownca.pem", cert, sizeof(cert));
	test_pki_file("client-unknownca.key", key, sizeof(key));
	self->ends.server.client_cert_optional = true;
	self->ends.client.cert_file = cert;
	self->ends.client.key_file = key;
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	EXPECT_NE(0, client_run(_metadata, &self->ends, &job, &server, reason,
				sizeof(reason)));
	EXPECT_EQ(-EKEYREJECTED, server.ret);
	EXPECT_STREQ("certificate signed by unknown authority", server.reason);
}

/*
 * Revocation (tlshd's x509.crl): both ends load the CA's CRL and check the
 * other's chain. Good certificates pass; a revoked client certificate is
 * refused by the server, a revoked server certificate by the client, each
 * naming the cause, and the peer hears certificate_revoked.
 */
TEST_F(mtls, crl_good_certificates_accepted)
{
	struct server_job job = { 0 };
	struct peer server;
	char reason[512];

	self->ends.server.crl_file = self->ends.crl;
	self->ends.client.crl_file = self->ends.crl;
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	EXPECT_EQ(0, client_run(_metadata, &self->ends, &job, &server, reason,
				sizeof(reason)));
	ASSERT_EQ(0, server.ret);
	EXPECT_STREQ(CLIENT_SUBJECT, job.subject);
}

TEST_F(mtls, crl_revoked_client_refused)
{
	char cert[PATH_MAX], key[PATH_MAX];
	struct server_job job = { 0 };
	struct peer server;
	char reason[512];

	test_pki_file("client-revoked.pem", cert, sizeof(cert));
	test_pki_file("client-revoked.key", key, sizeof(key));
	self->ends.client.cert_file = cert;
	self->ends.client.key_file = key;
	self->ends.server.crl_file = self->ends.crl;
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	EXPECT_NE(0, client_run(_metadata, &self->ends, &job, &server, reason,
				sizeof(reason)));
	EXPECT_EQ(-EKEYREJECTED, server.ret);
	EXPECT_STREQ("certificate revoked", server.reason);
	EXPECT_NE(NULL, strstr(reason, "certificate_revoked"))
		TH_LOG("client: %s", reason);
}

/* The server presents @cert with @key (test PKI names). */
static void server_identity(struct mtls_ends *ends, const char *cert,
			    const char *key)
{
	test_pki_file(cert, ends->server_cert, sizeof(ends->server_cert));
	test_pki_file(key, ends->server_key, sizeof(ends->server_key));
}

/* The client refuses the server's certificate for @why, with @alert. */
static void client_refuses(struct __test_metadata *_metadata,
			   struct mtls_ends *ends, const char *why,
			   const char *alert)
{
	struct server_job job = { 0 };
	struct peer server;
	char reason[512];

	ends->client.crl_file = ends->crl;
	ASSERT_EQ(0, tcp_pair(&ends->client_fd, &ends->server_fd));
	EXPECT_EQ(-EKEYREJECTED, client_run(_metadata, ends, &job, &server,
					    reason, sizeof(reason)));
	EXPECT_STREQ(why, reason);
	EXPECT_NE(0, server.ret);
	EXPECT_NE(NULL, strstr(server.reason, alert))
		TH_LOG("server: %s", server.reason);
}

TEST_F(mtls, crl_revoked_server_refused)
{
	server_identity(&self->ends, "server-revoked.pem", "server-revoked.key");
	client_refuses(_metadata, &self->ends, "certificate revoked",
		       "alert certificate_revoked");
}

/* Without the CRL the same revoked server passes: the CRL decides. */
TEST_F(mtls, crl_revoked_server_passes_without_crl)
{
	struct server_job job = { 0 };
	struct peer server;
	char reason[512];

	server_identity(&self->ends, "server-revoked.pem", "server-revoked.key");
	ASSERT_EQ(0, tcp_pair(&self->ends.client_fd, &self->ends.server_fd));
	EXPECT_EQ(0, client_run(_metadata, &self->ends, &job, &server, reason,
				sizeof(reason)));
	EXPECT_EQ(0, server.ret);
}

/* A chain through a CA the file has no CRL for is refused, not waved on. */
TEST_F(mtls, crl_missing_for_issuer_refused)
{
	server_identity(&self->ends, "chain-full.pem", "chain-leaf.key");
	client_refuses(_metadata, &self->ends,
		       "no CRL for the certificate's issuer (crl_file)",
		       "alert bad_certificate");
}

/* 1 MiB each way through kernel TLS after the mTLS handshake. */
TEST_F_TIMEOUT(mtls, ktls_duplex_1mib, 300)
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
	EXPECT_STREQ(CLIENT_SUBJECT, job.subject);
	EXPECT_EQ(0, memcmp(sent, server.received, DIGEST_LEN))
		TH_LOG("client to server bytes differ");
	EXPECT_EQ(0, memcmp(server.sent, received, DIGEST_LEN))
		TH_LOG("server to client bytes differ");
}

/* Configuration mistakes are named before any handshake. */
TEST(config_errors)
{
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "localhost",
	};
	char cert[PATH_MAX], ca[PATH_MAX];
	struct ktls_ctx *ctx = NULL;

	test_pki_file("client.pem", cert, sizeof(cert));
	test_pki_file("ca.pem", ca, sizeof(ca));
	config.ca_file = ca;
	config.cert_file = cert;
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&config, &ctx));
	EXPECT_STREQ("cert_file and key_file go together", ktls_reason());

	config.cert_file = NULL;
	config.verify_client = true;
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&config, &ctx));
	EXPECT_STREQ("verify_client is for a server (a client always verifies the server)",
		     ktls_reason());
	ktls_ctx_free(ctx);
}

TEST(client_cert_optional_needs_verify_client)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	struct ktls_config config = {
		.role = KTLS_ROLE_SERVER,
		.client_cert_optional = true,
	};
	struct ktls_ctx *ctx = NULL;

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("server.key", key, sizeof(key));
	test_pki_file("ca.pem", ca, sizeof(ca));
	config.cert_file = cert;
	config.key_file = key;
	config.ca_file = ca;
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&config, &ctx));
	EXPECT_STREQ("client_cert_optional goes with verify_client "
		     "(it makes the client certificate optional)",
		     ktls_reason());
	ktls_ctx_free(ctx);
}

/* A server verifying clients names whom it trusts: never the system bundle. */
TEST(verify_client_needs_ca_file)
{
	char cert[PATH_MAX], key[PATH_MAX];
	struct ktls_config config = {
		.role = KTLS_ROLE_SERVER,
		.verify_client = true,
	};
	struct ktls_ctx *ctx = NULL;

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("server.key", key, sizeof(key));
	config.cert_file = cert;
	config.key_file = key;
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&config, &ctx));
	EXPECT_STREQ("verify_client needs ca_file, the CA certificates client "
		     "certificates must chain to (the system bundle would "
		     "accept any publicly trusted certificate)",
		     ktls_reason());
	EXPECT_EQ(NULL, ctx);
	ktls_ctx_free(ctx);
}

/* CRL mistakes are refused when the context is made, each with its cause. */
TEST(crl_config_errors)
{
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], crl[PATH_MAX];
	char other_ca[PATH_MAX];
	struct ktls_config config;
	struct ktls_ctx *ctx = NULL;

	test_pki_file("ca.pem", ca, sizeof(ca));
	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("server.key", key, sizeof(key));
	test_pki_file("crl.pem", crl, sizeof(crl));
	test_pki_file("unknownca-ca.pem", other_ca, sizeof(other_ca));
	config = (struct ktls_config){
		.role = KTLS_ROLE_SERVER, .cert_file = cert, .key_file = key,
		.ca_file = ca, .crl_file = crl,
	};
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&config, &ctx));
	EXPECT_STREQ("crl_file checks client certificates: a server needs verify_client for it",
		     ktls_reason());
	config = (struct ktls_config){
		.role = KTLS_ROLE_CLIENT, .server_name = "localhost",
		.ca_file = ca, .crl_file = "/nonexistent/crl.pem",
	};
	EXPECT_EQ(-ENOENT, ktls_ctx_new(&config, &ctx));
	EXPECT_NE(NULL, strstr(ktls_reason(), "/nonexistent/crl.pem"))
		TH_LOG("%s", ktls_reason());
	config.crl_file = cert;	/* a certificate, not a CRL */
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&config, &ctx));
	EXPECT_NE(NULL, strstr(ktls_reason(), "holds no PEM CRL"))
		TH_LOG("%s", ktls_reason());
	config.crl_file = crl;
	config.ca_file = other_ca;	/* not the CRL's issuer */
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&config, &ctx));
	EXPECT_NE(NULL, strstr(ktls_reason(), "not signed by a CA of the trust store"))
		TH_LOG("%s", ktls_reason());
	EXPECT_EQ(NULL, ctx);
}

TEST_HARNESS_MAIN
