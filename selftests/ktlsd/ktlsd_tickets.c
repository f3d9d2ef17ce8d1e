// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd's session tickets ([server] session_tickets = yes) are sealed and
 * opened by the key process: the worker, which parses every peer's bytes,
 * never holds a ticket key. Checked from outside: a returning client
 * resumes (TLS 1.3 and 1.2); the key that opens its ticket is in the key
 * process's memory and nowhere in the worker's or the monitor's; a reload
 * (a new key process, new keys) gives that client a full handshake; a
 * malformed ticket request ends the key process, and with it ktlsd.
 *
 * The client is plain WolfSSL. Without kernel TLS (natively) ktlsd runs
 * the handshake, sends its TLS 1.3 ticket and answers ENOENT at the
 * install: the client has resumed or not all the same. Runs natively and
 * in the VM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "ktls/handoff.h"
#include "lib/daemon.h"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>

#define NAME_LEN 16
#define IV_LEN 16
#define MAC_LEN 32
#define KEY_LEN 32
#define BAD_REQUEST \
	"key process: a length that is not the message's (80) from the worker: stopping"

struct client {
	WOLFSSL_CTX *ctx;
	WOLFSSL_SESSION *last;
	int fd;
	bool connected, resumed;
	uint8_t ticket[4096];	/* the last ticket, as it came */
	word32 ticket_len;
};

/*
 * A resumed TLS 1.3 connection gets no new ticket (libktls's tickets.c),
 * and a client keeps the session its ticket came with, as OpenSSL's do:
 * WolfSSL's session after a resumption carries the new connection's
 * resumption secret beside the old ticket, whose binder then fails.
 */
static void keep_new_ticket(struct client *c, WOLFSSL *ssl)
{
	uint8_t ticket[sizeof(c->ticket)];
	word32 len = sizeof(ticket);

	if (wolfSSL_get_SessionTicket(ssl, ticket, &len) != WOLFSSL_SUCCESS ||
	    !len || (len == c->ticket_len && !memcmp(ticket, c->ticket, len)))
		return;
	memcpy(c->ticket, ticket, len);
	c->ticket_len = len;
	wolfSSL_SESSION_free(c->last);
	c->last = wolfSSL_get1_session(ssl);
}

/* Connect, offering the last session's ticket; read until ktlsd is done. */
static int client_run(struct peer *peer)
{
	struct client *c = peer->arg;
	WOLFSSL *ssl = wolfSSL_new(c->ctx);
	uint8_t one;

	if (!ssl)
		return -ENOMEM;
	wolfSSL_set_fd(ssl, c->fd);
	wolfSSL_UseSessionTicket(ssl);
	if (c->last)
		wolfSSL_set_session(ssl, c->last);
	c->connected = wolfSSL_connect(ssl) == WOLFSSL_SUCCESS;
	if (c->connected) {
		/* The TLS 1.3 ticket, then our byte (kTLS) or the end. */
		wolfSSL_read(ssl, &one, 1);
		c->resumed = wolfSSL_session_reused(ssl);
		keep_new_ticket(c, ssl);
	}
	wolfSSL_free(ssl);
	return c->connected ? 0 : -EPROTO;
}

FIXTURE(tickets)
{
	struct daemon d;
	struct client c;
};

FIXTURE_VARIANT(tickets)
{
	int version;	/* WOLFSSL_TLSV1_2 or _3 */
};

FIXTURE_VARIANT_ADD(tickets, tls13)
{
	.version = WOLFSSL_TLSV1_3,
};

FIXTURE_VARIANT_ADD(tickets, tls12)
{
	.version = WOLFSSL_TLSV1_2,
};

FIXTURE_SETUP(tickets)
{
	char ca[PATH_MAX];

	memset(&self->c, 0, sizeof(self->c));
	test_pki_file("ca.pem", ca, sizeof(ca));
	wolfSSL_Init();
	self->c.ctx = wolfSSL_CTX_new(variant->version == WOLFSSL_TLSV1_3 ?
					      wolfTLSv1_3_client_method() :
					      wolfTLSv1_2_client_method());
	ASSERT_NE(NULL, self->c.ctx);
	ASSERT_EQ(WOLFSSL_SUCCESS,
		  wolfSSL_CTX_load_verify_locations(self->c.ctx, ca, NULL));
	ASSERT_EQ(0, daemon_init(&self->d));
	ASSERT_EQ(0, daemon_write_config_server(&self->d, "10s",
						"session_tickets = yes\n", NULL));
	ASSERT_EQ(0, daemon_start(&self->d)) TH_LOG("ktlsd did not start");
}

FIXTURE_TEARDOWN(tickets)
{
	unsetenv("KTLSD_SANDBOX_PROBE");
	unsetenv("KTLSD_TEST_DRAIN_DELAY_MS");
	wolfSSL_SESSION_free(self->c.last);
	wolfSSL_CTX_free(self->c.ctx);
	daemon_cleanup(&self->d);
}

/*
 * One connection through ktlsd's handoff: the handshake's answer (0 with
 * kTLS, -ENOENT natively), and whether the client resumed.
 */
static void connect_once(struct __test_metadata *_metadata,
			 struct daemon *d, struct client *c)
{
	static const struct ktls_handoff_request server_role = {
		.role = KTLS_ROLE_SERVER,
	};
	struct ktls_handoff_result result;
	struct peer thread;
	int server_fd, ret;

	ASSERT_EQ(0, tcp_pair(&c->fd, &server_fd));
	ASSERT_EQ(0, peer_start(&thread, client_run, c));
	ret = ktls_handoff(d->sock, server_fd, &server_role, &result);
	/* With kTLS the client reads a byte, else the end of the stream. */
	EXPECT_EQ(ret ? -ENOENT : 1, ret ? ret : write(server_fd, "k", 1)) {
		char cmd[PATH_MAX + 32];

		TH_LOG("%s", result.reason);
		snprintf(cmd, sizeof(cmd), "tail -n 30 %s >&2", d->log);
		if (system(cmd))
			TH_LOG("no log");
	}
	close(server_fd);
	EXPECT_EQ(0, peer_join(&thread)) TH_LOG("client: %s", thread.reason);
	close(c->fd);
	ASSERT_TRUE(c->connected);
}

/* A returning client resumes from the ticket ktlsd gave it. */
TEST_F(tickets, returning_client_resumes)
{
	connect_once(_metadata, &self->d, &self->c);
	EXPECT_FALSE(self->c.resumed);
	ASSERT_TRUE(wolfSSL_SESSION_has_ticket(self->c.last));
	connect_once(_metadata, &self->d, &self->c);
	EXPECT_TRUE(self->c.resumed);
	connect_once(_metadata, &self->d, &self->c);
	EXPECT_TRUE(self->c.resumed);
}

/* The fields of the ticket the client got (RFC 5077's layout, WolfSSL's). */
struct sealed {
	uint8_t ticket[4096];
	const uint8_t *name, *iv, *body, *mac;
	size_t body_len;
	const uint8_t *key;	/* found in memory: the key that opens it */
};

static int sealed_parse(const struct client *c, struct sealed *t)
{
	size_t len = c->ticket_len;

	if (len < NAME_LEN + IV_LEN + 2 + MAC_LEN || len > sizeof(t->ticket))
		return -EINVAL;
	memcpy(t->ticket, c->ticket, len);
	t->name = t->ticket;
	t->iv = t->ticket + NAME_LEN;
	t->body_len = (size_t)t->ticket[NAME_LEN + IV_LEN] << 8 |
		      t->ticket[NAME_LEN + IV_LEN + 1];
	t->body = t->iv + IV_LEN + 2;
	if (NAME_LEN + IV_LEN + 2 + t->body_len + MAC_LEN != len)
		return -EINVAL;
	t->mac = t->body + t->body_len;
	return 0;
}

/* Whether @key opens @t: ChaCha20-Poly1305, AAD name, iv, 32-bit length. */
static bool opens(const struct sealed *t, const uint8_t *key)
{
	uint8_t aad[NAME_LEN + IV_LEN + 4], plain[4096];
	bool ok;

	memcpy(aad, t->name, NAME_LEN);
	memcpy(aad + NAME_LEN, t->iv, IV_LEN);
	aad[NAME_LEN + IV_LEN] = (uint8_t)(t->body_len >> 24);
	aad[NAME_LEN + IV_LEN + 1] = (uint8_t)(t->body_len >> 16);
	aad[NAME_LEN + IV_LEN + 2] = (uint8_t)(t->body_len >> 8);
	aad[NAME_LEN + IV_LEN + 3] = (uint8_t)t->body_len;
	ok = !wc_ChaCha20Poly1305_Decrypt(key, t->iv, aad, sizeof(aad),
					  t->body, (word32)t->body_len, t->mac,
					  plain);
	explicit_bzero(plain, sizeof(plain));
	return ok;
}

static uint8_t found_key[KEY_LEN];

/*
 * The key beside a copy of the ticket's key name: every 8-byte aligned
 * 32-byte window up to 64 bytes either side of it is tried.
 */
static int find_opening_key(const uint8_t *buf, size_t n, void *arg)
{
	struct sealed *t = arg;

	for (size_t i = 0; i + NAME_LEN <= n; i++) {
		if (memcmp(buf + i, t->name, NAME_LEN))
			continue;
		for (long off = -64; off <= 64; off += 8) {
			long at = (long)i + off;

			if (at < 0 || (size_t)at + KEY_LEN > n)
				continue;
			if (opens(t, buf + at)) {
				memcpy(found_key, buf + at, KEY_LEN);
				t->key = found_key;
				return 1;
			}
		}
	}
	return 0;
}

static int holds_key(const uint8_t *buf, size_t n, void *arg)
{
	for (size_t i = 0; i + KEY_LEN <= n; i++)
		if (!memcmp(buf + i, arg, KEY_LEN))
			return 1;
	return 0;
}

/*
 * The key that opens the client's ticket is in the key process; neither
 * the worker (which talks to peers) nor the monitor holds it.
 */
TEST_F(tickets, only_the_key_process_holds_the_ticket_key)
{
	struct sealed t;
	pid_t worker, keys;

	if (geteuid() != 0)
		SKIP(return, "needs root to read another uid's memory");
	connect_once(_metadata, &self->d, &self->c);
	ASSERT_EQ(0, sealed_parse(&self->c, &t)) TH_LOG("ticket of %u bytes", self->c.ticket_len);
	t.key = NULL;
	keys = daemon_child(&self->d, "ktlsd-keys");
	worker = daemon_child(&self->d, "ktlsd-worker");
	ASSERT_LT(0, keys);
	ASSERT_LT(0, worker);
	ASSERT_EQ(1, process_memory_scan(keys, find_opening_key, &t))
		TH_LOG("no key in the key process opens the ticket");
	EXPECT_EQ(0, process_memory_scan(worker, holds_key, found_key));
	EXPECT_EQ(0, process_memory_scan(self->d.pid, holds_key, found_key));
	explicit_bzero(found_key, sizeof(found_key));
}

/* A reload means new keys: the old ticket gets a full handshake. */
TEST_F(tickets, reload_refuses_the_old_ticket)
{
	connect_once(_metadata, &self->d, &self->c);
	ASSERT_TRUE(wolfSSL_SESSION_has_ticket(self->c.last));
	connect_once(_metadata, &self->d, &self->c);
	ASSERT_TRUE(self->c.resumed);
	ASSERT_EQ(0, kill(self->d.pid, SIGHUP));
	ASSERT_EQ(0, daemon_wait_log(&self->d, "reloaded (worker pid", 10000));
	connect_once(_metadata, &self->d, &self->c);
	EXPECT_FALSE(self->c.resumed);
	/* The new generation's ticket resumes on it. */
	connect_once(_metadata, &self->d, &self->c);
	EXPECT_TRUE(self->c.resumed);
}

/*
 * Once ktlsd logs "reloaded", every new connection meets the new
 * configuration, even when the old worker hears of the drain late
 * (KTLSD_TEST_DRAIN_DELAY_MS): the ticket from before the reload, offered
 * again and again, never resumes. Before the monitor waited for the old
 * worker to leave the listener, its idle loops took these connections.
 */
TEST_F(tickets, reload_waits_until_the_old_worker_stops_accepting)
{
	WOLFSSL_SESSION *before;

	daemon_stop(&self->d);
	setenv("KTLSD_TEST_DRAIN_DELAY_MS", "1000", 1);
	ASSERT_EQ(0, daemon_start(&self->d)) TH_LOG("ktlsd did not start");
	unsetenv("KTLSD_TEST_DRAIN_DELAY_MS");
	connect_once(_metadata, &self->d, &self->c);
	ASSERT_TRUE(wolfSSL_SESSION_has_ticket(self->c.last));
	before = wolfSSL_SESSION_dup(self->c.last);
	ASSERT_NE(NULL, before);
	ASSERT_EQ(0, kill(self->d.pid, SIGHUP));
	ASSERT_EQ(0, daemon_wait_log(&self->d, "reloaded (worker pid", 10000));
	for (int i = 0; i < 6; i++) {
		wolfSSL_SESSION_free(self->c.last);
		self->c.last = wolfSSL_SESSION_dup(before);
		memset(self->c.ticket, 0, sizeof(self->c.ticket));
		self->c.ticket_len = 0;
		connect_once(_metadata, &self->d, &self->c);
		EXPECT_FALSE(self->c.resumed)
			TH_LOG("connection %d after the reload resumed the old ticket",
			       i);
	}
	wolfSSL_SESSION_free(before);
}

/* A ticket request that lies about its length ends the key process. */
TEST_F(tickets, malformed_ticket_request_ends_the_key_process)
{
	const char *const args[] = { "-f", "-c", self->d.conf, NULL };
	char out[8192];

	if (variant->version != WOLFSSL_TLSV1_3)
		SKIP(return, "one version is enough");
	daemon_stop(&self->d);
	setenv("KTLSD_SANDBOX_PROBE", "ticket", 1);
	EXPECT_EQ(1, ktlsd_run_for(args, 20, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, BAD_REQUEST)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "exited with status 1: stopping ktlsd"))
		TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
