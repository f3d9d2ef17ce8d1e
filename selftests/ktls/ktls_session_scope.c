// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A session belongs to the server context that made it. Two server
 * contexts in one process (ktlsd's handoff [server] and an [upcall] with
 * verify_client; a context before and after a reload) must not resume each
 * other's sessions: a client would get past verify_client without a
 * certificate, or keep an identity from a CA no longer trusted. Resumption
 * on the context that made the session still works (tickets).
 * Handshakes only, in userspace: runs natively and in the VM without kTLS.
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
#include "ktls/tickets.h"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#define TIMEOUT_MS 15000
#define NO_CLIENT_CERT "the client sent no certificate, and this server requires one"

struct server_job {
	struct ktls_ctx *ctx;
	int fd;
	bool resumed;
	int peer_certs;
};

/* One handshake, then one byte that says "accepted" to the client. */
static int serve_one(struct peer *peer)
{
	struct server_job *job = peer->arg;
	struct ktls_session *session = NULL;
	int ret;

	ret = ktls_handshake(job->ctx, job->fd, &session);
	if (!ret) {
		job->resumed = ktls_session_resumed(session);
		job->peer_certs = ktls_session_peer_certs(session);
		ret = ktls_tls_send(session, "k", 1) == 1 ? 0 : -EIO;
	}
	if (ret)
		shutdown(job->fd, SHUT_RDWR);
	ktls_session_free(session);
	return ret;
}

struct outcome {
	int client_ret, server_ret;
	char server_reason[512];
	bool client_resumed, server_resumed;
	int peer_certs;
};

/*
 * The client is plain WolfSSL, as any client could be: it offers the last
 * session it got (by session ID only, or with its ticket), and a client
 * certificate if it has one. It reads the server's byte, and with it a
 * TLS 1.3 ticket.
 */
struct client {
	WOLFSSL_CTX *ctx;
	WOLFSSL_SESSION *last;
	bool tickets;
};

static int client_new(struct client *c, const struct ktls_config *config,
		      bool tickets)
{
	memset(c, 0, sizeof(*c));
	c->tickets = tickets;
	c->ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
	if (!c->ctx)
		return -ENOMEM;
	if (wolfSSL_CTX_SetMinVersion(c->ctx, config->min_version ==
				      KTLS_TLS_1_3 ? WOLFSSL_TLSV1_3 :
						     WOLFSSL_TLSV1_2) !=
		    WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_max_proto_version(c->ctx, config->max_version) !=
		    WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_load_verify_locations(c->ctx, config->ca_file, NULL) !=
		    WOLFSSL_SUCCESS)
		return -EINVAL;
	if (config->cert_file &&
	    (wolfSSL_CTX_use_certificate_file(c->ctx, config->cert_file,
					      WOLFSSL_FILETYPE_PEM) !=
		     WOLFSSL_SUCCESS ||
	     wolfSSL_CTX_use_PrivateKey_file(c->ctx, config->key_file,
					     WOLFSSL_FILETYPE_PEM) !=
		     WOLFSSL_SUCCESS))
		return -EINVAL;
	return 0;
}

static void client_free(struct client *c)
{
	wolfSSL_SESSION_free(c->last);
	wolfSSL_CTX_free(c->ctx);
}

static int client_connect(struct client *c, int fd, bool *resumed)
{
	WOLFSSL *ssl = wolfSSL_new(c->ctx);
	uint8_t ok;
	int ret = -EIO;

	if (!ssl)
		return -ENOMEM;
	wolfSSL_set_fd(ssl, fd);
	if (c->tickets)
		wolfSSL_UseSessionTicket(ssl);
	if (c->last)
		wolfSSL_set_session(ssl, c->last);
	if (wolfSSL_connect(ssl) == WOLFSSL_SUCCESS &&
	    wolfSSL_read(ssl, &ok, 1) == 1) {
		*resumed = wolfSSL_session_reused(ssl);
		wolfSSL_SESSION_free(c->last);
		c->last = wolfSSL_get1_session(ssl);
		ret = 0;
	}
	wolfSSL_free(ssl);
	return ret;
}

/* One connection from @client to @server. */
static void connect_once(struct __test_metadata *_metadata,
			 struct client *client, struct ktls_ctx *server,
			 struct outcome *out)
{
	struct server_job job = { .ctx = server };
	struct peer thread;
	int client_fd;

	memset(out, 0, sizeof(*out));
	ASSERT_EQ(0, tcp_pair(&client_fd, &job.fd));
	ASSERT_EQ(0, peer_start(&thread, serve_one, &job));
	out->client_ret = client_connect(client, client_fd,
					 &out->client_resumed);
	if (out->client_ret)
		shutdown(client_fd, SHUT_RDWR);
	out->server_ret = peer_join(&thread);
	snprintf(out->server_reason, sizeof(out->server_reason), "%s",
		 thread.reason);
	out->server_resumed = job.resumed;
	out->peer_certs = job.peer_certs;
	TH_LOG("client %d, server %d %s, resumed %d/%d", out->client_ret,
	       out->server_ret, out->server_reason, out->client_resumed,
	       out->server_resumed);
	close(client_fd);
	close(job.fd);
}

FIXTURE(scope)
{
	char ca[PATH_MAX], other_ca[PATH_MAX];
	char cert[PATH_MAX], key[PATH_MAX];
	char client_cert[PATH_MAX], client_key[PATH_MAX];
	struct ktls_config client, server;
	struct client peer;
	struct ktls_ctx *server_a, *server_b;
};

FIXTURE_VARIANT(scope)
{
	uint16_t version;
	bool client_tickets;	/* the client offers a ticket, not only an ID */
};

/* TLS 1.2 resumption by session ID: WolfSSL's server session cache. */
FIXTURE_VARIANT_ADD(scope, tls12_session_id)
{
	.version = KTLS_TLS_1_2,
};

FIXTURE_VARIANT_ADD(scope, tls12_ticket)
{
	.version = KTLS_TLS_1_2,
	.client_tickets = true,
};

FIXTURE_VARIANT_ADD(scope, tls13_ticket)
{
	.version = KTLS_TLS_1_3,
	.client_tickets = true,
};

FIXTURE_SETUP(scope)
{
	memset(&self->peer, 0, sizeof(self->peer));
	self->server_a = NULL;
	self->server_b = NULL;
	test_pki_file("ca.pem", self->ca, sizeof(self->ca));
	test_pki_file("unknownca-ca.pem", self->other_ca,
		      sizeof(self->other_ca));
	test_pki_file("server.pem", self->cert, sizeof(self->cert));
	test_pki_file("server.key", self->key, sizeof(self->key));
	test_pki_file("client.pem", self->client_cert,
		      sizeof(self->client_cert));
	test_pki_file("client.key", self->client_key,
		      sizeof(self->client_key));
	ASSERT_EQ(0, access(self->client_cert, R_OK))
		TH_LOG("%s: %s (run make)", self->client_cert, strerror(errno));
	self->client = (struct ktls_config){
		.role = KTLS_ROLE_CLIENT,
		.ca_file = self->ca,
		.min_version = variant->version,
		.max_version = variant->version,
	};
	self->server = (struct ktls_config){
		.role = KTLS_ROLE_SERVER,
		.cert_file = self->cert,
		.key_file = self->key,
		.min_version = variant->version,
		.max_version = variant->version,
		.session_tickets = variant->client_tickets,
		.handshake_timeout_ms = TIMEOUT_MS,
	};
}

FIXTURE_TEARDOWN(scope)
{
	client_free(&self->peer);
	ktls_ctx_free(self->server_a);
	ktls_ctx_free(self->server_b);
}

/*
 * The context that made a session takes it back, from its ticket: a
 * session ID alone no longer resumes (the cache is off).
 */
TEST_F(scope, same_context_resumes_from_ticket)
{
	struct outcome o;

	/* First: libktls runs wolfSSL_Init. */
	ASSERT_EQ(0, ktls_ctx_new(&self->server, &self->server_a));
	ASSERT_EQ(0, client_new(&self->peer, &self->client,
				variant->client_tickets));
	connect_once(_metadata, &self->peer, self->server_a, &o);
	ASSERT_EQ(0, o.client_ret);
	ASSERT_EQ(0, o.server_ret);
	EXPECT_FALSE(o.client_resumed);
	connect_once(_metadata, &self->peer, self->server_a, &o);
	ASSERT_EQ(0, o.client_ret);
	ASSERT_EQ(0, o.server_ret);
	EXPECT_EQ(variant->client_tickets, o.client_resumed);
	EXPECT_EQ(variant->client_tickets, o.server_resumed);
}

/*
 * The same with a libktls client in userspace TLS (a kernel without kTLS;
 * make bench's native load client): the TLS 1.3 ticket arrives with the
 * server's byte, which ktls_tls_recv() reads, and must be kept for the
 * next handshake as ktls_recv() keeps it.
 */
static void libktls_connect_once(struct __test_metadata *_metadata,
				 struct ktls_ctx *client, struct ktls_ctx *server,
				 struct outcome *out)
{
	struct server_job job = { .ctx = server };
	struct ktls_session *session = NULL;
	struct peer thread;
	int client_fd;
	char got = 0;

	memset(out, 0, sizeof(*out));
	ASSERT_EQ(0, tcp_pair(&client_fd, &job.fd));
	ASSERT_EQ(0, peer_start(&thread, serve_one, &job));
	out->client_ret = ktls_handshake(client, client_fd, &session);
	if (!out->client_ret) {
		out->client_resumed = ktls_session_resumed(session);
		if (ktls_tls_recv(session, &got, 1) != 1 || got != 'k')
			out->client_ret = -EIO;
	}
	if (out->client_ret)
		shutdown(client_fd, SHUT_RDWR);
	out->server_ret = peer_join(&thread);
	out->server_resumed = job.resumed;
	TH_LOG("client %d (%s), server %d %s, resumed %d/%d", out->client_ret,
	       out->client_ret ? ktls_reason() : "ok", out->server_ret,
	       thread.reason, out->client_resumed, out->server_resumed);
	ktls_session_free(session);
	close(client_fd);
	close(job.fd);
}

TEST_F(scope, userspace_libktls_client_resumes)
{
	struct ktls_ctx *client = NULL;
	struct outcome o;

	ASSERT_EQ(0, ktls_ctx_new(&self->server, &self->server_a));
	self->client.resumption = true;
	self->client.server_name = "localhost";
	ASSERT_EQ(0, ktls_ctx_new(&self->client, &client));
	libktls_connect_once(_metadata, client, self->server_a, &o);
	EXPECT_EQ(0, o.client_ret);
	EXPECT_EQ(0, o.server_ret);
	EXPECT_FALSE(o.client_resumed);
	libktls_connect_once(_metadata, client, self->server_a, &o);
	EXPECT_EQ(0, o.client_ret);
	EXPECT_EQ(0, o.server_ret);
	/* Tickets only: a session ID alone does not resume (cache off). */
	EXPECT_EQ(variant->client_tickets, o.client_resumed);
	EXPECT_EQ(variant->client_tickets, o.server_resumed);
	ktls_ctx_free(client);
}

/* A client without a certificate is asked for one, and refused. */
static void expect_refused(struct __test_metadata *_metadata,
			   const struct outcome *o, const char *reason)
{
	EXPECT_FALSE(o->server_resumed);
	EXPECT_FALSE(o->client_resumed);
	EXPECT_NE(0, o->client_ret);
	EXPECT_EQ(-EKEYREJECTED, o->server_ret);
	EXPECT_STREQ(reason, o->server_reason);
}

/*
 * (a) A session from a server without verify_client does not get a client
 * without a certificate past another context that requires one.
 */
TEST_F(scope, other_context_asks_for_certificate)
{
	struct outcome o;

	ASSERT_EQ(0, ktls_ctx_new(&self->server, &self->server_a));
	self->server.verify_client = true;
	self->server.ca_file = self->ca;
	ASSERT_EQ(0, ktls_ctx_new(&self->server, &self->server_b));
	ASSERT_EQ(0, client_new(&self->peer, &self->client,
				variant->client_tickets));

	connect_once(_metadata, &self->peer, self->server_a, &o);
	ASSERT_EQ(0, o.client_ret);
	ASSERT_EQ(0, o.server_ret);

	connect_once(_metadata, &self->peer, self->server_b, &o);
	expect_refused(_metadata, &o, NO_CLIENT_CERT);
}

/*
 * (b) An mTLS session made while the server trusted CA A does not resume
 * on the context that replaced it (a reload) and trusts only CA B: the
 * client's certificate is judged again, and refused.
 */
TEST_F(scope, reloaded_context_judges_certificate_again)
{
	struct outcome o;

	self->server.verify_client = true;
	self->server.ca_file = self->ca;
	ASSERT_EQ(0, ktls_ctx_new(&self->server, &self->server_a));
	self->client.cert_file = self->client_cert;
	self->client.key_file = self->client_key;
	ASSERT_EQ(0, client_new(&self->peer, &self->client,
				variant->client_tickets));

	connect_once(_metadata, &self->peer, self->server_a, &o);
	ASSERT_EQ(0, o.client_ret);
	ASSERT_EQ(0, o.server_ret);
	EXPECT_EQ(1, o.peer_certs);

	/* The reload: the old context goes, the new one trusts CA B only. */
	ktls_ctx_free(self->server_a);
	self->server_a = NULL;
	self->server.ca_file = self->other_ca;
	ASSERT_EQ(0, ktls_ctx_new(&self->server, &self->server_b));

	connect_once(_metadata, &self->peer, self->server_b, &o);
	expect_refused(_metadata, &o, "certificate signed by unknown authority");
}

/*
 * Tickets sealed elsewhere, as ktlsd's key process seals them: one ticket
 * key per context, picked by the key id the sealer is given. A ticket of
 * context A does not open on B (verify_client): a full handshake, and
 * B asks for the certificate.
 */
static struct ktls_ticket_keys *holder[3];

static int holder_seal(void *arg, uint32_t key_id, uint8_t *name, uint8_t *iv,
		       uint8_t *mac, uint8_t *ticket, size_t len)
{
	(void)arg;
	return __ktls_ticket_keys_seal(holder[key_id], name, iv, mac, ticket,
				     len);
}

static int holder_open(void *arg, uint32_t key_id, const uint8_t *name,
		       const uint8_t *iv, const uint8_t *mac, uint8_t *ticket,
		       size_t len)
{
	(void)arg;
	return __ktls_ticket_keys_open(holder[key_id], name, iv, mac, ticket,
				     len);
}

TEST_F(scope, sealed_elsewhere_other_context_asks_for_certificate)
{
	struct ktls_ticket_sealer a = {
		.seal = holder_seal, .open = holder_open, .key_id = 1,
	};
	struct ktls_ticket_sealer b = a;
	struct outcome o;

	if (!variant->client_tickets)
		SKIP(return, "tickets only");
	b.key_id = 2;
	for (int i = 1; i <= 2; i++)
		ASSERT_EQ(0, __ktls_ticket_keys_new(3600, &holder[i]));
	self->server.ticket_sealer = &a;
	ASSERT_EQ(0, ktls_ctx_new(&self->server, &self->server_a));
	self->server.ticket_sealer = &b;
	self->server.verify_client = true;
	self->server.ca_file = self->ca;
	ASSERT_EQ(0, ktls_ctx_new(&self->server, &self->server_b));
	ASSERT_EQ(0, client_new(&self->peer, &self->client, true));

	connect_once(_metadata, &self->peer, self->server_a, &o);
	ASSERT_EQ(0, o.client_ret);
	ASSERT_EQ(0, o.server_ret);
	/* A resumes its own ticket, through the sealer. */
	connect_once(_metadata, &self->peer, self->server_a, &o);
	ASSERT_EQ(0, o.server_ret);
	EXPECT_TRUE(o.server_resumed);

	connect_once(_metadata, &self->peer, self->server_b, &o);
	expect_refused(_metadata, &o, NO_CLIENT_CERT);
	for (int i = 1; i <= 2; i++)
		__ktls_ticket_keys_free(holder[i]);
}

TEST_HARNESS_MAIN
