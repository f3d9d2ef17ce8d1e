// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dropping privileges (libcap-ng) and the seccomp filters (libseccomp) of
 * the worker and the key process; see sandbox.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/landlock.h>
#include <linux/sched.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cap-ng.h>

#include "sandbox.h"

#define FALLBACK_ID 65534	/* nobody on Debian */

static bool lookup(const char *name, struct ktlsd_identity *id)
{
	struct passwd *pw;
	char *end;
	long n;

	pw = getpwnam(name);
	if (pw) {
		id->uid = pw->pw_uid;
		id->gid = pw->pw_gid;
		snprintf(id->name, sizeof(id->name), "%s", name);
		return true;
	}
	n = strtol(name, &end, 10);
	if (*name && !*end && n > 0 && n < 0x7fffffff) {
		id->uid = (uid_t)n;
		id->gid = (gid_t)n;
		snprintf(id->name, sizeof(id->name), "uid %ld", n);
		return true;
	}
	return false;
}

int ktlsd_identity_resolve(const struct ktlsd_config *config,
			   struct ktlsd_identity *id, char *err, size_t err_len)
{
	memset(id, 0, sizeof(*id));
	if (geteuid() != 0) {
		id->uid = geteuid();
		id->gid = getegid();
		snprintf(id->name, sizeof(id->name), "uid %u",
			 (unsigned int)id->uid);
		snprintf(id->note, sizeof(id->note),
			 "not started as root: the worker and key processes keep uid %u, so the key files stay as readable to the worker as to ktlsd",
			 (unsigned int)id->uid);
		return 0;
	}
	id->change = true;
	if (config->user[0]) {
		if (lookup(config->user, id) && id->uid != 0)
			return 0;
		snprintf(err, err_len, "%s:%d: user = %s: %s", config->path,
			 config->user_line, config->user,
			 lookup(config->user, id) ?
			 "the worker must not run as root" :
			 "no such user: create it (useradd --system --no-create-home ktlsd) or name another");
		return -ENOENT;
	}
	if (lookup("ktlsd", id))
		return 0;
	if (lookup("nobody", id)) {
		snprintf(id->note, sizeof(id->note),
			 "no user ktlsd: the worker runs as nobody, which other daemons share; create one (useradd --system --no-create-home ktlsd) or set user = in [global]");
		return 0;
	}
	id->uid = FALLBACK_ID;
	id->gid = FALLBACK_ID;
	snprintf(id->name, sizeof(id->name), "uid %d", FALLBACK_ID);
	snprintf(id->note, sizeof(id->note),
		 "no user ktlsd or nobody in the password database: the worker runs as uid %d",
		 FALLBACK_ID);
	return 0;
}

static int drop_ids(const struct ktlsd_identity *id, bool keep_net_admin,
		    char *err, size_t err_len)
{
	int ret;

	capng_clear(CAPNG_SELECT_BOTH);
	if (keep_net_admin &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			 CAP_NET_ADMIN)) {
		snprintf(err, err_len, "cannot keep CAP_NET_ADMIN");
		return -EPERM;
	}
	ret = capng_change_id((int)id->uid, (int)id->gid,
			      CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (ret) {
		snprintf(err, err_len, "cannot change to %s (uid %u): capng_change_id %d",
			 id->name, (unsigned int)id->uid, ret);
		return -EPERM;
	}
	/* Proof, not hope: root must be gone for good. */
	if (setuid(0) == 0 || setgid(0) == 0 || geteuid() == 0) {
		snprintf(err, err_len, "could regain root after dropping it");
		return -EPERM;
	}
	return 0;
}

/* System calls both processes make (glibc, malloc, WolfSSL's RNG). */
static const int common_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(close), SCMP_SYS(openat), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(brk),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect),
	SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(futex),
	SCMP_SYS(getrandom), SCMP_SYS(clock_gettime),
	/*
	 * WolfSSL's ticket times call gettimeofday()/time(): the vDSO answers
	 * them, except where the clock source has no vDSO (6.1 under qemu
	 * TCG), and then they are system calls.
	 */
	SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(poll),
	SCMP_SYS(ppoll), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(fcntl),
	SCMP_SYS(mlock), SCMP_SYS(munlock), SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq), SCMP_SYS(sched_yield), SCMP_SYS(pause),
	SCMP_SYS(rt_sigaction),
	/* and the sanitizers' runtime, for make check's ASan pass */
	SCMP_SYS(sigaltstack), SCMP_SYS(sched_getaffinity),
};

/* And the worker: event loops, sockets, kernel TLS, threads. */
static const int worker_syscalls[] = {
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(eventfd2), SCMP_SYS(accept4),
	SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername), SCMP_SYS(shutdown), SCMP_SYS(ioctl),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(uname),
	SCMP_SYS(sysinfo), SCMP_SYS(pread64),
	SCMP_SYS(restart_syscall),
};

/*
 * And the upcall broker: keyrings (key serials, PSK lookups, REMOTE_AUTH
 * keys), socketpairs for the requests' channels. One thread: no clone.
 */
static const int broker_syscalls[] = {
	SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
	SCMP_SYS(socketpair), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(restart_syscall),
};

static int allow(scmp_filter_ctx f, const int *calls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int ret = seccomp_rule_add(f, SCMP_ACT_ALLOW, calls[i], 0);

		if (ret)
			return ret;
	}
	return 0;
}

static int seccomp_install(enum ktlsd_sandbox_kind kind, char *err,
			   size_t err_len)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int ret;

	if (!f) {
		snprintf(err, err_len, "seccomp_init failed");
		return -ENOMEM;
	}
	/* A binary tree: a syscall costs log(n) comparisons, not n. */
	ret = seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (!ret)
		ret = allow(f, common_syscalls,
			    sizeof(common_syscalls) / sizeof(common_syscalls[0]));
	/* Signals only to itself (abort(), raise()): never to the monitor. */
	if (!ret)
		ret = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	if (!ret && kind == KTLSD_SANDBOX_WORKER)
		ret = allow(f, worker_syscalls,
			    sizeof(worker_syscalls) / sizeof(worker_syscalls[0]));
	if (!ret && kind == KTLSD_SANDBOX_BROKER)
		ret = allow(f, broker_syscalls,
			    sizeof(broker_syscalls) / sizeof(broker_syscalls[0]));
	/* Threads, never processes: clone only with CLONE_THREAD. */
	if (!ret && kind != KTLSD_SANDBOX_BROKER)
		ret = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
					       CLONE_THREAD));
	/* clone3's flags are behind a pointer: glibc falls back to clone. */
	if (!ret && kind != KTLSD_SANDBOX_BROKER)
		ret = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS),
				       SCMP_SYS(clone3), 0);
	if (!ret)
		ret = seccomp_load(f);
	seccomp_release(f);
	if (ret) {
		snprintf(err, err_len, "cannot install the seccomp filter: %s",
			 strerror(-ret));
		return ret;
	}
	return 0;
}

/* Every file access Landlock's first ABI knows: all handled, so denied. */
#define LANDLOCK_FS_ALL							\
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |	\
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |	\
	 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |	\
	 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |	\
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |	\
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |	\
	 LANDLOCK_ACCESS_FS_MAKE_SYM)

/* What may still be read: WolfSSL's seed (first), the system trust store. */
static const struct {
	const char *path;
	uint64_t access;
} readable[] = {
	{ "/dev/urandom", LANDLOCK_ACCESS_FS_READ_FILE },
	{ "/etc/ssl", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR },
	{ "/usr/share/ca-certificates",
	  LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR },
};

/*
 * No file but those above can be opened from now on, whatever the uid:
 * the key files give EACCES. -EOPNOTSUPP if the kernel has no Landlock.
 */
static int landlock_files(enum ktlsd_sandbox_kind kind, char *err,
			  size_t err_len)
{
	/* The broker reads only WolfSSL's seed (it signs with key serials). */
	size_t nr = kind == KTLSD_SANDBOX_BROKER ? 1 :
		    sizeof(readable) / sizeof(readable[0]);
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = LANDLOCK_FS_ALL,
	};
	int ruleset, ret = 0;

	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
			       sizeof(attr), 0);
	if (ruleset < 0)
		return errno == ENOSYS || errno == EOPNOTSUPP ? -EOPNOTSUPP :
							       -errno;
	for (size_t i = 0; i < nr; i++) {
		struct landlock_path_beneath_attr rule = {
			.allowed_access = readable[i].access,
		};

		rule.parent_fd = open(readable[i].path, O_PATH | O_CLOEXEC);
		if (rule.parent_fd < 0)
			continue;	/* absent here: nothing to allow */
		if (syscall(SYS_landlock_add_rule, ruleset,
			    LANDLOCK_RULE_PATH_BENEATH, &rule, 0))
			ret = -errno;
		close(rule.parent_fd);
		if (ret)
			break;
	}
	if (!ret && syscall(SYS_landlock_restrict_self, ruleset, 0))
		ret = -errno;
	close(ruleset);
	if (ret)
		snprintf(err, err_len, "Landlock: %s", strerror(-ret));
	return ret;
}

/* Root, but with no capability beyond CAP_NET_ADMIN (the upcall broker). */
static int drop_caps(bool keep_net_admin, char *err, size_t err_len)
{
	capng_clear(CAPNG_SELECT_BOTH);
	if (keep_net_admin)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			     CAP_NET_ADMIN);
	if (capng_apply(CAPNG_SELECT_BOTH)) {
		snprintf(err, err_len, "cannot drop capabilities");
		return -EPERM;
	}
	return 0;
}

int ktlsd_sandbox_enter(const struct ktlsd_identity *id,
			enum ktlsd_sandbox_kind kind, bool keep_net_admin,
			char *err, size_t err_len)
{
	struct rlimit no_core = { 0, 0 };
	int ret;

	/* No core file, no ptrace, no /proc/PID/mem for the same uid. */
	if (prctl(PR_SET_DUMPABLE, 0) || setrlimit(RLIMIT_CORE, &no_core)) {
		ret = -errno;
		snprintf(err, err_len, "cannot make the process undumpable: %s",
			 strerror(-ret));
		return ret;
	}
	if (id->change) {
		ret = drop_ids(id, keep_net_admin, err, err_len);
		if (ret)
			return ret;
		/* A change of uid resets it to fs.suid_dumpable: again. */
		prctl(PR_SET_DUMPABLE, 0);
	} else if (geteuid() == 0) {
		ret = drop_caps(keep_net_admin, err, err_len);
		if (ret)
			return ret;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = -errno;
		snprintf(err, err_len, "PR_SET_NO_NEW_PRIVS: %s", strerror(-ret));
		return ret;
	}
	ret = landlock_files(kind, err, err_len);
	/* Without Landlock only the uid keeps the key files out of reach. */
	if (ret == -EOPNOTSUPP && id->change)
		ret = 0;
	else if (ret == -EOPNOTSUPP)
		snprintf(err, err_len,
			 "this kernel has no Landlock (CONFIG_SECURITY_LANDLOCK, lsm=landlock): the upcall broker, which stays root, could read the key files; refusing to run it so");
	if (ret)
		return ret;
	return seccomp_install(kind, err, err_len);
}
