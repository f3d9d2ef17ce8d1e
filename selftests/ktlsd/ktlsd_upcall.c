// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel's handshake upcall served by the real ktlsd: the test
 * consumer module (kmod/test_consumer.c) asks for a handshake on a kernel
 * socket, ktlsd (a child process, [upcall] enable = yes) accepts it and
 * runs the handshake in its event loops, and a libktls peer at the other
 * end of the TCP connection echoes what the consumer sends through kernel
 * TLS. On 6.1 the family comes from ktlsd_handshake.ko, on 6.12 and the
 * newest kernel from the kernel.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <keyutils.h>

#include "kselftest_harness.h"
#include "test_config.h"
#include "test_consumer.h"
#include "test_keys.h"
#include "lib/daemon.h"

#define DATA_LEN (64u * 1024)
#define NR_CONCURRENT 100
/*
 * How long a line ktlsd logs may take to appear: seconds, since emulated
 * CPUs on a loaded host stall; a passing test never waits it out.
 */
#define LOG_WAIT_MS 20000

/* The SHA-256 of what the consumer sends: its fixed pattern. */
static void consumer_digest(size_t len, char out[65])
{
	uint8_t *buf = malloc(len), digest[DIGEST_LEN];

	for (size_t i = 0; buf && i < len; i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 12));
	if (!buf || sha256(buf, len, digest)) {
		out[0] = '\0';
		free(buf);
		return;
	}
	free(buf);
	for (int i = 0; i < DIGEST_LEN; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
}

/*
 * The libktls peer of one connection: handshake, kernel TLS, then echo
 * DATA_LEN bytes back and wait for the consumer's close.
 */
struct echo {
	pthread_t thread;
	enum ktls_role role;
	int fd;			/* accepted or connected socket, or -1 */
	int lfd;		/* server: the listener to accept from */
	int port;		/* client: where to connect */
	const struct ktls_config *cfg;	/* NULL: the test PKI's defaults */
	/*
	 * Server: a connection that closes before its handshake began was
	 * a consumer job whose submit the kernel refused: take the next.
	 */
	bool skip_refused;
	int ret;
	char reason[256];
};

/* The peer closed without sending a byte (wait for the first one). */
static bool closed_unused(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char byte;

	if (poll(&pfd, 1, 60000) != 1)
		return false;
	return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static void *echo_main(void *arg)
{
	struct echo *e = arg;
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx = NULL;
	uint8_t *buf = malloc(DATA_LEN);
	size_t got = 0;
	ssize_t n = 0;

	if (e->role == KTLS_ROLE_SERVER) {
		e->fd = accept4(e->lfd, NULL, NULL, SOCK_CLOEXEC);
		e->ret = e->fd < 0 ? -errno : 0;
		while (!e->ret && e->skip_refused && closed_unused(e->fd)) {
			close(e->fd);
			e->fd = accept4(e->lfd, NULL, NULL, SOCK_CLOEXEC);
			e->ret = e->fd < 0 ? -errno : 0;
		}
	} else {
		e->fd = consumer_peer_connect(e->port);
		e->ret = e->fd < 0 ? e->fd : 0;
	}
	if (!e->ret && !buf)
		e->ret = -ENOMEM;
	if (!e->ret && !e->cfg) {
		e->ret = test_handshake(e->role, e->fd, KTLS_TX | KTLS_RX,
					&session);
	} else if (!e->ret) {
		e->ret = ktls_ctx_new(e->cfg, &ctx);
		if (!e->ret)
			e->ret = ktls_handshake(ctx, e->fd, &session);
		if (!e->ret)
			e->ret = ktls_install(session, KTLS_TX | KTLS_RX);
	}
	while (!e->ret && got < DATA_LEN) {
		n = ktls_recv(session, buf + got, DATA_LEN - got);
		if (n <= 0)
			e->ret = n ? (int)n : -EPROTO;
		else
			got += (size_t)n;
	}
	for (size_t off = 0; !e->ret && off < DATA_LEN; off += (size_t)n) {
		n = ktls_send(session, buf + off, DATA_LEN - off);
		if (n < 0)
			e->ret = (int)n;
	}
	/* Until the consumer's close_notify: nothing in flight is lost. */
	while (!e->ret && (n = ktls_recv(session, buf, KTLS_RECV_MIN)) > 0)
		;
	if (e->ret)
		snprintf(e->reason, sizeof(e->reason), "%s", ktls_reason());
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	if (e->fd >= 0)
		close(e->fd);
	free(buf);
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The "inuse" count of TCP sockets in /proc/net/sockstat. */
static int tcp_inuse(void)
{
	char line[256];
	int inuse = -1;
	FILE *f = fopen("/proc/net/sockstat", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "TCP: inuse %d", &inuse) == 1)
			break;
	if (f)
		fclose(f);
	return inuse;
}

/* Wait up to @ms for TCP inuse to come back to @want. */
static int wait_tcp_inuse(int want, int ms)
{
	int64_t deadline = now_ms() + ms;
	int n;

	while ((n = tcp_inuse()) > want && now_ms() < deadline)
		usleep(20000);
	return n;
}

/* The session keyring: ktlsd, our child, shares it. */
static int32_t add_file_key(const char *desc, const char *path)
{
	return test_file_key(desc, path, KEY_SPEC_SESSION_KEYRING);
}

/* [upcall] with the test PKI: the server identity and the trust store. */
static int start_ktlsd(struct daemon *d, bool with_identity,
		       const char *verify_client, bool client_identity,
		       const char *more)
{
	char client_cert[PATH_MAX], client_key[PATH_MAX];
	char ca[PATH_MAX];
	struct test_pki pki;
	char extra[4096];
	int ret;

	test_pki(&pki);
	snprintf(extra, sizeof(extra),
		 "\n[upcall]\nenable = yes\ntrust_store = %s\n"
		 "handshake_timeout = 20s\n",
		 pki.ca);
	if (with_identity)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 "certificate = %s\nprivate_key = %s\n", pki.cert,
			 pki.key);
	test_pki_file("ca.pem", ca, sizeof(ca));
	if (verify_client)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 "verify_client = %s\nclient_trust_store = %s\n",
			 verify_client, ca);
	test_pki_file("client.pem", client_cert, sizeof(client_cert));
	test_pki_file("client.key", client_key, sizeof(client_key));
	if (client_identity)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 "client_certificate = %s\nclient_private_key = %s\n",
			 client_cert, client_key);
	if (more)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 "%s", more);
	ret = daemon_init(d);
	if (!ret)
		ret = daemon_write_config(d, "20s", extra);
	if (!ret)
		ret = daemon_start(d);
	if (!ret)
		ret = daemon_wait_log(d, "kernel upcalls on", LOG_WAIT_MS);
	return ret;
}

FIXTURE(upcall)
{
	struct daemon d;
	struct echo echo;
	int lfd, port;
	char log[8192];
};

/* The harness's name for the fixture's data, for the helpers below. */
#define upcall_data_t FIXTURE_DATA(upcall)

/*
 * Start ktlsd for this test: [upcall] with the server identity from files
 * if @identity, with verify_client = @verify_client (NULL: not set).
 */
static void start_daemon(struct __test_metadata *_metadata,
			 upcall_data_t *self, bool identity,
			 const char *verify_client)
{
	ASSERT_EQ(0, start_ktlsd(&self->d, identity, verify_client, true,
				 NULL)) {
		TH_LOG("ktlsd did not start serving upcalls; see %s",
		       self->d.log);
	}
}

FIXTURE_SETUP(upcall)
{
	int ret = load_modules();

	memset(&self->echo, 0, sizeof(self->echo));
	self->echo.fd = -1;
	self->lfd = -1;
	self->d.pid = -1;
	self->d.dir[0] = '\0';
	if (ret == 1)
		SKIP(return, NO_KMOD);
	ASSERT_EQ(0, ret);
	/*
	 * Our own session keyring, inherited by ktlsd: the keys a test adds
	 * there are possessed by ktlsd, so it may read them, as keys linked
	 * into its keyrings would be in a deployment.
	 */
	ASSERT_LT(0, keyctl_join_session_keyring(NULL));
}

FIXTURE_TEARDOWN(upcall)
{
	if (self->lfd >= 0)
		close(self->lfd);
	if (self->d.pid > 0)
		kill(self->d.pid, SIGCONT);
	daemon_cleanup(&self->d);
}

static void read_log(const struct daemon *d, char *buf, size_t len)
{
	int fd = open(d->log, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/*
 * The consumer's job ("client" or "server" @auth @opts) against a libktls
 * echo peer (@peer_cfg, or the test PKI's defaults), to its end: 0, or
 * -errno if the job could not run (@res has the consumer's result).
 */
static int consumer_with_peer(upcall_data_t *self, bool consumer_server,
			      const char *auth, const char *opts,
			      const struct ktls_config *peer_cfg,
			      struct consumer_result *res)
{
	char cmd[256];
	int ret;

	memset(&self->echo, 0, sizeof(self->echo));
	self->echo.fd = -1;
	self->echo.cfg = peer_cfg;
	if (consumer_server) {
		self->echo.role = KTLS_ROLE_CLIENT;
		self->echo.port = 20000 + getpid() % 20000;
		snprintf(cmd, sizeof(cmd),
			 "server 127.0.0.1 %d auth=%s bytes=%u timeout=20000%s",
			 self->echo.port, auth, DATA_LEN, opts);
	} else {
		self->echo.role = KTLS_ROLE_SERVER;
		if (self->lfd < 0)
			self->lfd = consumer_peer_listen(&self->port, 8);
		if (self->lfd < 0)
			return self->lfd;
		snprintf(cmd, sizeof(cmd),
			 "client 127.0.0.1 %d auth=%s bytes=%u timeout=20000%s",
			 self->port, auth, DATA_LEN, opts);
	}
	self->echo.lfd = self->lfd;
	ret = -pthread_create(&self->echo.thread, NULL, echo_main, &self->echo);
	if (ret)
		return ret;
	ret = consumer_run(cmd, res);
	/* No consumer connection will come: wake the peer's accept. */
	if (ret && !consumer_server)
		shutdown(self->lfd, SHUT_RDWR);
	pthread_join(self->echo.thread, NULL);
	return ret;
}

/*
 * One consumer job through ktlsd with a libktls echo peer (@peer_cfg, or
 * the test PKI's defaults): "client" or "server" @auth @opts.
 */
static void run_data(struct __test_metadata *_metadata,
		     upcall_data_t *self, bool consumer_server,
		     const char *auth, const char *opts,
		     const struct ktls_config *peer_cfg,
		     struct consumer_result *res)
{
	long long tx_before = 0, tx_after = 0;
	char want[65], done[128];

	ASSERT_EQ(0, tls_stat("TlsTxSw", &tx_before));
	ASSERT_EQ(0, consumer_with_peer(self, consumer_server, auth, opts,
					peer_cfg, res));
	snprintf(done, sizeof(done), "upcall: %s %s handshake (peer %s) done",
		 consumer_server ? "server" : "client",
		 strcmp(auth, "anon") ? auth : "unauth",
		 strstr(opts, "peername=localhost") ? "localhost" : "-");
	ASSERT_EQ(0, res->status) {
		read_log(&self->d, self->log, sizeof(self->log));
		TH_LOG("consumer stopped at %s; ktlsd's log:\n%s", res->stage,
		       self->log);
	}
	ASSERT_EQ(0, self->echo.ret) {
		TH_LOG("peer: %s", self->echo.reason);
	}
	EXPECT_STREQ("ok", res->stage);
	EXPECT_EQ(DATA_LEN, res->sent);
	EXPECT_EQ(DATA_LEN, res->received);
	consumer_digest(DATA_LEN, want);
	EXPECT_STREQ(want, res->tx);
	EXPECT_STREQ(want, res->rx);
	/* The consumer's socket and the peer's: both in kernel TLS. */
	ASSERT_EQ(0, tls_stat("TlsTxSw", &tx_after));
	EXPECT_LE(tx_before + 2, tx_after);
	EXPECT_EQ(0, daemon_wait_log(&self->d, done, LOG_WAIT_MS)) {
		TH_LOG("%s", done);
	}
}

/* REMOTE_AUTH: a key ktlsd made for the verified peer certificate. */
static void expect_peer_key(struct __test_metadata *_metadata, int32_t serial,
			    const char *subject_part)
{
	char *desc = NULL;

	ASSERT_LT(0, serial);
	ASSERT_LT(0, keyctl_describe_alloc(serial, &desc));
	EXPECT_EQ(0, strncmp(desc, "user;", 5)) TH_LOG("%s", desc);
	EXPECT_NE(NULL, strstr(desc, ";ktlsd:x509:")) TH_LOG("%s", desc);
	EXPECT_NE(NULL, strstr(desc, subject_part)) TH_LOG("%s", desc);
	free(desc);
}

/* Client, no certificate of its own: ktlsd verifies the server. */
TEST_F_TIMEOUT(upcall, client_anon_data, 120)
{
	struct consumer_result res;

	start_daemon(_metadata, self, true, NULL);
	run_data(_metadata, self, false, "anon", " peername=localhost", NULL,
		 &res);
	expect_peer_key(_metadata, res.peerid, "localhost");
}

/* Server with ktlsd's configured certificate and key. */
TEST_F_TIMEOUT(upcall, server_x509_data, 120)
{
	struct consumer_result res;

	start_daemon(_metadata, self, true, NULL);
	run_data(_metadata, self, true, "x509", "", NULL, &res);
	/* No client certificate asked for: nobody to report. */
	EXPECT_EQ(0, res.peerid);
}

/* Server with key serials only: ktlsd has no files to fall back on. */
TEST_F_TIMEOUT(upcall, server_x509_key_serials, 120)
{
	struct consumer_result res;
	struct test_pki pki;
	int32_t cert, key;
	char opts[64];

	/* No identity in files: the keys must be what ktlsd uses. */
	start_daemon(_metadata, self, false, NULL);
	test_pki(&pki);
	cert = add_file_key("ktlsd-upcall-test-cert", pki.cert);
	key = add_file_key("ktlsd-upcall-test-key", pki.key);
	ASSERT_LT(0, cert);
	ASSERT_LT(0, key);
	snprintf(opts, sizeof(opts), " cert=%d key=%d", cert, key);
	run_data(_metadata, self, true, "x509", opts, NULL, &res);
	keyctl_invalidate(cert);
	keyctl_invalidate(key);
}

/* Mutual TLS, client side: ktlsd presents the certificate of the serials. */
TEST_F_TIMEOUT(upcall, client_x509_mtls_data, 120)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], opts[96];
	struct consumer_result res;
	struct ktls_config peer = { .role = KTLS_ROLE_SERVER,
				    .verify_client = true };
	struct test_pki pki;
	int32_t cert_key, priv_key;

	start_daemon(_metadata, self, true, NULL);
	test_pki(&pki);
	test_pki_file("client.pem", cert, sizeof(cert));
	test_pki_file("client.key", key, sizeof(key));
	test_pki_file("ca.pem", ca, sizeof(ca));
	peer.cert_file = pki.cert;
	peer.key_file = pki.key;
	peer.ca_file = ca;
	cert_key = add_file_key("ktlsd-upcall-client-cert", cert);
	priv_key = add_file_key("ktlsd-upcall-client-key", key);
	ASSERT_LT(0, cert_key);
	ASSERT_LT(0, priv_key);
	snprintf(opts, sizeof(opts), " peername=localhost cert=%d key=%d",
		 cert_key, priv_key);
	/* The peer requires a client certificate: success proves it went. */
	run_data(_metadata, self, false, "x509", opts, &peer, &res);
	expect_peer_key(_metadata, res.peerid, "localhost");
	keyctl_invalidate(cert_key);
	keyctl_invalidate(priv_key);
}

/* Mutual TLS, server side: ktlsd requires and reports the client's. */
TEST_F_TIMEOUT(upcall, server_x509_verify_client, 120)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	struct consumer_result res;
	struct ktls_config peer = { .role = KTLS_ROLE_CLIENT,
				    .server_name = "localhost" };

	start_daemon(_metadata, self, true, "yes");
	test_pki_file("client.pem", cert, sizeof(cert));
	test_pki_file("client.key", key, sizeof(key));
	test_pki_file("ca.pem", ca, sizeof(ca));
	peer.cert_file = cert;
	peer.key_file = key;
	peer.ca_file = ca;
	run_data(_metadata, self, true, "x509", "", &peer, &res);
	/* The client's certificate, as a key (its subject names a client). */
	expect_peer_key(_metadata, res.peerid, "CN=");
	EXPECT_NE(0, strcmp("", res.tx));
}

/*
 * verify_client = optional, as tlshd serves: one daemon lets in a client
 * without a certificate (no REMOTE_AUTH) and reports one with (xprtsec=tls
 * and xprtsec=mtls exports on one NFS server).
 */
TEST_F_TIMEOUT(upcall, server_x509_client_cert_optional, 180)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	struct consumer_result res;
	struct ktls_config peer = { .role = KTLS_ROLE_CLIENT,
				    .server_name = "localhost" };

	start_daemon(_metadata, self, true, "optional");
	test_pki_file("ca.pem", ca, sizeof(ca));
	peer.ca_file = ca;
	run_data(_metadata, self, true, "x509", "", &peer, &res);
	EXPECT_EQ(0, res.peerid);
	test_pki_file("client.pem", cert, sizeof(cert));
	test_pki_file("client.key", key, sizeof(key));
	peer.cert_file = cert;
	peer.key_file = key;
	run_data(_metadata, self, true, "x509", "", &peer, &res);
	expect_peer_key(_metadata, res.peerid, "CN=");
}

/*
 * An anonymous and then an x509 client request for the same server name,
 * neither with key serials: each gets its own kind of handshake (the
 * second presents [upcall]'s client certificate, which the peer demands).
 */
TEST_F_TIMEOUT(upcall, client_anon_then_x509_from_files, 180)
{
	char ca[PATH_MAX];
	struct consumer_result res;
	struct ktls_config peer = { .role = KTLS_ROLE_SERVER,
				    .verify_client = true };
	struct test_pki pki;

	start_daemon(_metadata, self, true, NULL);
	run_data(_metadata, self, false, "anon", " peername=localhost", NULL,
		 &res);
	test_pki(&pki);
	test_pki_file("ca.pem", ca, sizeof(ca));
	peer.cert_file = pki.cert;
	peer.key_file = pki.key;
	peer.ca_file = ca;
	run_data(_metadata, self, false, "x509", " peername=localhost", &peer,
		 &res);
	expect_peer_key(_metadata, res.peerid, "localhost");
}

/* TLS 1.3 external PSK, both roles: the key serial the kernel names. */
TEST_F_TIMEOUT(upcall, psk_both_roles, 180)
{
	static const uint8_t secret[32] = "ktlsd upcall test PSK, 32 bytes";
	struct ktls_config peer = { .psk_identity = "ktlsd-upcall-test-psk",
				    .psk_key = secret,
				    .psk_key_len = sizeof(secret),
				    .min_version = KTLS_TLS_1_3 };
	struct consumer_result res;
	int32_t psk;
	char opts[64];

	start_daemon(_metadata, self, true, NULL);
	/* The key's description is the PSK identity. */
	psk = add_key("user", peer.psk_identity, secret, sizeof(secret),
		      KEY_SPEC_SESSION_KEYRING);
	ASSERT_LT(0, psk);
	snprintf(opts, sizeof(opts), " peerid=%d", psk);
	peer.role = KTLS_ROLE_SERVER;
	run_data(_metadata, self, false, "psk", opts, &peer, &res);
	/* REMOTE_AUTH: the PSK both ends proved they hold. */
	EXPECT_EQ(psk, res.peerid);
	close(self->lfd);
	self->lfd = -1;
	peer.role = KTLS_ROLE_CLIENT;
	run_data(_metadata, self, true, "psk", opts, &peer, &res);
	EXPECT_EQ(psk, res.peerid);
	keyctl_invalidate(psk);
}

/*
 * Two servers with one subject (CN=localhost, different keys): each
 * handshake gets its own REMOTE_AUTH key, and every such key expires.
 */
TEST_F_TIMEOUT(upcall, peer_keys_per_handshake_expire, 180)
{
	char rsa_cert[PATH_MAX], rsa_key[PATH_MAX], timeout[16];
	struct consumer_result first, second;
	struct ktls_config peer = { .role = KTLS_ROLE_SERVER };

	start_daemon(_metadata, self, true, NULL);
	run_data(_metadata, self, false, "anon", " peername=localhost", NULL,
		 &first);
	expect_peer_key(_metadata, first.peerid, "localhost");
	test_pki_file("server-rsa.pem", rsa_cert, sizeof(rsa_cert));
	test_pki_file("server-rsa.key", rsa_key, sizeof(rsa_key));
	peer.cert_file = rsa_cert;
	peer.key_file = rsa_key;
	run_data(_metadata, self, false, "anon", " peername=localhost", &peer,
		 &second);
	expect_peer_key(_metadata, second.peerid, "localhost");
	EXPECT_NE(first.peerid, second.peerid);
	/* "perm" in /proc/keys would mean it never expires. */
	ASSERT_EQ(0, test_proc_keys_field(first.peerid, 3, timeout,
					  sizeof(timeout)));
	EXPECT_STRNE("perm", timeout);
	ASSERT_EQ(0, test_proc_keys_field(second.peerid, 3, timeout,
					  sizeof(timeout)));
	EXPECT_STRNE("perm", timeout);
}

/* ktlsd's process keyring serial, from its start-up line. */
static int32_t daemon_process_keyring(upcall_data_t *self)
{
	const char *at;
	int32_t serial = -1;

	read_log(&self->d, self->log, sizeof(self->log));
	at = strstr(self->log, "upcall: process keyring ");
	if (at)
		sscanf(at, "upcall: process keyring %d", &serial);
	return serial;
}

/*
 * A request's keyring is linked into ktlsd's process keyring for its
 * handshake only: after three requests, each with its own keyring, the
 * process keyring holds what it held before.
 */
TEST_F_TIMEOUT(upcall, request_keyrings_unlinked_after_done, 240)
{
	struct consumer_result res;
	struct test_pki pki;
	int32_t process, ring, cert, key;
	int before;
	char name[64], opts[96];

	start_daemon(_metadata, self, false, NULL);
	process = daemon_process_keyring(self);
	ASSERT_LT(0, process) TH_LOG("no process keyring line:\n%s", self->log);
	before = test_keyring_size(process);
	ASSERT_LE(0, before);
	test_pki(&pki);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "ktlsd-upcall-test-ring-%d", i);
		ring = add_key("keyring", name, NULL, 0,
			       KEY_SPEC_SESSION_KEYRING);
		ASSERT_LT(0, ring);
		cert = test_file_key("ktlsd-upcall-ring-cert", pki.cert, ring);
		key = test_file_key("ktlsd-upcall-ring-key", pki.key, ring);
		ASSERT_LT(0, cert);
		ASSERT_LT(0, key);
		snprintf(opts, sizeof(opts), " keyring=%d cert=%d key=%d", ring,
			 cert, key);
		run_data(_metadata, self, true, "x509", opts, NULL, &res);
		EXPECT_EQ(before, test_keyring_size(process)) {
			FILE *f = fopen("/proc/keys", "re");
			char line[512];

			TH_LOG("after request %d, /proc/keys:", i + 1);
			while (f && fgets(line, sizeof(line), f))
				TH_LOG("%s", line);
			if (f)
				fclose(f);
		}
		keyctl_invalidate(ring);
	}
}

/* Connects to the consumer's listening port and holds the socket. */
struct connector {
	pthread_t thread;
	int port;
	int fd;
};

static void *connector_main(void *arg)
{
	struct connector *c = arg;

	c->fd = consumer_peer_connect(c->port);
	return NULL;
}

/*
 * A request ktlsd must refuse: the consumer is a server (@server, a plain
 * TCP client connects) or a client of a listener that never answers. The
 * result must come from ktlsd's DONE, well before the consumer's timeout.
 */
static void run_refused(struct __test_metadata *_metadata,
			upcall_data_t *self, bool server,
			const char *opts, struct consumer_result *res)
{
	struct connector c = { .fd = -1 };
	int64_t t0 = now_ms();
	char cmd[256];

	if (server) {
		c.port = 20000 + (getpid() + 7) % 20000;
		snprintf(cmd, sizeof(cmd), "server 127.0.0.1 %d timeout=20000 %s",
			 c.port, opts);
		ASSERT_EQ(0, pthread_create(&c.thread, NULL, connector_main,
					    &c));
	} else {
		self->lfd = consumer_peer_listen(&self->port, 8);
		ASSERT_LE(0, self->lfd);
		snprintf(cmd, sizeof(cmd), "client 127.0.0.1 %d timeout=20000 %s",
			 self->port, opts);
	}
	ASSERT_EQ(0, consumer_run(cmd, res));
	if (server) {
		pthread_join(c.thread, NULL);
		if (c.fd >= 0)
			close(c.fd);
	}
	EXPECT_STREQ("handshake", res->stage);
	EXPECT_GT(15000, now_ms() - t0);
}

/* ktlsd logs after DONE: wait for the line, then show the log if absent. */
#define EXPECT_LOG(text)						\
	do {								\
		EXPECT_EQ(0, daemon_wait_log(&self->d, text, LOG_WAIT_MS)) { \
			read_log(&self->d, self->log, sizeof(self->log)); \
			TH_LOG("no \"%s\" in ktlsd's log:\n%s", text,	\
			       self->log);				\
		}							\
	} while (0)

/*
 * A consumer job whose TLS peer (@peer_cfg) ktlsd must refuse: the
 * consumer gets DONE with an error, the peer's handshake fails too, and
 * ktlsd's log says why.
 */
static void run_peer_refused(struct __test_metadata *_metadata,
			     upcall_data_t *self, bool consumer_server,
			     const char *opts, const struct ktls_config *peer_cfg,
			     struct consumer_result *res)
{
	ASSERT_EQ(0, consumer_with_peer(self, consumer_server,
					consumer_server ? "x509" : "anon",
					opts, peer_cfg, res));
	EXPECT_STREQ("handshake", res->stage);
	EXPECT_NE(0, self->echo.ret) TH_LOG("the peer's handshake succeeded");
}

/* [upcall] crl and client_crl: the CA's CRL, which revokes two of its own. */
static void start_daemon_crl(struct __test_metadata *_metadata,
			     upcall_data_t *self)
{
	char crl[PATH_MAX], more[2 * PATH_MAX + 32];

	test_pki_file("crl.pem", crl, sizeof(crl));
	snprintf(more, sizeof(more), "crl = %s\nclient_crl = %s\n", crl, crl);
	ASSERT_EQ(0, start_ktlsd(&self->d, true, "yes", true, more)) {
		TH_LOG("ktlsd did not start serving upcalls; see %s",
		       self->d.log);
	}
}

/* A libktls peer with the test PKI's NAME.pem and NAME.key. */
struct pki_peer {
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	struct ktls_config cfg;
};

/* A client trusts the CA and checks "localhost"; a server asks nothing. */
static void pki_peer(struct pki_peer *p, enum ktls_role role,
		     const char *name)
{
	char file[64];

	memset(p, 0, sizeof(*p));
	snprintf(file, sizeof(file), "%s.pem", name);
	test_pki_file(file, p->cert, sizeof(p->cert));
	snprintf(file, sizeof(file), "%s.key", name);
	test_pki_file(file, p->key, sizeof(p->key));
	test_pki_file("ca.pem", p->ca, sizeof(p->ca));
	p->cfg.role = role;
	p->cfg.cert_file = p->cert;
	p->cfg.key_file = p->key;
	if (role == KTLS_ROLE_CLIENT) {
		p->cfg.ca_file = p->ca;
		p->cfg.server_name = "localhost";
	}
}

/*
 * x509.crl for the kernel's handshakes (tlshd parity): ktlsd as the
 * server refuses a client whose certificate the CA revoked, and as the
 * client a server whose certificate it revoked, each with DONE
 * EKEYREJECTED and "certificate revoked" in its log; a good peer still
 * passes under the same CRL.
 */
TEST_F_TIMEOUT(upcall, crl_revoked_client_refused, 120)
{
	struct consumer_result res;
	struct pki_peer peer;

	start_daemon_crl(_metadata, self);
	pki_peer(&peer, KTLS_ROLE_CLIENT, "client-revoked");
	run_peer_refused(_metadata, self, true, "", &peer.cfg, &res);
	EXPECT_EQ(-EKEYREJECTED, res.status);
	EXPECT_LOG("certificate revoked");
	EXPECT_EQ(0, res.peerid);
}

TEST_F_TIMEOUT(upcall, crl_revoked_server_refused, 120)
{
	struct consumer_result res;
	struct pki_peer peer;

	start_daemon_crl(_metadata, self);
	pki_peer(&peer, KTLS_ROLE_SERVER, "server-revoked");
	run_peer_refused(_metadata, self, false, " peername=localhost",
			 &peer.cfg, &res);
	EXPECT_EQ(-EKEYREJECTED, res.status);
	EXPECT_LOG("certificate revoked");
	EXPECT_EQ(0, res.peerid);
}

TEST_F_TIMEOUT(upcall, crl_good_peers_pass, 180)
{
	struct consumer_result res;
	struct pki_peer peer;

	start_daemon_crl(_metadata, self);
	run_data(_metadata, self, false, "anon", " peername=localhost", NULL,
		 &res);
	expect_peer_key(_metadata, res.peerid, "localhost");
	pki_peer(&peer, KTLS_ROLE_CLIENT, "client");
	run_data(_metadata, self, true, "x509", "", &peer.cfg, &res);
	expect_peer_key(_metadata, res.peerid, "CN=");
}

/* Key material: the configured server identity is missing. */
TEST_F_TIMEOUT(upcall, server_without_identity_enokey, 60)
{
	struct consumer_result res;

	start_daemon(_metadata, self, false, NULL);
	run_refused(_metadata, self, true, "auth=x509", &res);
	EXPECT_EQ(-ENOKEY, res.status);
	EXPECT_LOG("failed, DONE ENOKEY: an x509 server handshake without key "
		   "serials needs a configured server certificate and private "
		   "key, and there is none");
}

/* A key serial that names no key. */
TEST_F_TIMEOUT(upcall, missing_key_serial_enokey, 60)
{
	struct consumer_result res;
	/* Serials are random positive 31-bit numbers: this one is unused. */
	int32_t none = 2147480000;
	char opts[64];

	start_daemon(_metadata, self, true, NULL);
	ASSERT_GT(0, keyctl_describe_alloc(none, &(char *){ NULL }));
	ASSERT_EQ(ENOKEY, errno);
	snprintf(opts, sizeof(opts), "auth=x509 cert=%d key=%d", none, none);
	run_refused(_metadata, self, true, opts, &res);
	EXPECT_EQ(-ENOKEY, res.status);
	EXPECT_LOG("failed, DONE ENOKEY: reading key 2147480000: Required key not available");
}

/* A key that is there but is no PEM certificate. */
TEST_F_TIMEOUT(upcall, unusable_key_ekeyrejected, 60)
{
	struct consumer_result res;
	int32_t junk;
	char opts[64];

	start_daemon(_metadata, self, true, NULL);
	junk = add_key("user", "ktlsd-upcall-junk", "not a certificate", 17,
		       KEY_SPEC_SESSION_KEYRING);
	ASSERT_LT(0, junk);
	snprintf(opts, sizeof(opts), "auth=x509 cert=%d key=%d", junk, junk);
	run_refused(_metadata, self, true, opts, &res);
	keyctl_invalidate(junk);
	EXPECT_EQ(-EKEYREJECTED, res.status);
	EXPECT_LOG("is neither PEM nor DER certificate");
}

/* A PSK libktls cannot use (shorter than 16 bytes): the key's fault. */
TEST_F_TIMEOUT(upcall, psk_too_short_ekeyrejected, 60)
{
	struct consumer_result res;
	int32_t psk;
	char opts[96];

	start_daemon(_metadata, self, true, NULL);
	psk = add_key("user", "ktlsd-upcall-short-psk", "8 bytes!", 8,
		      KEY_SPEC_SESSION_KEYRING);
	ASSERT_LT(0, psk);
	snprintf(opts, sizeof(opts), "auth=psk peerid=%d", psk);
	run_refused(_metadata, self, false, opts, &res);
	keyctl_invalidate(psk);
	EXPECT_EQ(-EKEYREJECTED, res.status);
	EXPECT_LOG("failed, DONE EKEYREJECTED: client handshake:");
}

/* A client must know whom to verify. */
TEST_F_TIMEOUT(upcall, client_without_peername_einval, 60)
{
	struct consumer_result res;

	start_daemon(_metadata, self, true, NULL);
	run_refused(_metadata, self, false, "auth=anon", &res);
	EXPECT_EQ(-EINVAL, res.status);
	EXPECT_LOG("DONE EINVAL: a client handshake needs the server's name to verify");
}

/* A consumer job in its own thread, for tests that act meanwhile. */
struct job {
	pthread_t thread;
	char cmd[256];
	bool retry_eagain;
	int retries;
	int ret;
	int64_t took_ms;
	struct consumer_result res;
};

static void *job_main(void *arg)
{
	struct job *j = arg;
	int64_t t0 = now_ms();

	j->ret = consumer_run(j->cmd, &j->res);
	/*
	 * The kernel refuses a submit (-EAGAIN) while a few requests wait
	 * for ACCEPT, however many are in progress; consumers retry, as
	 * NFS does.
	 */
	while (j->retry_eagain && !j->ret && j->res.status == -EAGAIN &&
	       !strcmp(j->res.stage, "submit") && j->retries < 1000) {
		/* Backing off: a storm of retries only slows everyone. */
		unsigned int ms = 10u << (j->retries < 5 ? j->retries : 5);

		j->retries++;
		usleep((ms + (unsigned int)rand() % ms) * 1000);
		j->ret = consumer_run(j->cmd, &j->res);
	}
	j->took_ms = now_ms() - t0;
	return NULL;
}

/* Start a client job against a listener that never answers. */
static void start_stuck_client(struct __test_metadata *_metadata,
			       upcall_data_t *self, struct job *j,
			       int timeout_ms)
{
	self->lfd = consumer_peer_listen(&self->port, 8);
	ASSERT_LE(0, self->lfd);
	snprintf(j->cmd, sizeof(j->cmd),
		 "client 127.0.0.1 %d auth=anon peername=localhost timeout=%d",
		 self->port, timeout_ms);
	ASSERT_EQ(0, pthread_create(&j->thread, NULL, job_main, j));
	/* ktlsd took it and sent its ClientHello. */
	ASSERT_EQ(0, daemon_wait_log(&self->d, "upcall: client unauth handshake requested",
				     LOG_WAIT_MS));
}

/* How many of @pid's open files are a memfd named @name. */
static int count_memfds(pid_t pid, const char *name)
{
	char dir[64], path[PATH_MAX], link[PATH_MAX], want[128];
	struct dirent *de;
	ssize_t n;
	int found = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	snprintf(want, sizeof(want), "/memfd:%s", name);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strncmp(link, want, strlen(want)))
			found++;
	}
	closedir(d);
	return found;
}

/*
 * A client request naming @name.pem and @name.key by key serial (@keys),
 * to a server that never answers: the handshake waits 3 s. Back once the
 * ClientHello has gone out.
 */
static void start_key_serial_client(struct __test_metadata *_metadata,
				    upcall_data_t *self, struct job *j,
				    const char *name, int32_t *keys)
{
	char cert[PATH_MAX], key[PATH_MAX];

	start_daemon(_metadata, self, true, NULL);
	snprintf(j->cmd, sizeof(j->cmd), "%s.pem", name);
	test_pki_file(j->cmd, cert, sizeof(cert));
	snprintf(j->cmd, sizeof(j->cmd), "%s.key", name);
	test_pki_file(j->cmd, key, sizeof(key));
	keys[0] = add_file_key("ktlsd-upcall-stuck-cert", cert);
	keys[1] = add_file_key("ktlsd-upcall-stuck-key", key);
	ASSERT_LT(0, keys[0]);
	ASSERT_LT(0, keys[1]);
	self->lfd = consumer_peer_listen(&self->port, 8);
	ASSERT_LE(0, self->lfd);
	snprintf(j->cmd, sizeof(j->cmd),
		 "client 127.0.0.1 %d auth=x509 peername=localhost cert=%d key=%d timeout=3000",
		 self->port, keys[0], keys[1]);
	ASSERT_EQ(0, pthread_create(&j->thread, NULL, job_main, j));
	ASSERT_EQ(0, daemon_wait_log(&self->d, "upcall: client x509 handshake requested",
				     LOG_WAIT_MS));
	/* Long enough for the ClientHello to go out; well inside 3 s. */
	usleep(500 * 1000);
}

/* Its end: the consumer's own timeout. */
static void end_key_serial_client(struct __test_metadata *_metadata,
				  struct job *j, const int32_t *keys)
{
	pthread_join(j->thread, NULL);
	ASSERT_EQ(0, j->ret);
	EXPECT_EQ(-ETIMEDOUT, j->res.status);
	keyctl_invalidate(keys[0]);
	keyctl_invalidate(keys[1]);
}

/*
 * The private key a request names by serial is never open as a memfd
 * while the handshake waits for its peer (it stays in the upcall broker:
 * key_serial_private_key_stays_in_broker).
 */
TEST_F_TIMEOUT(upcall, key_serial_memfd_closed_at_once, 120)
{
	int32_t keys[2];
	struct job j = {};

	start_key_serial_client(_metadata, self, &j, "client", keys);
	EXPECT_EQ(0, count_memfds(self->d.pid, "upcall-key"));
	end_key_serial_client(_metadata, &j, keys);
}

/*
 * A private key named by key serial stays in the upcall broker, which
 * signs for the worker: while the handshake waits for its peer, the key's
 * scalar is in the broker's memory and nowhere in the worker's.
 */
TEST_F_TIMEOUT(upcall, key_serial_private_key_stays_in_broker, 120)
{
	char key[PATH_MAX];
	uint8_t scalar[66];
	unsigned int len = sizeof(scalar);
	int32_t keys[2];
	struct job j = {};
	pid_t worker, broker;

	/* A key the configuration does not name: only the request brings it. */
	test_pki_file("client-unknownca.key", key, sizeof(key));
	ASSERT_EQ(0, ec_scalar(key, scalar, &len));
	start_key_serial_client(_metadata, self, &j, "client-unknownca", keys);
	worker = daemon_child(&self->d, "ktlsd-worker");
	broker = daemon_child(&self->d, "ktlsd-upcall");
	ASSERT_LT(0, worker);
	ASSERT_LT(0, broker);
	EXPECT_EQ(1, memory_holds(broker, scalar, len));
	EXPECT_EQ(0, memory_holds(worker, scalar, len));
	end_key_serial_client(_metadata, &j, keys);
}

static void *sigcont_later(void *arg)
{
	pid_t pid = *(pid_t *)arg;

	sleep(3);
	kill(pid, SIGCONT);
	return NULL;
}

/*
 * One request fails its ACCEPT (it names a keyring that does not exist:
 * the kernel gives it up with EIO); the request queued behind it, woken
 * by the same READY, is still taken and served.
 */
TEST_F_TIMEOUT(upcall, accept_error_next_request_served, 120)
{
	struct consumer_result res;
	struct job bad = {};
	pthread_t cont;
	int bad_lfd, bad_port;

	start_daemon(_metadata, self, true, NULL);
	bad_lfd = consumer_peer_listen(&bad_port, 8);
	ASSERT_LE(0, bad_lfd);
	/* Both queue while ktlsd is stopped: one wake-up for the two. */
	ASSERT_EQ(0, kill(self->d.pid, SIGSTOP));
	snprintf(bad.cmd, sizeof(bad.cmd),
		 "client 127.0.0.1 %d auth=anon peername=localhost keyring=2147480000 timeout=20000",
		 bad_port);
	ASSERT_EQ(0, pthread_create(&bad.thread, NULL, job_main, &bad));
	sleep(1);
	ASSERT_EQ(0, pthread_create(&cont, NULL, sigcont_later,
				    &self->d.pid));
	run_data(_metadata, self, false, "anon", " peername=localhost", NULL,
		 &res);
	pthread_join(cont, NULL);
	pthread_join(bad.thread, NULL);
	close(bad_lfd);
	ASSERT_EQ(0, bad.ret);
	EXPECT_EQ(-EIO, bad.res.status);
	EXPECT_LOG("request not accepted; the last: ACCEPT: Required key not available");
}

/* ktlsd stopped (SIGSTOP): the consumer's own timeout, then ktlsd goes on. */
TEST_F_TIMEOUT(upcall, stalled_daemon_etimedout, 120)
{
	struct consumer_result res;
	struct job j = {};
	pid_t worker;

	start_daemon(_metadata, self, true, NULL);
	/* The worker answers upcalls: it is the one that stalls. */
	worker = daemon_child(&self->d, "ktlsd-worker");
	ASSERT_LT(0, worker);
	ASSERT_EQ(0, kill(worker, SIGSTOP));
	self->lfd = consumer_peer_listen(&self->port, 8);
	ASSERT_LE(0, self->lfd);
	snprintf(j.cmd, sizeof(j.cmd),
		 "client 127.0.0.1 %d auth=anon peername=localhost timeout=1500",
		 self->port);
	job_main(&j);
	ASSERT_EQ(0, j.ret);
	EXPECT_EQ(-ETIMEDOUT, j.res.status);
	EXPECT_STREQ("handshake", j.res.stage);
	ASSERT_EQ(0, kill(worker, SIGCONT));
	/* The withdrawn request is gone; the next one is served. */
	close(self->lfd);
	self->lfd = -1;
	run_data(_metadata, self, false, "anon", " peername=localhost", NULL,
		 &res);
}

/* The worker killed mid-handshake: DONE EIO, and no socket left behind. */
TEST_F_TIMEOUT(upcall, killed_mid_handshake_no_leak, 120)
{
	int inuse_before = tcp_inuse(), inuse_after, status;
	struct job j = {};
	pid_t worker;

	start_daemon(_metadata, self, true, NULL);
	ASSERT_LE(0, inuse_before);
	start_stuck_client(_metadata, self, &j, 3000);
	/* The worker holds the request; the monitor then exits by itself. */
	worker = daemon_child(&self->d, "ktlsd-worker");
	ASSERT_LT(0, worker);
	ASSERT_EQ(0, kill(worker, SIGKILL));
	ASSERT_EQ(self->d.pid, waitpid(self->d.pid, &status, 0));
	EXPECT_EQ(1, WEXITSTATUS(status));
	self->d.pid = -1;
	pthread_join(j.thread, NULL);
	ASSERT_EQ(0, j.ret);
	/*
	 * The upcall broker outlives the worker and ends what it held at
	 * once: EIO, not the consumer's timeout.
	 */
	EXPECT_EQ(-EIO, j.res.status);
	EXPECT_STREQ("handshake", j.res.stage);
	/* The consumer's socket and our side of it close for good. */
	close(self->lfd);
	self->lfd = -1;
	inuse_after = wait_tcp_inuse(inuse_before, LOG_WAIT_MS);
	EXPECT_GE(inuse_before, inuse_after);
}

/* SIGTERM with a handshake in flight: DONE EIO at once, then exit 0. */
TEST_F_TIMEOUT(upcall, sigterm_done_eio, 120)
{
	struct job j = {};

	start_daemon(_metadata, self, true, NULL);
	start_stuck_client(_metadata, self, &j, 20000);
	EXPECT_EQ(0, daemon_stop(&self->d));
	pthread_join(j.thread, NULL);
	ASSERT_EQ(0, j.ret);
	EXPECT_EQ(-EIO, j.res.status);
	EXPECT_STREQ("handshake", j.res.stage);
	/* Not the consumer's 20 s timeout: ktlsd said it. */
	EXPECT_GT(15000, j.took_ms);
	read_log(&self->d, self->log, sizeof(self->log));
	EXPECT_LOG("failed, DONE EIO: ktlsd is shutting down");
}

/* Accepts NR_CONCURRENT connections, an echo thread for each. */
struct acceptor {
	pthread_t thread;
	int lfd;
	const struct ktls_config *cfg;
	struct echo echo[NR_CONCURRENT];
};

static void *acceptor_main(void *arg)
{
	struct acceptor *a = arg;

	for (int i = 0; i < NR_CONCURRENT; i++) {
		a->echo[i].role = KTLS_ROLE_SERVER;
		a->echo[i].skip_refused = true;
		a->echo[i].cfg = a->cfg;
		a->echo[i].lfd = a->lfd;
		a->echo[i].fd = -1;
		if (pthread_create(&a->echo[i].thread, NULL, echo_main,
				   &a->echo[i]))
			a->echo[i].ret = -EAGAIN;
	}
	for (int i = 0; i < NR_CONCURRENT; i++)
		if (a->echo[i].ret != -EAGAIN)
			pthread_join(a->echo[i].thread, NULL);
	return NULL;
}

/* 100 upcalls at once, all served by one ktlsd. */
TEST_F_TIMEOUT(upcall, concurrent_100, 600)
{
	static struct acceptor a;
	static struct job jobs[NR_CONCURRENT];
	struct ktls_config peer = { .role = KTLS_ROLE_SERVER,
				    .handshake_timeout_ms = 120000 };
	struct test_pki pki;
	char want[65];
	int ok = 0, retries = 0;

	start_daemon(_metadata, self, true, NULL);
	memset(&a, 0, sizeof(a));
	memset(jobs, 0, sizeof(jobs));
	/* 200 handshakes on two emulated CPUs: more than 10 s each, at worst. */
	test_pki(&pki);
	peer.cert_file = pki.cert;
	peer.key_file = pki.key;
	a.cfg = &peer;
	self->lfd = consumer_peer_listen(&self->port, NR_CONCURRENT + 28);
	ASSERT_LE(0, self->lfd);
	a.lfd = self->lfd;
	ASSERT_EQ(0, pthread_create(&a.thread, NULL, acceptor_main, &a));
	for (int i = 0; i < NR_CONCURRENT; i++) {
		snprintf(jobs[i].cmd, sizeof(jobs[i].cmd),
			 "client 127.0.0.1 %d auth=anon peername=localhost bytes=%u timeout=120000",
			 self->port, DATA_LEN);
		jobs[i].retry_eagain = true;
		ASSERT_EQ(0, pthread_create(&jobs[i].thread, NULL, job_main,
					    &jobs[i]));
	}
	for (int i = 0; i < NR_CONCURRENT; i++)
		pthread_join(jobs[i].thread, NULL);
	pthread_join(a.thread, NULL);
	consumer_digest(DATA_LEN, want);
	for (int i = 0; i < NR_CONCURRENT; i++) {
		struct job *j = &jobs[i];

		if (!j->ret && !j->res.status && !strcmp(j->res.tx, want) &&
		    !strcmp(j->res.rx, want))
			ok++;
		else
			TH_LOG("job %d: ret %d status %d stage %s", i, j->ret,
			       j->res.status, j->res.stage);
		EXPECT_EQ(0, a.echo[i].ret) TH_LOG("peer %d: %s", i,
						   a.echo[i].reason);
	}
	EXPECT_EQ(NR_CONCURRENT, ok);
	for (int i = 0; i < NR_CONCURRENT; i++)
		retries += jobs[i].retries;
	TH_LOG("%d submits refused with EAGAIN by the kernel's queue limit and retried",
	       retries);
}

TEST_HARNESS_MAIN
