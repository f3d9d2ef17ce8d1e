// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd's privilege separation, checked from outside as an attacker who
 * got code running in the worker would find it: the worker and the key
 * process run as an unprivileged user, without capabilities, undumpable,
 * under seccomp; the worker cannot open the key files (EACCES) and dies on
 * a forbidden system call; only the key process's memory holds the
 * private key; a dead worker stops ktlsd rather than limping on; a reload
 * replaces the worker. Runs natively and in the VM (no kTLS needed).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "lib/daemon.h"

/* A "Key:\tvalue" line of /proc/PID/status, as a number (base 0). */
static long long status_field(pid_t pid, const char *key)
{
	char path[64], line[256];
	long long value = -1;
	size_t klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			value = strtoll(line + klen + 1, NULL,
					strncmp(key, "Cap", 3) ? 10 : 16);
	if (f)
		fclose(f);
	return value;
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
static int ec_scalar(const char *key_file, uint8_t *scalar, word32 *len)
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

/*
 * Whether @pid's writable memory holds @secret, big-endian (as in DER)
 * or little-endian (as wolfCrypt's math keeps it).
 */
static int memory_holds(pid_t pid, const uint8_t *secret, size_t len)
{
	struct secret s = { .bytes = secret, .len = len };

	for (size_t i = 0; i < len; i++)
		s.rev[i] = secret[len - 1 - i];
	return process_memory_scan(pid, holds, &s);
}

FIXTURE(privsep)
{
	struct daemon d;
	char key[PATH_MAX];
};

FIXTURE_SETUP(privsep)
{
	test_pki_file("server.key", self->key, sizeof(self->key));
	ASSERT_EQ(0, daemon_init(&self->d));
	ASSERT_EQ(0, daemon_write_config(&self->d, "2s", NULL));
}

FIXTURE_TEARDOWN(privsep)
{
	unsetenv("KTLSD_SANDBOX_PROBE");
	daemon_cleanup(&self->d);
}

/* Both children: another uid, no capabilities, seccomp, undumpable. */
TEST_F(privsep, children_are_unprivileged_and_sandboxed)
{
	static const char *const names[] = { "ktlsd-worker", "ktlsd-keys" };

	if (geteuid() != 0)
		SKIP(return, "needs root: ktlsd changes uid only when started as root");
	ASSERT_EQ(0, daemon_start(&self->d));
	ASSERT_EQ(0, status_field(self->d.pid, "Uid"));
	for (int i = 0; i < 2; i++) {
		pid_t pid = daemon_child(&self->d, names[i]);
		char path[64];
		struct stat st;

		ASSERT_LT(0, pid) TH_LOG("no %s under ktlsd", names[i]);
		EXPECT_NE(0, status_field(pid, "Uid")) TH_LOG("%s", names[i]);
		EXPECT_NE(0, status_field(pid, "Gid")) TH_LOG("%s", names[i]);
		EXPECT_EQ(0, status_field(pid, "CapEff")) TH_LOG("%s", names[i]);
		EXPECT_EQ(0, status_field(pid, "CapPrm")) TH_LOG("%s", names[i]);
		EXPECT_EQ(2, status_field(pid, "Seccomp")) TH_LOG("%s", names[i]);
		EXPECT_EQ(1, status_field(pid, "NoNewPrivs")) TH_LOG("%s", names[i]);
		/* Undumpable: its /proc files belong to root, not to its uid. */
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_EQ(0U, st.st_uid) TH_LOG("%s is dumpable", names[i]);
	}
}

/* From inside the worker, and as its uid from outside: EACCES. */
TEST_F(privsep, worker_cannot_open_the_key_files)
{
	char expect[PATH_MAX + 64];
	pid_t worker, child;
	int status;

	if (geteuid() != 0)
		SKIP(return, "needs root: ktlsd changes uid only when started as root");
	setenv("KTLSD_SANDBOX_PROBE", "keys", 1);
	ASSERT_EQ(0, daemon_start(&self->d));
	snprintf(expect, sizeof(expect),
		 "the worker cannot open %s: Permission denied", self->key);
	EXPECT_EQ(0, daemon_wait_log(&self->d, expect, 5000));
	EXPECT_NE(0, daemon_wait_log(&self->d, "the worker can open", 100));
	worker = daemon_child(&self->d, "ktlsd-worker");
	ASSERT_LT(0, worker);
	child = fork();
	if (child == 0) {
		uid_t uid = (uid_t)status_field(worker, "Uid");

		if (setgid((gid_t)status_field(worker, "Gid")) || setuid(uid))
			_exit(3);
		_exit(open(self->key, O_RDONLY) < 0 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* A system call outside the filter kills the worker, and ktlsd says so. */
TEST_F(privsep, forbidden_syscall_kills_the_worker)
{
	const char *const args[] = { "-f", "-c", self->d.conf, NULL };
	char out[8192];

	setenv("KTLSD_SANDBOX_PROBE", "syscall", 1);
	ASSERT_EQ(2, ktlsd_run_for(args, 20, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "calling ptrace()")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "killed by SIGSYS")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "ptrace() returned")) TH_LOG("%s", out);
}

/*
 * With upcalls the worker stays root, as tlshd does (the kernel's key
 * serials are root's keys), with CAP_NET_ADMIN alone; Landlock still keeps
 * it from the key files. Only where the kernel has the handshake family.
 */
TEST_F(privsep, upcall_worker_keeps_only_net_admin_and_no_key_files)
{
	char extra[2 * PATH_MAX + 64], cert[PATH_MAX], expect[PATH_MAX + 64];
	pid_t worker;

	if (geteuid() != 0)
		SKIP(return, "needs root");
	test_pki_file("server.pem", cert, sizeof(cert));
	snprintf(extra, sizeof(extra),
		 "[upcall]\nenable = auto\ncertificate = %s\nprivate_key = %s\n",
		 cert, self->key);
	ASSERT_EQ(0, daemon_write_config(&self->d, "2s", extra));
	setenv("KTLSD_SANDBOX_PROBE", "keys", 1);
	ASSERT_EQ(0, daemon_start(&self->d));
	ASSERT_EQ(0, daemon_wait_log(&self->d, "ready:", 5000));
	if (daemon_wait_log(&self->d, "kernel upcalls on", 100))
		SKIP(return, "no handshake netlink family on this kernel");
	worker = daemon_child(&self->d, "ktlsd-worker");
	ASSERT_LT(0, worker);
	EXPECT_EQ(0, status_field(worker, "Uid"));
	EXPECT_EQ(1LL << 12, status_field(worker, "CapEff"));	/* CAP_NET_ADMIN */
	EXPECT_EQ(0, status_field(worker, "CapBnd") & ~(1LL << 12));
	EXPECT_EQ(2, status_field(worker, "Seccomp"));
	snprintf(expect, sizeof(expect),
		 "the worker cannot open %s: Permission denied", self->key);
	EXPECT_EQ(0, daemon_wait_log(&self->d, expect, 5000));
	EXPECT_NE(0, status_field(daemon_child(&self->d, "ktlsd-keys"), "Uid"));
}

/* The private key is in the key process's memory and nowhere in the worker's. */
TEST_F(privsep, only_the_key_process_holds_the_key)
{
	uint8_t scalar[66];
	word32 len = sizeof(scalar);
	pid_t worker, keys;

	if (geteuid() != 0)
		SKIP(return, "needs root to read another uid's memory");
	ASSERT_EQ(0, ec_scalar(self->key, scalar, &len));
	ASSERT_EQ(0, daemon_start(&self->d));
	worker = daemon_child(&self->d, "ktlsd-worker");
	keys = daemon_child(&self->d, "ktlsd-keys");
	ASSERT_LT(0, worker);
	ASSERT_LT(0, keys);
	/* The scan can find a key: the key process has it. */
	ASSERT_EQ(1, memory_holds(keys, scalar, len));
	ASSERT_EQ(0, memory_holds(worker, scalar, len));
	ASSERT_EQ(0, memory_holds(self->d.pid, scalar, len));
}

/* A worker that dies takes ktlsd down (for systemd to restart), loudly. */
TEST_F(privsep, dead_worker_stops_ktlsd)
{
	char expect[128];
	pid_t worker;

	ASSERT_EQ(0, daemon_start(&self->d));
	ASSERT_EQ(0, daemon_wait_log(&self->d, "ready:", 5000));
	worker = daemon_child(&self->d, "ktlsd-worker");
	ASSERT_LT(0, worker);
	ASSERT_EQ(0, kill(worker, SIGKILL));
	snprintf(expect, sizeof(expect), "the worker (pid %d) killed by",
		 (int)worker);
	EXPECT_EQ(0, daemon_wait_log(&self->d, expect, 10000)) {
		char log[8192] = "";
		FILE *f = fopen(self->d.log, "r");

		if (f) {
			log[fread(log, 1, sizeof(log) - 1, f)] = '\0';
			fclose(f);
		}
		TH_LOG("ktlsd's log:\n%s", log);
	}
	/* The monitor exits 1 by itself: daemon_stop finds it gone. */
	EXPECT_EQ(0, daemon_wait_log(&self->d, "stopping ktlsd", 100));
	EXPECT_EQ(1, daemon_stop(&self->d));
}

/* A key that is not the certificate's: ktlsd does not start, and says where. */
TEST_F(privsep, mismatched_key_stops_the_start)
{
	const char *const args[] = { "-f", "-c", self->d.conf, NULL };
	char cert[PATH_MAX], other[PATH_MAX], conf[3 * PATH_MAX], out[8192];

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("client.key", other, sizeof(other));
	snprintf(conf, sizeof(conf),
		 "[handoff]\npath = %s\n[server]\ncertificate = %s\nprivate_key = %s\n",
		 self->d.sock, cert, other);
	ASSERT_EQ(0, daemon_write_raw(&self->d, conf));
	ASSERT_EQ(2, ktlsd_run_for(args, 20, out, sizeof(out))) TH_LOG("%s", out);
	snprintf(conf, sizeof(conf), "%s:5: [server]: private key %s does not match certificate %s",
		 self->d.conf, other, cert);
	EXPECT_NE(NULL, strstr(out, conf)) TH_LOG("%s", out);
}

/* SIGHUP: a new worker and key process; the old ones go. */
TEST_F(privsep, reload_replaces_worker_and_key_process)
{
	pid_t worker, keys, now;

	ASSERT_EQ(0, daemon_start(&self->d));
	ASSERT_EQ(0, daemon_wait_log(&self->d, "ready:", 5000));
	worker = daemon_child(&self->d, "ktlsd-worker");
	keys = daemon_child(&self->d, "ktlsd-keys");
	ASSERT_LT(0, worker);
	ASSERT_LT(0, keys);
	ASSERT_EQ(0, kill(self->d.pid, SIGHUP));
	ASSERT_EQ(0, daemon_wait_log(&self->d, "reloaded (worker pid", 10000));
	for (int i = 0; i < 50; i++) {
		if (kill(worker, 0) && kill(keys, 0))
			break;
		usleep(100000);
	}
	EXPECT_NE(0, kill(worker, 0)) TH_LOG("the old worker still runs");
	EXPECT_NE(0, kill(keys, 0)) TH_LOG("the old key process still runs");
	now = daemon_child(&self->d, "ktlsd-worker");
	EXPECT_LT(0, now);
	EXPECT_NE(worker, now);
	EXPECT_EQ(0, daemon_stop(&self->d));
}

TEST_HARNESS_MAIN
