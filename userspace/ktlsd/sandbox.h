/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the worker and the key process give up before they touch anything
 * from outside: root (their own uid), every capability (the upcall broker
 * stays root and keeps CAP_NET_ADMIN alone), core dumps and
 * ptrace (PR_SET_DUMPABLE 0), and every system call not on their list
 * (seccomp: a forbidden one kills the process).
 */
#ifndef KTLSD_SANDBOX_H
#define KTLSD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct ktlsd_identity {
	bool change;		/* false when not started as root */
	uid_t uid;
	gid_t gid;
	char name[64];
	char note[256];		/* why this user, for the log; "" if asked */
};

enum ktlsd_sandbox_kind {
	KTLSD_SANDBOX_WORKER,	/* handshakes, handoffs, upcalls */
	KTLSD_SANDBOX_KEYS,	/* the key process: signs, nothing else */
	KTLSD_SANDBOX_BROKER,	/* the upcall broker: netlink, keyrings */
};

/*
 * The user to run as: [global] user, else "ktlsd", else "nobody", else
 * 65534. -ENOENT with the reason in @err if a configured one is unknown.
 */
int ktlsd_identity_resolve(const struct ktlsd_config *config,
			   struct ktlsd_identity *id, char *err, size_t err_len);

/* Enter the sandbox for good. 0, or -errno with the reason in @err. */
int ktlsd_sandbox_enter(const struct ktlsd_identity *id,
			enum ktlsd_sandbox_kind kind, bool keep_net_admin,
			char *err, size_t err_len);

#endif /* KTLSD_SANDBOX_H */
