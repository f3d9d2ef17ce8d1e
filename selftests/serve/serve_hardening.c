// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-serve's defences (issue 11), run natively over userspace TLS:
 *  - clients that never speak (finding 2): 1,000 silent connections from
 *    127.0.0.1 must not delay a real client from 127.0.0.2 (handshake,
 *    GET, body hash within 3 s) even when they would exhaust the server's
 *    descriptors; the caps close the excess at once and the status line
 *    counts them; a silent connection is closed at the handshake timeout;
 *  - the log (finding 6): a request line's control bytes show escaped;
 *  - the sandbox (finding 3): --user drops root for good (a root-only
 *    file is refused, the process has no capability left), and a system
 *    call outside the seccomp allow-list kills the process with SIGSYS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "test_util.h"

#include "kselftest_harness.h"

#define SILENT 1000
#define BODY_LEN (256 * 1024)
#define CLIENT_TIMEOUT_MS 3000

struct server {
	pid_t pid;
	int status;		/* once it has exited (pid then 0) */
	int port;
	char dir[64];
	char log[128];
	char file[128];
	uint8_t digest[DIGEST_LEN];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *read_log(const struct server *s)
{
	static char buf[1 << 20];
	int fd = open(s->log, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * ktls-serve with @fd_limit descriptors (hard too; CAP_SYS_RESOURCE is
 * dropped so it cannot raise it back as root) and @extra options.
 */
static int server_start(struct server *s, rlim_t fd_limit,
			const char *const *extra)
{
	const char *bin = getenv("KTLSD_BIN") ? getenv("KTLSD_BIN") :
						"build/bin";
	char path[256], root[128], *argv[32], *line;
	struct test_pki pki;
	uint8_t data[4096];
	int fd, argc = 0, i;
	size_t off;

	test_pki(&pki);
	snprintf(s->dir, sizeof(s->dir), "%s/serve_hardening.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(s->dir))
		return -errno;
	/* Traversable after --user. */
	chmod(s->dir, 0755);
	snprintf(root, sizeof(root), "%s/root", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/serve.log", s->dir);
	snprintf(s->file, sizeof(s->file), "%s/root/body.bin", s->dir);
	mkdir(root, 0755);
	fd = open(s->file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	for (off = 0; off < BODY_LEN; off += sizeof(data)) {
		for (i = 0; i < (int)sizeof(data); i++)
			data[i] = (uint8_t)((off + i) * 131 + (off + i) / 7);
		if (write(fd, data, sizeof(data)) != sizeof(data))
			return -EIO;
	}
	close(fd);
	if (sha256_file(s->file, s->digest))
		return -EIO;

	snprintf(path, sizeof(path), "%s/ktls-serve", bin);
	argv[argc++] = path;
	argv[argc++] = "--root";
	argv[argc++] = root;
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "--workers";
	argv[argc++] = "2";
	argv[argc++] = "--cert";
	argv[argc++] = pki.cert;
	argv[argc++] = "--key";
	argv[argc++] = pki.key;
	for (i = 0; extra && extra[i]; i++)
		argv[argc++] = (char *)extra[i];
	argv[argc] = NULL;

	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (!s->pid) {
		struct rlimit rl = { fd_limit, fd_limit };

		fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		dup2(fd, 1);
		/* Gone with the test, even one ended by a failed assert. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0);
		if (fd_limit)
			setrlimit(RLIMIT_NOFILE, &rl);
		execv(path, argv);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		line = strstr(read_log(s), "on https://127.0.0.1:");
		if (line) {
			s->port = atoi(line + strlen("on https://127.0.0.1:"));
			return 0;
		}
		if (waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
			s->pid = 0;
			return -ECHILD;
		}
		usleep(50000);
	}
	return -ETIMEDOUT;
}

/* Wait up to @ms for the server to exit; its wait status, or -1. */
static int server_exit_status(struct server *s, int ms)
{
	for (; s->pid && ms > 0; ms -= 50) {
		if (waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
			s->pid = 0;
			break;
		}
		usleep(50000);
	}
	return s->pid ? -1 : s->status;
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

/* The status line after SIGUSR1, from the log. */
static const char *server_status(struct server *s)
{
	static char line[1024];
	const char *log, *p, *end;
	int i;

	kill(s->pid, SIGUSR1);
	for (i = 0; i < 40; i++) {
		usleep(50000);
		log = read_log(s);
		p = strstr(log, "ktls-serve: status: ");
		if (p) {
			end = strchr(p, '\n');
			snprintf(line, sizeof(line), "%.*s",
				 (int)(end ? end - p : (long)strlen(p)), p);
			return line;
		}
	}
	return "";
}

/* A TCP connection to the server from @source (e.g. "127.0.0.2"). */
static int tcp_from(const struct server *s, const char *source)
{
	struct sockaddr_in local = { .sin_family = AF_INET };
	struct sockaddr_in peer = {
		.sin_family = AF_INET,
		.sin_port = htons(s->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	inet_pton(AF_INET, source, &local.sin_addr);
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) ||
	    connect(fd, (struct sockaddr *)&peer, sizeof(peer))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * A real client from @source: TLS handshake, GET @path, the whole response
 * (Connection: close) into @buf, its length in *@len. 0, or -errno with
 * *@why set.
 */
static int get(struct server *s, const char *source, const char *path,
	       int timeout_ms, char *buf, size_t size, size_t *len,
	       const char **why)
{
	struct test_pki pki;
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "127.0.0.1",
		.handshake_timeout_ms = timeout_ms,
	};
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = timeout_ms % 1000 * 1000,
	};
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx = NULL;
	char request[256];
	int fd, ret, n;
	ssize_t got;

	test_pki(&pki);
	config.ca_file = pki.ca;
	*len = 0;
	*why = "";
	n = snprintf(request, sizeof(request),
		     "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		     path);
	fd = tcp_from(s, source);
	if (fd < 0) {
		*why = "connect";
		return fd;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ret = ktls_ctx_new(&config, &ctx);
	if (!ret)
		ret = ktls_handshake(ctx, fd, &session);
	if (ret) {
		*why = ktls_reason();
		goto out;
	}
	if (ktls_tls_send(session, request, n) != n) {
		*why = "send";
		ret = -EIO;
		goto out;
	}
	while (*len < size) {
		got = ktls_tls_recv(session, buf + *len, size - *len);
		if (got <= 0)
			break;
		*len += (size_t)got;
	}
out:
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	close(fd);
	return ret;
}

/* GET /body.bin from @source: 200 and the file's SHA-256, or -errno. */
static int fetch(struct server *s, const char *source, int timeout_ms,
		 const char **why)
{
	static char buf[BODY_LEN + 4096];
	uint8_t digest[DIGEST_LEN];
	const char *body;
	size_t len;
	int ret;

	ret = get(s, source, "/body.bin", timeout_ms, buf, sizeof(buf), &len,
		  why);
	if (ret)
		return ret;
	body = memmem(buf, len, "\r\n\r\n", 4);
	*why = "no complete response";
	if (!body || strncmp(buf, "HTTP/1.1 200 ", 13))
		return -EPROTO;
	body += 4;
	if (buf + len - body != BODY_LEN)
		return -EPROTO;
	sha256(body, BODY_LEN, digest);
	*why = "body digest differs";
	if (memcmp(digest, s->digest, DIGEST_LEN))
		return -EPROTO;
	*why = "";
	return 0;
}

/* The status line of GET @path, e.g. "HTTP/1.1 403 Forbidden". */
static const char *status_of(struct server *s, const char *path)
{
	static char buf[4096], line[128];
	const char *why;
	size_t len;

	if (get(s, "127.0.0.1", path, CLIENT_TIMEOUT_MS, buf, sizeof(buf) - 1,
		&len, &why))
		return why;
	buf[len] = '\0';
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(buf, "\r"), buf);
	return line;
}

/* 0 once @fd is closed by the server (EOF or reset), within @ms. */
static int closed_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, ms) != 1)
		return -ETIMEDOUT;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0 ? 0 : -EPROTO;
}

static void raise_own_nofile(void)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max < 8192) {
		rl.rlim_max = 8192;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

FIXTURE(serve) {
	struct server s;
	int silent[SILENT];
	int nsilent;
};

FIXTURE_SETUP(serve)
{
	memset(&self->s, 0, sizeof(self->s));
	self->nsilent = 0;
	raise_own_nofile();
}

FIXTURE_TEARDOWN(serve)
{
	while (self->nsilent)
		close(self->silent[--self->nsilent]);
	server_stop(&self->s);
}

/*
 * 1,000 silent connections from one address, more than the server has
 * descriptors (512): without per-source limits they hold every descriptor
 * until their handshake timeout and the next client waits behind them.
 */
TEST_F_TIMEOUT(serve, silent_flood_does_not_delay_another_client, 120)
{
	const char *why, *status;
	int64_t start;
	int fd, ret;

	ASSERT_EQ(0, server_start(&self->s, 512, NULL))
		TH_LOG("%s", read_log(&self->s));
	while (self->nsilent < SILENT) {
		fd = tcp_from(&self->s, "127.0.0.1");
		ASSERT_LE(0, fd) TH_LOG("silent connection %d: %s",
					self->nsilent, strerror(-fd));
		self->silent[self->nsilent++] = fd;
	}
	/* Let the server take in what it will take. */
	usleep(300000);
	start = now_ms();
	ret = fetch(&self->s, "127.0.0.2", CLIENT_TIMEOUT_MS, &why);
	ASSERT_EQ(0, ret) TH_LOG("client from 127.0.0.2 after %lld ms: %s (%s)",
				 (long long)(now_ms() - start), why,
				 strerror(-ret));
	TH_LOG("served in %lld ms", (long long)(now_ms() - start));
	ASSERT_GT(CLIENT_TIMEOUT_MS, now_ms() - start);
	/* The excess was refused, and said so. */
	status = server_status(&self->s);
	ASSERT_EQ(NULL, strstr(status, "per source 0,")) TH_LOG("%s", status);
	ASSERT_NE(NULL, strstr(status, "refused: handshake cap 0, per source "))
		TH_LOG("%s", status);
}

TEST_F(serve, caps_close_at_once_and_are_counted)
{
	/* One worker: connections are taken in the order they came. */
	static const char *const opts[] = {
		"--max-handshakes", "6", "--max-per-source", "4",
		"--workers", "1", NULL,
	};
	const char *why, *status;
	int i, fd;

	ASSERT_EQ(0, server_start(&self->s, 0, opts));
	for (i = 0; i < 4; i++) {
		fd = tcp_from(&self->s, "127.0.0.1");
		ASSERT_LE(0, fd);
		self->silent[self->nsilent++] = fd;
	}
	/* Per source: the fifth from 127.0.0.1 is closed at once. */
	fd = tcp_from(&self->s, "127.0.0.1");
	ASSERT_LE(0, fd);
	self->silent[self->nsilent++] = fd;
	ASSERT_EQ(0, closed_within(fd, 1000));
	/* Another source still gets in... */
	ASSERT_EQ(0, fetch(&self->s, "127.0.0.2", CLIENT_TIMEOUT_MS, &why))
		TH_LOG("%s", why);
	for (i = 0; i < 2; i++) {
		fd = tcp_from(&self->s, "127.0.0.3");
		ASSERT_LE(0, fd);
		self->silent[self->nsilent++] = fd;
	}
	/* ...until six handshakes are in progress in all. */
	usleep(200000);
	fd = tcp_from(&self->s, "127.0.0.4");
	ASSERT_LE(0, fd);
	self->silent[self->nsilent++] = fd;
	ASSERT_EQ(0, closed_within(fd, 1000));
	status = server_status(&self->s);
	ASSERT_NE(NULL, strstr(status, "refused: handshake cap 1, per source 1, no descriptor 0"))
		TH_LOG("%s", status);
	/*
	 * The first fetch's slot came back when its handshake ended (else
	 * the second 127.0.0.3 was the one refused); so does a client that
	 * leaves mid-handshake.
	 */
	close(self->silent[--self->nsilent]);
	close(self->silent[--self->nsilent]);
	usleep(200000);
	ASSERT_EQ(0, fetch(&self->s, "127.0.0.2", CLIENT_TIMEOUT_MS, &why))
		TH_LOG("%s", why);
}

/*
 * Out of descriptors with the caps out of the way: the clients the
 * server cannot take are closed at once (not left in the backlog until
 * their own timeout), counted, and the log says so once, not per accept.
 */
TEST_F_TIMEOUT(serve, out_of_descriptors_sheds_and_logs_once, 60)
{
	static const char *const opts[] = {
		"--max-per-source", "1000", "--workers", "1", NULL,
	};
	const char *log, *p, *status;
	int i, fd, closed = 0, lines = 0;

	ASSERT_EQ(0, server_start(&self->s, 64, opts))
		TH_LOG("%s", read_log(&self->s));
	for (i = 0; i < 200; i++) {
		fd = tcp_from(&self->s, "127.0.0.1");
		ASSERT_LE(0, fd);
		self->silent[self->nsilent++] = fd;
	}
	/* A few sweeps (250 ms each). */
	usleep(1500000);
	for (i = 0; i < self->nsilent; i++)
		closed += !closed_within(self->silent[i], 0);
	log = read_log(&self->s);
	for (p = log; (p = strstr(p, "accept: Too many open files")); p++)
		lines++;
	status = server_status(&self->s);
	/* ~50 fit in 64 descriptors; the rest were shed. */
	ASSERT_LE(100, closed) TH_LOG("%d of 200 closed; %s", closed, status);
	ASSERT_EQ(1, lines) TH_LOG("%s", log);
	ASSERT_EQ(NULL, strstr(status, "no descriptor 0")) TH_LOG("%s", status);
}

TEST_F(serve, silent_connection_closed_at_handshake_timeout)
{
	static const char *const opts[] = { "--handshake-timeout", "1", NULL };
	int64_t start;
	int fd;

	ASSERT_EQ(0, server_start(&self->s, 0, opts));
	fd = tcp_from(&self->s, "127.0.0.1");
	ASSERT_LE(0, fd);
	self->silent[self->nsilent++] = fd;
	start = now_ms();
	ASSERT_EQ(0, closed_within(fd, 3000));
	ASSERT_LE(900, now_ms() - start);
	ASSERT_NE(NULL, strstr(read_log(&self->s), "handshake timed out"));
	ASSERT_NE(NULL, strstr(server_status(&self->s), "timeouts 1;"));
}

/* A request line with control bytes: escaped in the log, never raw. */
TEST_F(serve, log_escapes_the_request_line)
{
	static const char *const opts[] = { "--request-timeout", "2", NULL };
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx = NULL;
	struct test_pki pki;
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "127.0.0.1",
	};
	static const char request[] =
		"GET /\x1b[2J\x1b]0;owned\a\x9b HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[4096];
	const char *log;
	int fd, i;

	test_pki(&pki);
	config.ca_file = pki.ca;
	ASSERT_EQ(0, server_start(&self->s, 0, opts));
	fd = tcp_from(&self->s, "127.0.0.1");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ktls_ctx_new(&config, &ctx));
	ASSERT_EQ(0, ktls_handshake(ctx, fd, &session)) TH_LOG("%s",
							       ktls_reason());
	ASSERT_EQ((ssize_t)sizeof(request) - 1,
		  ktls_tls_send(session, request, sizeof(request) - 1));
	ASSERT_LT(0, ktls_tls_recv(session, buf, sizeof(buf)));
	ASSERT_EQ(0, strncmp(buf, "HTTP/1.1 400 ", 13));
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	close(fd);
	for (i = 0; i < 20; i++) {
		log = read_log(&self->s);
		if (strstr(log, "\" 400 "))
			break;
		usleep(50000);
	}
	ASSERT_NE(NULL, strstr(log,
			       "\"GET /\\x1b[2J\\x1b]0;owned\\x07\\x9b HTTP/1.1\" 400 "))
		TH_LOG("%s", log);
	ASSERT_EQ(NULL, strchr(log, '\x1b'));
	ASSERT_EQ(NULL, strchr(log, '\a'));
}

/* One field of /proc/PID/status, e.g. "Uid", as its text. */
static const char *proc_status(pid_t pid, const char *field)
{
	static char line[256];
	char path[64];
	size_t n = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return "";
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, n) && line[n] == ':') {
			fclose(f);
			line[strcspn(line, "\n")] = '\0';
			return line + n + 2;
		}
	}
	fclose(f);
	return "";
}

/*
 * As root with --user nobody: the key was read as root (the handshake
 * works), then a root-only file under the served root is refused, and
 * the process holds no identity or capability to get it back.
 */
TEST_F(serve, user_drops_root_for_good)
{
	static const char *const opts[] = { "--user", "nobody", NULL };
	char path[192];
	int fd;

	if (geteuid())
		SKIP(return, "needs root (--user changes the user)");
	ASSERT_EQ(0, server_start(&self->s, 0, opts))
		TH_LOG("%s", read_log(&self->s));
	snprintf(path, sizeof(path), "%s/root/secret.txt", self->s.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(7, write(fd, "secret\n", 7));
	close(fd);
	snprintf(path, sizeof(path), "%s/root/public.txt", self->s.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	close(fd);

	ASSERT_STREQ("HTTP/1.1 403 Forbidden", status_of(&self->s, "/secret.txt"));
	ASSERT_STREQ("HTTP/1.1 200 OK", status_of(&self->s, "/public.txt"));
	ASSERT_STREQ("65534\t65534\t65534\t65534",
		     proc_status(self->s.pid, "Uid"));
	ASSERT_STREQ("65534\t65534\t65534\t65534",
		     proc_status(self->s.pid, "Gid"));
	ASSERT_STREQ("65534 ", proc_status(self->s.pid, "Groups"));
	ASSERT_STREQ("0000000000000000", proc_status(self->s.pid, "CapPrm"));
	ASSERT_STREQ("2", proc_status(self->s.pid, "Seccomp"));
}

TEST_F(serve, user_refused_when_root_or_unknown)
{
	static const char *const as_root[] = { "--user", "root", NULL };
	static const char *const unknown[] = {
		"--user", "no-such-user-ktls", NULL,
	};

	ASSERT_EQ(-ECHILD, server_start(&self->s, 0, as_root));
	ASSERT_TRUE(WIFEXITED(self->s.status));
	ASSERT_EQ(2, WEXITSTATUS(self->s.status));
	ASSERT_NE(NULL, strstr(read_log(&self->s),
			       "ktls-serve: --user root: that is root"));
	server_stop(&self->s);
	ASSERT_EQ(-ECHILD, server_start(&self->s, 0, unknown));
	ASSERT_NE(NULL, strstr(read_log(&self->s),
			       "ktls-serve: --user no-such-user-ktls: no such user"));
}

/*
 * SO_REUSEPORT would let a second ktls-serve on the same port join the
 * first one's listeners and take half its connections: it must refuse.
 */
TEST_F(serve, second_server_on_the_same_port_refused)
{
	struct server second = { 0 };
	char listen[32];
	const char *const opts[] = { "--listen", listen, NULL };

	ASSERT_EQ(0, server_start(&self->s, 0, NULL));
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", self->s.port);
	EXPECT_EQ(-ECHILD, server_start(&second, 0, opts));
	EXPECT_TRUE(WIFEXITED(second.status) && WEXITSTATUS(second.status));
	EXPECT_NE(NULL, strstr(read_log(&second),
			       "address already in use (another server listens there"))
		TH_LOG("%s", read_log(&second));
	server_stop(&second);
}

/* After start-up a worker's execve() is outside the allow-list: SIGSYS. */
TEST_F(serve, forbidden_syscall_kills_with_sigsys)
{
	static const char *const opts[] = { "--debug-forbidden-syscall", NULL };
	int status, ret;

	ret = server_start(&self->s, 0, opts);
	ASSERT_TRUE(ret == 0 || ret == -ECHILD) TH_LOG("%s", read_log(&self->s));
	status = server_exit_status(&self->s, 5000);
	ASSERT_NE(-1, status) TH_LOG("still running: %s", read_log(&self->s));
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("exit %d: %s",
						WEXITSTATUS(status),
						read_log(&self->s));
	ASSERT_EQ(SIGSYS, WTERMSIG(status));
}

/* The group and round trips of a default libktls client's handshake. */
static int handshake_group(struct server *s, char *group, size_t len,
			   int *round_trips, const char **why)
{
	struct test_pki pki;
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "127.0.0.1",
		.handshake_timeout_ms = CLIENT_TIMEOUT_MS,
	};
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx = NULL;
	int fd, ret;

	test_pki(&pki);
	config.ca_file = pki.ca;
	*why = "";
	fd = tcp_from(s, "127.0.0.1");
	if (fd < 0) {
		*why = "connect";
		return fd;
	}
	ret = ktls_ctx_new(&config, &ctx);
	if (!ret)
		ret = ktls_handshake(ctx, fd, &session);
	if (ret) {
		*why = ktls_reason();
	} else {
		snprintf(group, len, "%s", ktls_session_group(session));
		*round_trips = ktls_session_round_trips(session);
	}
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	close(fd);
	return ret;
}

/* The post-quantum hybrid by default; --groups chooses, by name. */
TEST_F(serve, groups_default_hybrid_and_chosen_by_flag)
{
	static const char *const p256[] = { "--groups", "P-256", NULL };
	const char *why;
	char group[32];
	int round_trips = 0;

	ASSERT_EQ(0, server_start(&self->s, 0, NULL));
	ASSERT_EQ(0, handshake_group(&self->s, group, sizeof(group),
				     &round_trips, &why)) TH_LOG("%s", why);
	EXPECT_STREQ("X25519MLKEM768", group);
	EXPECT_EQ(1, round_trips);
	server_stop(&self->s);
	/* Our client sent hybrid and X25519 shares: P-256 needs a retry. */
	ASSERT_EQ(0, server_start(&self->s, 0, p256));
	ASSERT_EQ(0, handshake_group(&self->s, group, sizeof(group),
				     &round_trips, &why)) TH_LOG("%s", why);
	EXPECT_STREQ("P-256", group);
	EXPECT_EQ(2, round_trips);
}

TEST_F(serve, groups_flag_refuses_unknown_names)
{
	static const char *const kyber[] = { "--groups", "X25519:Kyber768",
					      NULL };
	static const char refused[] =
		"ktls-serve: group 'Kyber768' is not supported "
		"(use X25519MLKEM768, SecP256r1MLKEM768, X25519, P-256 or P-384)";

	ASSERT_EQ(-ECHILD, server_start(&self->s, 0, kyber));
	ASSERT_TRUE(WIFEXITED(self->s.status));
	ASSERT_NE(0, WEXITSTATUS(self->s.status));
	ASSERT_NE(NULL, strstr(read_log(&self->s), refused))
		TH_LOG("%s", read_log(&self->s));
}

TEST_HARNESS_MAIN
