// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLS 1.3 KeyUpdate in ktls-serve over kernel TLS (issue 12, item 6), with a
 * client that is plain userspace WolfSSL on one keep-alive connection:
 *   - the client updates its key asking for ours, then (a second KeyUpdate
 *     while ours is still due) without asking, then requests the file: on
 *     Linux 6.14+ the body hashes intact and our KeyUpdate arrived; before,
 *     the client reads our close_notify at once (never a stall) and the
 *     log says why;
 *   - our own KeyUpdate at the record limit (--debug-key-update-records):
 *     on 6.14+ three requests on one connection each hash intact, so the
 *     connection stayed open across several updates; before, the second
 *     request finds our close_notify.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_config.h"
#include "wolfssl_peer.h"

#include "kselftest_harness.h"

#define BODY_LEN (256 * 1024)
#define READ_TIMEOUT_S 5
#define REQUEST "GET /body.bin HTTP/1.1\r\nHost: localhost\r\n\r\n"

struct server {
	pid_t pid;
	int port;
	char dir[64];
	char log[128];
	uint8_t digest[DIGEST_LEN];
};

static char *read_log(const struct server *s)
{
	static char buf[1 << 16];
	int fd = open(s->log, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* ktls-serve on a fresh root holding body.bin, with @extra options. */
static int server_start(struct server *s, const char *extra_opt,
			const char *extra_arg)
{
	const char *bin = getenv("KTLSD_BIN") ? getenv("KTLSD_BIN") :
						"build/bin";
	char path[256], root[128], file[160], *argv[20], *line;
	struct test_pki pki;
	int fd, argc = 0, i;

	test_pki(&pki);
	snprintf(s->dir, sizeof(s->dir), "%s/serve_key_update.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(s->dir))
		return -errno;
	snprintf(root, sizeof(root), "%s/root", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/serve.log", s->dir);
	snprintf(file, sizeof(file), "%s/body.bin", root);
	mkdir(root, 0755);
	if (random_file(BODY_LEN, path, sizeof(path)) ||
	    rename(path, file) || sha256_file(file, s->digest))
		return -EIO;

	snprintf(path, sizeof(path), "%s/ktls-serve", bin);
	argv[argc++] = path;
	argv[argc++] = "--root";
	argv[argc++] = root;
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "--workers";
	argv[argc++] = "1";
	argv[argc++] = "--tls";
	argv[argc++] = "kernel";
	argv[argc++] = "--cert";
	argv[argc++] = pki.cert;
	argv[argc++] = "--key";
	argv[argc++] = pki.key;
	if (extra_opt) {
		argv[argc++] = (char *)extra_opt;
		argv[argc++] = (char *)extra_arg;
	}
	argv[argc] = NULL;

	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (!s->pid) {
		fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		dup2(fd, 1);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		execv(path, argv);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		line = strstr(read_log(s), "on https://127.0.0.1:");
		if (line) {
			s->port = atoi(line + strlen("on https://127.0.0.1:"));
			return 0;
		}
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			return -ECHILD;
		}
		usleep(50000);
	}
	return -ETIMEDOUT;
}

static void server_stop(struct server *s)
{
	char cmd[128];

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	if (system(cmd))
		return;
}

/* A TLS 1.3 WolfSSL client on a new connection to the server. */
static int client_connect(const struct server *s, struct wolfssl_peer *peer)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)s->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct test_opts opts = { .version = KTLS_TLS_1_3 };
	struct timeval tv = { .tv_sec = READ_TIMEOUT_S };
	int fd, ret;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A stall shows as a failed read, not a hung test. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = wolfssl_peer_new(peer, KTLS_ROLE_CLIENT, fd, &opts, false);
	if (!ret)
		ret = wolfssl_peer_handshake(peer);
	if (ret)
		close(fd);
	return ret;
}

static void client_close(struct wolfssl_peer *peer)
{
	int fd = peer->fd;

	wolfssl_peer_free(peer);
	close(fd);
}

/*
 * One GET on the connection: 0 with the body's digest, -ECONNRESET if the
 * server's close_notify came instead, or another -errno (-EIO: a read
 * failed, e.g. timed out).
 */
static int get_body(struct wolfssl_peer *peer, uint8_t digest[DIGEST_LEN])
{
	static char buf[BODY_LEN + 4096];
	size_t have = 0, want = 0;
	char *end;
	int n;

	if (wolfssl_peer_write(peer, REQUEST, strlen(REQUEST)))
		return -EIO;
	for (;;) {
		n = wolfSSL_read(peer->ssl, buf + have,
				 (int)(sizeof(buf) - 1 - have));
		if (n <= 0)
			return wolfSSL_get_error(peer->ssl, n) ==
					       WOLFSSL_ERROR_ZERO_RETURN ?
				       -ECONNRESET : -EIO;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!want && end) {
			if (strncmp(buf, "HTTP/1.1 200", 12))
				return -EPROTO;
			want = (size_t)(end + 4 - buf) + BODY_LEN;
		}
		if (want && have >= want)
			break;
		if (have >= sizeof(buf) - 1)
			return -EMSGSIZE;
	}
	return sha256(buf + want - BODY_LEN, BODY_LEN, digest);
}

FIXTURE(serve)
{
	struct server server;
};

FIXTURE_SETUP(serve)
{
	memset(&self->server, 0, sizeof(self->server));
	if (ktls_kernel_has_tls() == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, wolfssl_peer_init());
}

FIXTURE_TEARDOWN(serve)
{
	server_stop(&self->server);
}

TEST_F(serve, client_key_update)
{
	struct wolfssl_peer peer;
	uint8_t digest[DIGEST_LEN];
	int required = -1, ret;

	ASSERT_EQ(0, server_start(&self->server, NULL, NULL));
	ASSERT_EQ(0, client_connect(&self->server, &peer));
	ASSERT_EQ(0, get_body(&peer, digest));
	EXPECT_EQ(0, memcmp(digest, self->server.digest, DIGEST_LEN));
	/* update_requested, */
	ASSERT_EQ(WOLFSSL_SUCCESS, wolfSSL_update_keys(peer.ssl));
	if (kernel_can_rekey()) {
		/* then (ours still due) update_not_requested. */
		ASSERT_EQ(WOLFSSL_SUCCESS, wolfSSL_update_keys(peer.ssl));
		ASSERT_EQ(0, get_body(&peer, digest));
		EXPECT_EQ(0, memcmp(digest, self->server.digest, DIGEST_LEN));
		/* The server's KeyUpdate came: WolfSSL waits for none. */
		ASSERT_EQ(0, wolfSSL_key_update_response(peer.ssl, &required));
		EXPECT_EQ(0, required);
		/* And the connection goes on under the new keys. */
		ASSERT_EQ(0, get_body(&peer, digest));
		EXPECT_EQ(0, memcmp(digest, self->server.digest, DIGEST_LEN));
	} else {
		/*
		 * Nothing more is sent: the server closes at once, and
		 * bytes it never reads would make its close a reset that
		 * can beat our next write.
		 */
		ret = wolfSSL_read(peer.ssl, digest, sizeof(digest));
		EXPECT_EQ(WOLFSSL_ERROR_ZERO_RETURN,
			  wolfSSL_get_error(peer.ssl, ret))
			TH_LOG("no close_notify: a stall?");
		usleep(200000);
		EXPECT_NE(NULL, strstr(read_log(&self->server),
				       "this kernel cannot rekey kernel TLS"))
			TH_LOG("log: %s", read_log(&self->server));
	}
	client_close(&peer);
}

TEST_F(serve, record_limit_key_update)
{
	struct wolfssl_peer peer;
	uint8_t digest[DIGEST_LEN];
	int ret;

	/* 256 KiB is 16 records and more: several updates per response. */
	ASSERT_EQ(0, server_start(&self->server, "--debug-key-update-records",
				  "4"));
	ASSERT_EQ(0, client_connect(&self->server, &peer));
	ASSERT_EQ(0, get_body(&peer, digest));
	EXPECT_EQ(0, memcmp(digest, self->server.digest, DIGEST_LEN));
	for (int i = 0; i < 2; i++) {
		ret = get_body(&peer, digest);
		if (!kernel_can_rekey()) {
			/* No new key here: a clean end, said at once. */
			EXPECT_EQ(-ECONNRESET, ret);
			break;
		}
		ASSERT_EQ(0, ret) TH_LOG("request %d", i + 2);
		EXPECT_EQ(0, memcmp(digest, self->server.digest, DIGEST_LEN));
	}
	client_close(&peer);
}

TEST_HARNESS_MAIN
