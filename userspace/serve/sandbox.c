// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What ktls-serve may still do once it serves (issue 11, finding 3):
 *  - --user NAME: after the listeners are bound and the key is loaded
 *    (with --ktlsd there is no key at all), become that user with only
 *    its group, and check that root cannot be had back;
 *  - never dumpable (no core file, no ptrace by the same uid): the key
 *    of an in-process server is in its memory;
 *  - a seccomp filter (libseccomp) over the whole process with the
 *    system calls serving needs; anything else kills the process with
 *    SIGSYS (SCMP_ACT_KILL_PROCESS): a parser bug cannot exec, ptrace,
 *    open sockets to elsewhere or change its identity.
 * The allow-list was found with strace -f over selftests/serve (both TLS
 * paths, sendfile and splice, --ktlsd in the VM).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "serve.h"

int sandbox_lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		int err = errno;

		/* getpwnam(3): these mean the name was not found. */
		if (!err || err == ENOENT || err == ESRCH || err == EBADF ||
		    err == EPERM) {
			fprintf(stderr, "ktls-serve: --user %s: no such user\n",
				name);
			return -ENOENT;
		}
		fprintf(stderr, "ktls-serve: --user %s: %s\n", name,
			strerror(err));
		return -err;
	}
	if (!pw->pw_uid) {
		fprintf(stderr, "ktls-serve: --user %s: that is root\n", name);
		return -EINVAL;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int sandbox_drop_user(const struct serve_config *cfg)
{
	gid_t gid = cfg->gid;
	int err;

	if (!cfg->user)
		return 0;
	/* glibc applies these to every thread of the process. */
	if (setgroups(1, &gid) || setgid(cfg->gid) || setuid(cfg->uid)) {
		err = errno;
		fprintf(stderr, "ktls-serve: --user %s: %s%s\n", cfg->user,
			strerror(err),
			err == EPERM ? " (only root can change its user)" : "");
		return -err;
	}
	/* A saved set-user-ID of 0 would let it come back: make sure not. */
	if (!setuid(0) || !setgid(0) || !geteuid() || !getegid()) {
		fprintf(stderr, "ktls-serve: --user %s: root could be regained\n",
			cfg->user);
		return -EPERM;
	}
	return 0;
}

/* Every system call ktls-serve makes once it serves. */
static const int allowed[] = {
	/* the rings, the sockets, the bodies */
	SCMP_SYS(io_uring_enter), SCMP_SYS(accept4), SCMP_SYS(sendfile),
	SCMP_SYS(splice), SCMP_SYS(pipe2), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom),
	SCMP_SYS(recvmsg), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
	SCMP_SYS(getpeername), SCMP_SYS(getsockname), SCMP_SYS(shutdown),
	SCMP_SYS(connect), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_ctl),
	/* files beneath the root */
	SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(close), SCMP_SYS(read),
	SCMP_SYS(pread64), SCMP_SYS(write), SCMP_SYS(writev),
	SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(statx), SCMP_SYS(fcntl), SCMP_SYS(fadvise64),
	/* memory, threads, time, signals */
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk),
	SCMP_SYS(madvise), SCMP_SYS(mprotect), SCMP_SYS(futex),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigtimedwait),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(sched_yield), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(tgkill), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
	/* a worker thread still starting when the filter went in */
	SCMP_SYS(rseq), SCMP_SYS(set_robust_list),
	/* the sanitizer runtime, on thread start and exit (make asan) */
	SCMP_SYS(sigaltstack), SCMP_SYS(sched_getaffinity),
};

int sandbox_seccomp(void)
{
	scmp_filter_ctx ctx;
	size_t i;
	int ret;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return -errno;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	/* Every thread, the workers already running included. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (i = 0; !ret && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	/* Sockets: only the UNIX one a --ktlsd handoff opens. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				       SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	/* stdio asks whether stderr is a terminal; nothing else. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_EQ, TCGETS));
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret)
		fprintf(stderr, "ktls-serve: cannot install the seccomp filter: %s\n",
			strerror(-ret));
	return ret;
}
