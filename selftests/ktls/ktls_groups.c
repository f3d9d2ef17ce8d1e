// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Key exchange groups: post-quantum hybrids first by default. Both ends
 * are libktls over loopback TCP, handshake only (no kernel TLS), so this
 * runs natively and in the VM. A client's ClientHello is read off the
 * wire to check the order of supported_groups and key_share (and that it
 * asks for no record size limit); round trips tell a HelloRetryRequest
 * from a first-flight agreement.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ktls/tls_prot.h"
#include "test_util.h"
#include "../../userspace/lib/hello.h"

#define TIMEOUT_MS 5000
#define X25519MLKEM768 0x11ec
#define SECP256R1MLKEM768 0x11eb
#define X25519 0x001d
#define SECP256R1 0x0017
#define SECP384R1 0x0018

struct end {
	const char *groups;	/* NULL: the default */
	uint16_t version;	/* 0: TLS 1.2 and 1.3 */
	bool psk;
};

struct result {
	int ret;
	char reason[512];
	char group[32];
	int round_trips;
};

static const uint8_t psk_key[32] = "0123456789abcdef0123456789abcdef";

static void end_config(const struct end *end, enum ktls_role role,
		       struct test_pki *pki, struct ktls_config *config)
{
	*config = (struct ktls_config){
		.role = role,
		.groups = end->groups,
		.min_version = end->version,
		.max_version = end->version,
		.handshake_timeout_ms = TIMEOUT_MS,
	};
	if (end->psk) {
		config->psk_identity = "groups-test";
		config->psk_key = psk_key;
		config->psk_key_len = sizeof(psk_key);
	} else if (role == KTLS_ROLE_SERVER) {
		config->cert_file = pki->cert;
		config->key_file = pki->key;
	} else {
		config->ca_file = pki->ca;
		config->server_name = "localhost";
	}
}

static void handshake(const struct end *end, enum ktls_role role, int fd,
		      struct result *res)
{
	struct ktls_session *session = NULL;
	struct ktls_config config;
	struct ktls_ctx *ctx;
	struct test_pki pki;

	memset(res, 0, sizeof(*res));
	test_pki(&pki);
	end_config(end, role, &pki, &config);
	res->ret = ktls_ctx_new(&config, &ctx);
	if (!res->ret) {
		res->ret = ktls_handshake(ctx, fd, &session);
		ktls_ctx_free(ctx);
	}
	if (res->ret) {
		snprintf(res->reason, sizeof(res->reason), "%s", ktls_reason());
		/* The other end must not wait for us. */
		shutdown(fd, SHUT_RDWR);
		return;
	}
	snprintf(res->group, sizeof(res->group), "%s",
		 ktls_session_group(session));
	res->round_trips = ktls_session_round_trips(session);
	ktls_session_free(session);
}

struct server_job {
	const struct end *end;
	int fd;
	struct result res;
};

static int server_run(struct peer *peer)
{
	struct server_job *job = peer->arg;

	handshake(job->end, KTLS_ROLE_SERVER, job->fd, &job->res);
	return job->res.ret;
}

/* A handshake between @client and @server; each end's result. */
static int run(const struct end *client, const struct end *server,
	       struct result *client_res, struct result *server_res)
{
	struct server_job job = { .end = server };
	int client_fd, server_fd;
	struct peer peer;
	int ret;

	ret = tcp_pair(&client_fd, &server_fd);
	if (ret)
		return ret;
	job.fd = server_fd;
	ret = peer_start(&peer, server_run, &job);
	if (!ret) {
		handshake(client, KTLS_ROLE_CLIENT, client_fd, client_res);
		peer_join(&peer);
		*server_res = job.res;
	}
	close(client_fd);
	close(server_fd);
	return ret;
}

FIXTURE(groups)
{
	struct result client, server;
};

FIXTURE_VARIANT(groups)
{
	struct end client, server;
	const char *group;	/* both ends report it; NULL: no handshake */
	int round_trips;
	int client_ret, server_ret;
	const char *server_reason;
	const char *client_reason;	/* in the client's reason */
};

/* Default client and server: the hybrid in the first flight. */
FIXTURE_VARIANT_ADD(groups, default_is_hybrid_in_one_round_trip)
{
	.group = "X25519MLKEM768",
	.round_trips = 1,
};

FIXTURE_VARIANT_ADD(groups, p256_hybrid_when_the_client_lists_it_first)
{
	.client = { .groups = "SecP256r1MLKEM768:P-256" },
	.group = "SecP256r1MLKEM768",
	.round_trips = 1,
};

/* A classical share only, the hybrid listed: the server asks for it. */
FIXTURE_VARIANT_ADD(groups, x25519_share_gets_hello_retry_to_hybrid)
{
	.client = { .groups = "X25519:X25519MLKEM768" },
	.group = "X25519MLKEM768",
	.round_trips = 2,
};

/* A server that ranks X25519 first takes the X25519 share. */
FIXTURE_VARIANT_ADD(groups, classical_server_preference_is_kept)
{
	.client = { .groups = "X25519:X25519MLKEM768" },
	.server = { .groups = "X25519:X25519MLKEM768" },
	.group = "X25519",
	.round_trips = 1,
};

FIXTURE_VARIANT_ADD(groups, classical_ends_agree_on_x25519)
{
	.client = { .groups = "X25519:P-256:P-384" },
	.server = { .groups = "X25519:P-256:P-384" },
	.group = "X25519",
	.round_trips = 1,
};

/* Our default client against a server without hybrids: no retry. */
FIXTURE_VARIANT_ADD(groups, classical_server_takes_the_second_share)
{
	.server = { .groups = "X25519:P-256" },
	.group = "X25519",
	.round_trips = 1,
};

FIXTURE_VARIANT_ADD(groups, p384_only_server_asks_for_p384)
{
	.server = { .groups = "P-384" },
	.group = "P-384",
	.round_trips = 2,
};

FIXTURE_VARIANT_ADD(groups, tls12_uses_a_classical_curve)
{
	.client = { .version = KTLS_TLS_1_2 },
	.server = { .version = KTLS_TLS_1_2 },
	.group = "X25519",
	.round_trips = 2,
};

FIXTURE_VARIANT_ADD(groups, psk_with_hybrid_ecdhe)
{
	.client = { .psk = true },
	.server = { .psk = true },
	.group = "X25519MLKEM768",
	.round_trips = 1,
};

FIXTURE_VARIANT_ADD(groups, hybrid_only_client_against_p256_server)
{
	.client = { .groups = "X25519MLKEM768" },
	.server = { .groups = "P-256" },
	.client_ret = -EPROTONOSUPPORT,
	.server_ret = -EPROTONOSUPPORT,
	.server_reason = "handshake failure: no shared group (the client offers X25519MLKEM768; we accept P-256)",
	.client_reason = "handshake_failure",
};

FIXTURE_SETUP(groups)
{
}

FIXTURE_TEARDOWN(groups)
{
}

TEST_F(groups, negotiated)
{
	ASSERT_EQ(0, run(&variant->client, &variant->server, &self->client,
			 &self->server));
	TH_LOG("client: %d %s %s, %d round trips", self->client.ret,
	       self->client.reason, self->client.group,
	       self->client.round_trips);
	TH_LOG("server: %d %s %s, %d round trips", self->server.ret,
	       self->server.reason, self->server.group,
	       self->server.round_trips);
	if (!variant->group) {
		EXPECT_EQ(variant->server_ret, self->server.ret);
		EXPECT_NE(NULL, strstr(self->server.reason,
				       variant->server_reason));
		EXPECT_EQ(variant->client_ret, self->client.ret);
		EXPECT_NE(NULL, strstr(self->client.reason,
				       variant->client_reason));
		return;
	}
	ASSERT_EQ(0, self->client.ret);
	ASSERT_EQ(0, self->server.ret);
	EXPECT_STREQ(variant->group, self->client.group);
	EXPECT_STREQ(variant->group, self->server.group);
	EXPECT_EQ(variant->round_trips, self->client.round_trips);
}

/*
 * The first record a client with @groups sends: its ClientHello, the
 * message body (after its 4-byte header) in @body, @len bytes.
 */
static int client_hello_body(const char *groups, uint16_t max_version,
			     const uint8_t **body, size_t *len)
{
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.groups = groups,
		.max_version = max_version,
		.server_name = "localhost",
		.handshake_timeout_ms = TIMEOUT_MS,
	};
	struct ktls_session *session = NULL;
	static uint8_t rec[5 + 16384];
	struct ktls_ctx *ctx;
	struct test_pki pki;
	size_t got = 0, want = 5;
	int fds[2], ret;
	ssize_t n;

	test_pki(&pki);
	config.ca_file = pki.ca;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
		return -errno;
	ret = ktls_ctx_new(&config, &ctx);
	if (!ret)
		ret = ktls_handshake_start(ctx, fds[0], &session);
	/* One step writes the ClientHello, then waits for the server. */
	if (!ret) {
		ret = ktls_handshake_step(session);
		ret = ret == -EAGAIN ? 0 : -EPROTO;
	}
	while (!ret && got < want) {
		n = recv(fds[1], rec + got, want - got, 0);
		if (n <= 0) {
			ret = -EPROTO;
			break;
		}
		got += (size_t)n;
		if (got == 5)
			want = 5 + (size_t)(rec[3] << 8 | rec[4]);
	}
	/* A handshake record holding one ClientHello. */
	if (!ret && (rec[0] != TLS_RECORD_TYPE_HANDSHAKE ||
		     rec[5] != TLS_HS_CLIENT_HELLO))
		ret = -EPROTO;
	if (!ret) {
		*body = rec + 9;
		*len = want - 9;
	}
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	close(fds[0]);
	close(fds[1]);
	return ret;
}

static int client_hello(const char *groups, uint16_t max_version,
			struct ktls_hello *hello)
{
	const uint8_t *body;
	size_t len;
	int ret;

	ret = client_hello_body(groups, max_version, &body, &len);
	if (!ret)
		ret = __ktls_hello_parse(TLS_HS_CLIENT_HELLO, body, len, hello);
	return ret;
}

TEST(default_client_hello_lists_hybrids_first_with_two_shares)
{
	static const uint16_t groups[] = { X25519MLKEM768, SECP256R1MLKEM768,
					   X25519, SECP256R1, SECP384R1 };
	struct ktls_hello hello;

	ASSERT_EQ(0, client_hello(NULL, 0, &hello));
	ASSERT_EQ(sizeof(groups) / sizeof(groups[0]), hello.nr_groups);
	for (size_t i = 0; i < hello.nr_groups; i++)
		EXPECT_EQ(groups[i], hello.groups[i]);
	/* The hybrid, and X25519 for servers without hybrids. */
	ASSERT_EQ((size_t)2, hello.nr_shares);
	EXPECT_EQ(X25519MLKEM768, hello.shares[0]);
	EXPECT_EQ(X25519, hello.shares[1]);
}

TEST(classical_first_client_sends_one_classical_share)
{
	struct ktls_hello hello;

	ASSERT_EQ(0, client_hello("X25519:X25519MLKEM768", 0, &hello));
	ASSERT_EQ((size_t)2, hello.nr_groups);
	EXPECT_EQ(X25519, hello.groups[0]);
	EXPECT_EQ(X25519MLKEM768, hello.groups[1]);
	ASSERT_EQ((size_t)1, hello.nr_shares);
	EXPECT_EQ(X25519, hello.shares[0]);
}

TEST(p256_hybrid_first_client_adds_p256_share)
{
	struct ktls_hello hello;

	ASSERT_EQ(0, client_hello("SecP256r1MLKEM768:X25519MLKEM768:P-256",
				  0, &hello));
	ASSERT_EQ((size_t)2, hello.nr_shares);
	EXPECT_EQ(SECP256R1MLKEM768, hello.shares[0]);
	EXPECT_EQ(SECP256R1, hello.shares[1]);
}

/*
 * Kernel TLS sends records of up to 2^14 bytes: a client that asked for
 * less would have to keep that promise to itself in the kernel. Ours asks
 * for neither max_fragment_length nor record_size_limit, in TLS 1.3 and
 * in TLS 1.2.
 */
TEST(client_asks_for_no_record_size_limit)
{
	static const uint16_t versions[] = { 0, KTLS_TLS_1_2 };

	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		struct ktls_reader r;
		const uint8_t *body;
		size_t len, seen = 0;

		ASSERT_EQ(0, client_hello_body(NULL, versions[v], &body, &len));
		r = (struct ktls_reader){ .p = body, .left = len };
		ASSERT_TRUE(__ktls_hello_extensions(&r, TLS_HS_CLIENT_HELLO));
		while (r.left) {
			const uint8_t *type = ktls_take(&r, 2);

			ASSERT_NE(NULL, type);
			EXPECT_NE(TLS_EXT_MAX_FRAGMENT_LENGTH,
				  ktls_get16(type));
			EXPECT_NE(TLS_EXT_RECORD_SIZE_LIMIT, ktls_get16(type));
			ktls_skip_vector(&r, 2);
			ASSERT_FALSE(r.bad);
			seen++;
		}
		/* The walk saw the whole list, not an empty one. */
		EXPECT_LT((size_t)5, seen);
	}
}

static void expect_refused(struct __test_metadata *_metadata,
			   const char *groups, const char *reason)
{
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.groups = groups,
	};
	struct ktls_ctx *ctx = NULL;

	EXPECT_EQ(-EINVAL, ktls_ctx_new(&config, &ctx));
	EXPECT_STREQ(reason, ktls_reason());
	EXPECT_EQ(NULL, ctx);
}

TEST(invalid_groups_are_refused_by_name)
{
	expect_refused(_metadata, "X25519:Kyber768",
		       "group 'Kyber768' is not supported (use X25519MLKEM768, SecP256r1MLKEM768, X25519, P-256 or P-384)");
	/* Not a standard codepoint we offer, though WolfSSL knows it. */
	expect_refused(_metadata, "ML_KEM_768",
		       "group 'ML_KEM_768' is not supported (use X25519MLKEM768, SecP256r1MLKEM768, X25519, P-256 or P-384)");
	expect_refused(_metadata, "X25519MLKEM768:X25519MLKEM768",
		       "group 'X25519MLKEM768' is listed twice");
	expect_refused(_metadata, "", "no group configured");
}

TEST_HARNESS_MAIN
