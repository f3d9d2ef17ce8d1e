// SPDX-License-Identifier: GPL-2.0-or-later
/* ktlsd as a child process of a test. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include "daemon.h"
#include "test_util.h"

void ktlsd_binary(char *path, size_t len)
{
	const char *bin = getenv("KTLSD_BIN");
	char self[PATH_MAX];
	ssize_t n;

	if (bin) {
		snprintf(path, len, "%s/ktlsd", bin);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		snprintf(path, len, "build/bin/ktlsd");
		return;
	}
	self[n] = '\0';
	/* BUILD/tests/NAME -> BUILD/bin/ktlsd */
	snprintf(path, len, "%s/../bin/ktlsd", dirname(self));
}

int daemon_init(struct daemon *d)
{
	const char *tmp = getenv("TMPDIR");

	memset(d, 0, sizeof(*d));
	d->pid = -1;
	snprintf(d->dir, sizeof(d->dir), "%s/ktlsd-test.XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(d->dir) || chmod(d->dir, 0755))
		return -errno;
	snprintf(d->conf, sizeof(d->conf), "%s/ktlsd.conf", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/handoff.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/ktlsd.log", d->dir);
	return 0;
}

int daemon_write_raw(struct daemon *d, const char *text)
{
	char tmp[PATH_MAX + 32];
	FILE *f;

	/* Whole or not at all, for a reload that reads it. */
	snprintf(tmp, sizeof(tmp), "%s.new", d->conf);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	if (fclose(f))
		return -errno;
	chmod(tmp, 0644);
	return rename(tmp, d->conf) ? -errno : 0;
}

int daemon_write_config(struct daemon *d, const char *timeout,
			const char *extra)
{
	return daemon_write_config_server(d, timeout, "", extra);
}

int daemon_write_config_server(struct daemon *d, const char *timeout,
			       const char *server, const char *extra)
{
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	char text[8192];

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("server.key", key, sizeof(key));
	test_pki_file("ca.pem", ca, sizeof(ca));
	snprintf(text, sizeof(text),
		 "# written by a ktlsd test\n"
		 "[global]\nthreads = 2\nloglevel = debug\n"
		 "handshake_timeout = %s\n\n"
		 "[handoff]\npath = %s\nmode = 0666\n\n"
		 "[server]\ncertificate = %s\nprivate_key = %s\n%s\n"
		 "[client]\ntrust_store = %s\n%s",
		 timeout ? timeout : "10s", d->sock, cert, key, server, ca,
		 extra ? extra : "");
	return daemon_write_raw(d, text);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool socket_answers(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool ok;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	ok = fd >= 0 && !connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* @name is up and sandboxed (seccomp is its last step before it serves). */
static bool child_sandboxed(const struct daemon *d, const char *name)
{
	pid_t pid = daemon_child(d, name);
	char path[64], line[128];
	bool ready = false;
	FILE *f;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8))
			ready = atoi(line + 8) == 2;
	if (f)
		fclose(f);
	return ready;
}

/*
 * The worker does not wait for the key process (it needs no key to
 * start), so each is checked: a test may look at either at once.
 */
static bool children_ready(const struct daemon *d)
{
	return child_sandboxed(d, "ktlsd-worker") &&
	       child_sandboxed(d, "ktlsd-keys");
}

static void daemon_print_log(const struct daemon *d)
{
	char line[1024];
	FILE *f = fopen(d->log, "r");

	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "#   %s", line);
	if (f)
		fclose(f);
}

int daemon_start(struct daemon *d)
{
	char bin[PATH_MAX];
	/* Generous: emulated CPUs on a loaded host stall for seconds. */
	int64_t deadline = now_ms() + 30000;
	int log_fd, status;

	ktlsd_binary(bin, sizeof(bin));
	log_fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log_fd < 0)
		return -errno;
	d->pid = fork();
	if (d->pid == 0) {
		dup2(log_fd, STDERR_FILENO);
		execl(bin, bin, "-f", "-c", d->conf, (char *)NULL);
		_exit(127);
	}
	close(log_fd);
	if (d->pid < 0)
		return -errno;
	while (now_ms() < deadline) {
		/* The monitor listens first; the worker answers once ready. */
		if (children_ready(d) && socket_answers(d->sock))
			return 0;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = -1;
			return -ECHILD;
		}
		usleep(10000);
	}
	/* Say where it stopped: the log has what ktlsd got to. */
	fprintf(stderr, "# ktlsd (pid %d) not ready after 30 s; worker %d; its log:\n",
		(int)d->pid, (int)daemon_child(d, "ktlsd-worker"));
	daemon_print_log(d);
	return -ETIMEDOUT;
}

int daemon_stop(struct daemon *d)
{
	int status;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = -1;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		usleep(10000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	d->pid = -1;
	return -1;
}

pid_t daemon_child(const struct daemon *d, const char *comm)
{
	char path[64], line[512], *name;
	struct dirent *e;
	pid_t found = -1;
	DIR *proc;
	FILE *f;

	proc = opendir("/proc");
	while (proc && found < 0 && (e = readdir(proc))) {
		int pid, ppid;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		/* "PID (COMM) STATE PPID ...": COMM has no ')' of ours. */
		name = fgets(line, sizeof(line), f) ? strchr(line, '(') : NULL;
		if (name && strchr(name, ')') &&
		    sscanf(line, "%d %*s %*c %d", &pid, &ppid) == 2 &&
		    ppid == d->pid) {
			*strchr(name, ')') = '\0';
			if (!strcmp(name + 1, comm))
				found = pid;
		}
		fclose(f);
	}
	if (proc)
		closedir(proc);
	return found;
}

int daemon_fd_count(const struct daemon *d)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *dir;

	/* The worker holds the connections; the monitor only listens. */
	snprintf(path, sizeof(path), "/proc/%d/fd",
		 (int)daemon_child(d, "ktlsd-worker"));
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

int daemon_fd_count_stable(const struct daemon *d)
{
	int n = daemon_fd_count(d), same = 0;

	for (int i = 0; i < 50 && same < 3; i++) {
		int now;

		usleep(100000);
		now = daemon_fd_count(d);
		same = now == n ? same + 1 : 0;
		n = now;
	}
	return n;
}

void daemon_fd_list(const struct daemon *d, char *out, size_t len)
{
	char path[64], link[PATH_MAX + 64], target[PATH_MAX];
	size_t used = 0;
	struct dirent *e;
	DIR *dir;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/fd",
		 (int)daemon_child(d, "ktlsd-worker"));
	dir = opendir(path);
	while (dir && (e = readdir(dir)) && used < len) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		used += (size_t)snprintf(out + used, len - used, "%s=%s ",
					 e->d_name, target);
	}
	if (dir)
		closedir(dir);
}

int daemon_wait_log(const struct daemon *d, const char *text, int ms)
{
	int64_t deadline = now_ms() + ms;
	char buf[65536];

	do {
		int fd = open(d->log, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, text))
				return 0;
		}
		usleep(10000);
	} while (now_ms() < deadline);
	return -ETIMEDOUT;
}

void daemon_cleanup(struct daemon *d)
{
	char path[PATH_MAX + 32];
	struct dirent *e;
	DIR *dir;

	if (d->pid > 0)
		daemon_stop(d);
	if (!d->dir[0])
		return;
	dir = opendir(d->dir);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->dir, e->d_name);
		unlink(path);
	}
	if (dir)
		closedir(dir);
	rmdir(d->dir);
}

/*
 * ktlsd with @args as @uid (-1: ours), ended by SIGALRM after @secs (0:
 * never); its output in @out. 0 and its wait status, or -1.
 */
/*
 * In the child: a mount namespace of its own with an empty tmpfs on /etc,
 * holding only @etc's files (path under /etc, text; a NULL text: none).
 */
static void own_etc(const struct etc_file *etc)
{
	char path[PATH_MAX];
	FILE *f;

	const char *step = "unshare(CLONE_NEWNS)";

	if (!unshare(CLONE_NEWNS)) {
		step = "making / private";
		if (!mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
			step = "a tmpfs on /etc";
			/* The guest's initramfs has no /etc at all. */
			if ((!mkdir("/etc", 0755) || errno == EEXIST) &&
			    !mount("ktlsd-test-etc", "/etc", "tmpfs", 0,
				   "mode=0755"))
				step = NULL;
		}
	}
	if (step) {
		fprintf(stderr, "test: own /etc: %s: %s\n", step,
			strerror(errno));
		_exit(125);
	}
	for (; etc->name; etc++) {
		if (!etc->text)
			continue;
		snprintf(path, sizeof(path), "/etc/%s", etc->name);
		if (strchr(etc->name, '/')) {
			*strrchr(path, '/') = '\0';
			mkdir(path, 0755);
			snprintf(path, sizeof(path), "/etc/%s", etc->name);
		}
		f = fopen(path, "w");
		if (!f || fputs(etc->text, f) < 0 || fclose(f))
			_exit(125);
	}
}

static int run_child(const char *const args[], uid_t uid, int secs,
		     const struct etc_file *etc, char *out, size_t len,
		     int *status)
{
	const char *argv[16];
	char bin[PATH_MAX];
	int pipefd[2], n = 0;
	size_t used = 0;
	ssize_t r;
	pid_t pid;

	ktlsd_binary(bin, sizeof(bin));
	argv[n++] = bin;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		if (etc)
			own_etc(etc);
		if (uid != (uid_t)-1 && (setgid(uid) || setuid(uid)))
			_exit(126);
		/* Kept across exec: SIGALRM ends a ktlsd that serves. */
		if (secs)
			alarm(secs);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (used < len - 1 &&
	       (r = read(pipefd[0], out + used, len - 1 - used)) > 0)
		used += (size_t)r;
	out[used] = '\0';
	close(pipefd[0]);
	return waitpid(pid, status, 0) < 0 ? -1 : 0;
}

int ktlsd_run(const char *const args[], uid_t uid, char *out, size_t len)
{
	int status;

	if (run_child(args, uid, 0, NULL, out, len, &status) ||
	    !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int ktlsd_run_etc(const char *const args[], const struct etc_file *etc,
		  char *out, size_t len)
{
	int status;

	if (run_child(args, (uid_t)-1, 0, etc, out, len, &status) ||
	    !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int ktlsd_run_for(const char *const args[], int secs, char *out, size_t len)
{
	int status;

	if (run_child(args, (uid_t)-1, secs, NULL, out, len, &status))
		return -2;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
}

int process_memory_scan(pid_t pid,
			int (*fn)(const uint8_t *buf, size_t len, void *arg),
			void *arg)
{
	char path[64], line[512];
	uint8_t *buf;
	FILE *maps;
	int mem, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (!maps || mem < 0) {
		ret = -errno;
		goto close;
	}
	while (!ret && fgets(line, sizeof(line), maps)) {
		unsigned long start, end;
		char perms[8];
		ssize_t n;

		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 ||
		    perms[0] != 'r' || perms[1] != 'w' || end - start > (64 << 20))
			continue;
		buf = malloc(end - start);
		if (!buf) {
			ret = -ENOMEM;
			break;
		}
		n = pread(mem, buf, end - start, (off_t)start);
		if (n > 0)
			ret = fn(buf, (size_t)n, arg);
		free(buf);
	}
close:
	if (maps)
		fclose(maps);
	if (mem >= 0)
		close(mem);
	return ret;
}

int daemon_tls_client(struct peer *peer)
{
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "localhost",
		.handshake_timeout_ms = 8000,
	};
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	char ca[PATH_MAX];
	int ret;

	test_pki_file("ca.pem", ca, sizeof(ca));
	config.ca_file = ca;
	ret = ktls_ctx_new(&config, &ctx);
	if (ret)
		return ret;
	ret = ktls_handshake(ctx, *(int *)peer->arg, &session);
	snprintf(peer->reason, sizeof(peer->reason), "%s", ktls_reason());
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	return ret;
}

static int read_file_all(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

/* The raw private scalar of an ECDSA P-256 PEM key file. */
int ec_scalar(const char *key_file, uint8_t *scalar, unsigned int *len)
{
	char pem[4096];
	uint8_t der[2048];
	word32 idx = 0, off = 0;
	ecc_key key;
	int der_len, ret;

	if (read_file_all(key_file, pem, sizeof(pem)))
		return -1;
	der_len = wc_KeyPemToDer((uint8_t *)pem, (int)strlen(pem), der,
				 sizeof(der), NULL);
	if (der_len <= 0)
		return -1;
	if (wc_GetPkcs8TraditionalOffset(der, &off, (word32)der_len) < 0)
		off = 0;
	idx = off;
	if (wc_ecc_init(&key) ||
	    wc_EccPrivateKeyDecode(der, &idx, &key, (word32)der_len))
		return -1;
	ret = wc_ecc_export_private_only(&key, scalar, len);
	wc_ecc_free(&key);
	return ret ? -1 : 0;
}

static bool has(const uint8_t *hay, size_t n, const uint8_t *needle,
		size_t len)
{
	for (size_t i = 0; i + len <= n; i++)
		if (hay[i] == needle[0] && !memcmp(hay + i, needle, len))
			return true;
	return false;
}

/*
 * Whether @pid's writable memory holds @secret, big-endian (as in DER)
 * or little-endian (as wolfCrypt's math keeps it). Read as root through
 * /proc/PID/mem, which an undumpable process does not stop.
 */
struct secret {
	const uint8_t *bytes;
	uint8_t rev[64];
	size_t len;
};

static int holds(const uint8_t *buf, size_t n, void *arg)
{
	const struct secret *s = arg;

	return has(buf, n, s->bytes, s->len) || has(buf, n, s->rev, s->len);
}

int memory_holds(pid_t pid, const uint8_t *secret, size_t len)
{
	struct secret s = { .bytes = secret, .len = len };

	if (len > sizeof(s.rev))
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		s.rev[i] = secret[len - 1 - i];
	return process_memory_scan(pid, holds, &s);
}
