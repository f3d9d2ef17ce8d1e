// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Real handoffs through ktlsd, in the VM: ktlsd as the TLS server and as
 * the TLS client, each against an in-process libktls peer, then 1 MiB
 * each way through kernel TLS (SHA-256 checked, /proc/net/tls_stat moved);
 * ALPN agreed and reported; an application running as nobody, which cannot
 * read the key, still gets kernel TLS; a handshake in flight across a
 * SIGHUP finishes on the old configuration while new ones use the new.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_config.h"
#include "ktls/handoff.h"
#include "lib/daemon.h"

#define NOBODY 65534

FIXTURE(tls)
{
	struct daemon d;
	int client_fd, server_fd;
};

FIXTURE_SETUP(tls)
{
	int ret;

	self->client_fd = -1;
	self->server_fd = -1;
	ret = ktls_tcp_pair(&self->client_fd, &self->server_fd);
	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, daemon_init(&self->d));
	/* Peers under emulation can take seconds to send their hello. */
	ASSERT_EQ(0, daemon_write_config(&self->d, "20s",
					 "[handoff]\nfirst_byte_timeout = 20s\n"));
	ASSERT_EQ(0, daemon_start(&self->d)) TH_LOG("ktlsd did not start");
}

FIXTURE_TEARDOWN(tls)
{
	if (self->client_fd >= 0)
		close(self->client_fd);
	if (self->server_fd >= 0)
		close(self->server_fd);
	daemon_cleanup(&self->d);
}

struct peer_job {
	enum ktls_role role;
	int fd;
	const char *alpn;
	const char *cert;	/* test PKI name of the peer's certificate */
	char agreed[64];	/* ALPN the peer saw */
	int delay_ms;		/* stall before starting */
	size_t len;		/* bytes each way after the switch */
};

/* A libktls peer: handshake (with ALPN), kTLS both ways, then duplex. */
static int run_peer(struct peer *peer)
{
	struct peer_job *job = peer->arg;
	struct ktls_config config = {
		.role = job->role,
		.server_name = "localhost",
		.handshake_timeout_ms = 20000,
	};
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], name[64];
	struct ktls_session *session = NULL;
	struct pollfd pfd = { .fd = job->fd };
	struct ktls_ctx *ctx;
	struct stream stream;
	int ret;

	test_pki_file("ca.pem", ca, sizeof(ca));
	snprintf(name, sizeof(name), "%s.pem", job->cert ? job->cert : "server");
	test_pki_file(name, cert, sizeof(cert));
	snprintf(name, sizeof(name), "%s.key", job->cert ? job->cert : "server");
	test_pki_file(name, key, sizeof(key));
	config.ca_file = ca;
	config.cert_file = cert;
	config.key_file = key;
	if (job->delay_ms)
		usleep(job->delay_ms * 1000);
	ret = ktls_ctx_new(&config, &ctx);
	if (ret)
		goto out;
	ret = ktls_handshake_start(ctx, job->fd, &session);
	if (!ret && job->alpn)
		ret = ktls_session_set_alpn(session, job->alpn);
	while (!ret && (ret = ktls_handshake_step(session)) == -EAGAIN) {
		pfd.events = ktls_session_wants(session);
		ret = poll(&pfd, 1, 20000) == 1 ? 0 : -ETIMEDOUT;
	}
	if (!ret) {
		snprintf(job->agreed, sizeof(job->agreed), "%s",
			 ktls_session_alpn(session));
		ret = ktls_install(session, KTLS_TX | KTLS_RX);
	}
	if (!ret && job->len) {
		fd_stream(&stream, &job->fd);
		ret = stream_duplex(&stream, job->len, peer->sent,
				    peer->received);
		if (ret)
			shutdown(job->fd, SHUT_RDWR);
	}
	ktls_session_free(session);
	ktls_ctx_free(ctx);
out:
	if (ret)
		snprintf(peer->reason, sizeof(peer->reason), "%s",
			 ktls_reason());
	return ret;
}

static int tls_stat_sum(long long *tx, long long *rx)
{
	int ret = tls_stat("TlsTxSw", tx);

	return ret ? ret : tls_stat("TlsRxSw", rx);
}

/* ktlsd takes @role on @fd; the peer the other role on @peer_fd. */
static void handoff_and_duplex(struct __test_metadata *_metadata,
			       struct daemon *d, enum ktls_role role, int fd,
			       int peer_fd)
{
	struct ktls_handoff_request request = {
		.role = role,
		.server_name = "localhost",
		.alpn = role == KTLS_ROLE_SERVER ? "h2,http/1.1" :
						   "spdy/1,http/1.1",
	};
	struct peer_job job = {
		.role = role == KTLS_ROLE_SERVER ? KTLS_ROLE_CLIENT :
						   KTLS_ROLE_SERVER,
		.fd = peer_fd,
		.alpn = role == KTLS_ROLE_SERVER ? "foo,http/1.1" :
						   "h2,http/1.1",
		.len = MiB,
	};
	uint8_t sent[DIGEST_LEN], received[DIGEST_LEN];
	struct ktls_handoff_result result;
	long long tx0, rx0, tx1, rx1;
	struct stream stream;
	struct peer peer;

	ASSERT_EQ(0, tls_stat_sum(&tx0, &rx0));
	ASSERT_EQ(0, peer_start(&peer, run_peer, &job));
	EXPECT_EQ(0, ktls_handoff(d->sock, fd, &request, &result))
		TH_LOG("handoff: %s", result.reason);
	EXPECT_EQ(0, result.status);
	EXPECT_STREQ("TLSv1.3", result.version);
	EXPECT_STREQ("TLS_AES_128_GCM_SHA256", result.cipher);
	EXPECT_STREQ("http/1.1", result.alpn);
	if (role == KTLS_ROLE_CLIENT) {
		EXPECT_NE(NULL, strstr(result.peer, "localhost"))
			TH_LOG("peer: %s", result.peer);
	} else {
		EXPECT_STREQ("", result.peer);
	}
	if (result.status) {
		shutdown(fd, SHUT_RDWR);
	} else {
		fd_stream(&stream, &fd);
		EXPECT_EQ(0, stream_duplex(&stream, MiB, sent, received));
	}
	EXPECT_EQ(0, peer_join(&peer)) TH_LOG("peer: %s", peer.reason);
	EXPECT_STREQ("http/1.1", job.agreed);
	EXPECT_EQ(0, memcmp(sent, peer.received, DIGEST_LEN));
	EXPECT_EQ(0, memcmp(received, peer.sent, DIGEST_LEN));
	ASSERT_EQ(0, tls_stat_sum(&tx1, &rx1));
	/* Both ends went through kernel TLS. */
	EXPECT_LE(tx0 + 2, tx1);
	EXPECT_LE(rx0 + 2, rx1);
}

TEST_F_TIMEOUT(tls, server_role_1mib_each_way, 300)
{
	handoff_and_duplex(_metadata, &self->d, KTLS_ROLE_SERVER,
			   self->server_fd, self->client_fd);
}

TEST_F_TIMEOUT(tls, client_role_1mib_each_way, 300)
{
	handoff_and_duplex(_metadata, &self->d, KTLS_ROLE_CLIENT,
			   self->client_fd, self->server_fd);
}

/* A client-role handoff verifies the name the application asked for. */
TEST_F(tls, client_role_name_mismatch)
{
	struct ktls_handoff_request request = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "wrong.example",
	};
	struct peer_job job = { .role = KTLS_ROLE_SERVER,
				.fd = self->server_fd };
	struct ktls_handoff_result result;
	struct peer peer;

	ASSERT_EQ(0, peer_start(&peer, run_peer, &job));
	EXPECT_EQ(-EKEYREJECTED, ktls_handoff(self->d.sock, self->client_fd,
					      &request, &result));
	EXPECT_STREQ("certificate name mismatch: the certificate is not valid for wrong.example",
		     result.reason);
	EXPECT_NE(0, peer_join(&peer));
}

/*
 * [client] crl: a client-role handoff refuses a server whose certificate
 * the CA revoked, naming why, and still takes one in good standing.
 */
TEST_F(tls, client_role_revoked_server_refused)
{
	struct ktls_handoff_request request = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "localhost",
	};
	struct peer_job job = { .role = KTLS_ROLE_SERVER,
				.fd = self->server_fd,
				.cert = "server-revoked" };
	char crl[PATH_MAX], extra[PATH_MAX + 128];
	struct ktls_handoff_result result;
	struct peer peer;

	test_pki_file("crl.pem", crl, sizeof(crl));
	/* The usual [client] section gains the CRL (it comes last). */
	snprintf(extra, sizeof(extra),
		 "crl = %s\n[handoff]\nfirst_byte_timeout = 20s\n", crl);
	ASSERT_EQ(0, daemon_stop(&self->d));
	ASSERT_EQ(0, daemon_write_config(&self->d, "20s", extra));
	ASSERT_EQ(0, daemon_start(&self->d)) TH_LOG("ktlsd did not start");

	ASSERT_EQ(0, peer_start(&peer, run_peer, &job));
	EXPECT_EQ(-EKEYREJECTED, ktls_handoff(self->d.sock, self->client_fd,
					      &request, &result));
	EXPECT_STREQ("certificate revoked", result.reason);
	EXPECT_NE(0, peer_join(&peer));
	EXPECT_NE(NULL, strstr(peer.reason, "certificate_revoked"))
		TH_LOG("peer: %s", peer.reason);

	close(self->client_fd);
	close(self->server_fd);
	ASSERT_EQ(0, ktls_tcp_pair(&self->client_fd, &self->server_fd));
	job = (struct peer_job){ .role = KTLS_ROLE_SERVER,
				 .fd = self->server_fd };
	ASSERT_EQ(0, peer_start(&peer, run_peer, &job));
	EXPECT_EQ(0, ktls_handoff(self->d.sock, self->client_fd, &request,
				  &result))
		TH_LOG("handoff: %s", result.reason);
	EXPECT_EQ(0, peer_join(&peer)) TH_LOG("peer: %s", peer.reason);
}

/* @dst = @src, owned by root, mode 0600. */
static int copy_private(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out, ret = 0;
	char buf[16384];
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		ret = -errno;
		goto close_in;
	}
	n = read(in, buf, sizeof(buf));
	if (n <= 0 || write(out, buf, (size_t)n) != n || fchown(out, 0, 0) ||
	    fchmod(out, 0600))
		ret = -EIO;
	close(out);
close_in:
	close(in);
	return ret;
}

/*
 * The key file is root's, 0600. The application runs as nobody: it cannot
 * open the key, yet gets a kernel TLS connection through ktlsd.
 */
TEST_F_TIMEOUT(tls, app_without_key_access_gets_ktls, 300)
{
	char key[PATH_MAX], extra[PATH_MAX * 2 + 64], cert[PATH_MAX];
	uint8_t digests[2][DIGEST_LEN], sent[DIGEST_LEN], received[DIGEST_LEN];
	struct ktls_handoff_result result;
	struct ktls_session *session;
	struct stream stream;
	int pipefd[2], status;
	pid_t pid;

	/* A private copy of the key, 0600 root, for a config of its own. */
	test_pki_file("server.key", key, sizeof(key));
	test_pki_file("server.pem", cert, sizeof(cert));
	snprintf(extra, sizeof(extra), "%s/private.key", self->d.dir);
	ASSERT_EQ(0, copy_private(key, extra));
	snprintf(key, sizeof(key), "%s", extra);
	snprintf(extra, sizeof(extra),
		 "[global]\nthreads = 1\n[handoff]\npath = %s\nmode = 0666\n"
		 "[server]\ncertificate = %s\nprivate_key = %s\n",
		 self->d.sock, cert, key);
	ASSERT_EQ(0, daemon_stop(&self->d));
	ASSERT_EQ(0, daemon_write_raw(&self->d, extra));
	ASSERT_EQ(0, daemon_start(&self->d));

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ktls_handoff_request request = {
			.role = KTLS_ROLE_SERVER,
		};
		int sfd = self->server_fd;

		close(pipefd[0]);
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(10);
		/* The application cannot read the key... */
		if (open(key, O_RDONLY) >= 0 || errno != EACCES)
			_exit(11);
		/* ...and still gets kernel TLS through ktlsd. */
		if (ktls_handoff(self->d.sock, sfd, &request, &result))
			_exit(12);
		fd_stream(&stream, &sfd);
		if (stream_recv_digest(&stream, MiB, digests[0]) ||
		    stream_send_random(&stream, MiB, digests[1]))
			_exit(13);
		if (write(pipefd[1], digests, sizeof(digests)) !=
		    sizeof(digests))
			_exit(14);
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(0, test_handshake(KTLS_ROLE_CLIENT, self->client_fd,
				    KTLS_TX | KTLS_RX, &session))
		TH_LOG("client: %s", ktls_reason());
	fd_stream(&stream, &self->client_fd);
	EXPECT_EQ(0, stream_send_random(&stream, MiB, sent));
	EXPECT_EQ(0, stream_recv_digest(&stream, MiB, received));
	ktls_session_free(session);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child: 10 setuid, 11 key readable, 12 handoff, 13 data, 14 pipe");
	ASSERT_EQ((ssize_t)sizeof(digests), read(pipefd[0], digests, sizeof(digests)));
	close(pipefd[0]);
	EXPECT_EQ(0, memcmp(sent, digests[0], DIGEST_LEN));
	EXPECT_EQ(0, memcmp(received, digests[1], DIGEST_LEN));
}

/*
 * SIGHUP with a handoff in flight (waiting for its peer's first byte): the
 * stalled peer completes after the reload on the old configuration
 * (TLS 1.3); a new handoff gets the new one (TLS 1.2 only).
 */
TEST_F_TIMEOUT(tls, reload_keeps_handshake_in_flight, 300)
{
	struct peer_job job = { .role = KTLS_ROLE_CLIENT,
				.fd = self->client_fd };
	struct ktls_handoff_request request = { .role = KTLS_ROLE_SERVER };
	struct ktls_handoff_result result;
	int sock, c2, s2;
	struct peer peer;

	ASSERT_EQ(0, ktls_handoff_submit(self->d.sock, self->server_fd,
					 &request, &sock));
	ASSERT_EQ(0, daemon_wait_log(&self->d,
				     "server handoff waiting for the peer's first byte",
				     5000));
	/* The same keys, but TLS 1.2 only from now on. */
	{
		char cert[PATH_MAX], key[PATH_MAX], text[3 * PATH_MAX];

		test_pki_file("server.pem", cert, sizeof(cert));
		test_pki_file("server.key", key, sizeof(key));
		snprintf(text, sizeof(text),
			 "[global]\nthreads = 2\nloglevel = debug\n"
			 "[handoff]\npath = %s\nmode = 0666\n"
			 "[server]\ncertificate = %s\nprivate_key = %s\n"
			 "max_version = 1.2\n",
			 self->d.sock, cert, key);
		ASSERT_EQ(0, daemon_write_raw(&self->d, text));
	}
	ASSERT_EQ(0, kill(self->d.pid, SIGHUP));
	ASSERT_EQ(0, daemon_wait_log(&self->d, "reloaded", 5000));

	/* Now the stalled peer speaks. */
	ASSERT_EQ(0, peer_start(&peer, run_peer, &job));
	EXPECT_EQ(0, ktls_handoff_finish(sock, self->server_fd, &result))
		TH_LOG("in flight: %s", result.reason);
	EXPECT_STREQ("TLSv1.3", result.version);
	EXPECT_EQ(0, peer_join(&peer)) TH_LOG("peer: %s", peer.reason);

	ASSERT_EQ(0, ktls_tcp_pair(&c2, &s2));
	job.fd = c2;
	ASSERT_EQ(0, peer_start(&peer, run_peer, &job));
	EXPECT_EQ(0, ktls_handoff(self->d.sock, s2, &request, &result))
		TH_LOG("after reload: %s", result.reason);
	EXPECT_STREQ("TLSv1.2", result.version);
	EXPECT_EQ(0, peer_join(&peer)) TH_LOG("peer: %s", peer.reason);
	close(c2);
	close(s2);
}

TEST_HARNESS_MAIN
