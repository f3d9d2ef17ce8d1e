/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ktlsd as a child process of a test: a temp config, its log, its fds. */
#ifndef KTLSD_TEST_DAEMON_H
#define KTLSD_TEST_DAEMON_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon {
	pid_t pid;
	char dir[PATH_MAX];	/* temp dir, mode 0755 */
	char conf[PATH_MAX + 16];
	char sock[PATH_MAX + 16];
	char log[PATH_MAX + 16];	/* ktlsd's stderr */
};

/* $KTLSD_BIN/ktlsd, else BUILD/bin/ktlsd beside this test's BUILD/tests. */
void ktlsd_binary(char *path, size_t len);

/* Make the temp dir; sock/conf/log paths in it. */
int daemon_init(struct daemon *d);
/*
 * The usual body: [global] threads = 2, loglevel = debug, the timeout;
 * [handoff] path = d->sock, mode = 0666; [server] with the test PKI's ECDSA
 * certificate; [client] trusting the test CA. @extra is appended.
 */
int daemon_write_config(struct daemon *d, const char *timeout,
			const char *extra);
/* The same with @server's lines (e.g. "session_tickets = yes\n") in [server]. */
int daemon_write_config_server(struct daemon *d, const char *timeout,
			       const char *server, const char *extra);
int daemon_write_raw(struct daemon *d, const char *text);
/* Start ktlsd -f -c conf; wait until its socket answers (15 s). */
int daemon_start(struct daemon *d);
/* SIGTERM and wait: the exit status (0..255) or -1 if it was killed. */
int daemon_stop(struct daemon *d);
/* The pid of ktlsd's child named @comm ("ktlsd-worker", "ktlsd-keys"). */
pid_t daemon_child(const struct daemon *d, const char *comm);
/* Open fds of the daemon's worker, which holds every connection. */
int daemon_fd_count(const struct daemon *d);
/*
 * The count once it holds still (three reads 100 ms apart agree):
 * daemon_start()'s probe connection may still be open in ktlsd.
 */
int daemon_fd_count_stable(const struct daemon *d);
/* "fd=target " for each open fd of the worker, for failure messages. */
void daemon_fd_list(const struct daemon *d, char *out, size_t len);
/* Wait up to @ms for @text in the daemon's log. 0 if found. */
int daemon_wait_log(const struct daemon *d, const char *text, int ms);
/* Remove the temp dir and what is in it. */
void daemon_cleanup(struct daemon *d);

/*
 * Run ktlsd with @args to completion (as @uid unless -1); its stderr and
 * stdout in @out. Returns its exit status, or -1.
 */
int ktlsd_run(const char *const args[], uid_t uid, char *out, size_t len);
/* A file under /etc as ktlsd_run_etc() shows it: @name, e.g. "a/b". */
struct etc_file {
	const char *name;
	const char *text;	/* NULL: the file does not exist */
};

/*
 * ktlsd_run() as root, in a mount namespace whose /etc is an empty tmpfs
 * with only @etc's files (an array ending with a NULL name): for paths
 * ktlsd reads from /etc itself, without touching the host's.
 */
int ktlsd_run_etc(const char *const args[], const struct etc_file *etc,
		  char *out, size_t len);
/*
 * The same as our user, ended by SIGALRM after @secs: -1 if it was still
 * running then (it serves), -2 if it could not be run, else its exit status.
 */
int ktlsd_run_for(const char *const args[], int secs, char *out, size_t len);

/*
 * Call @fn on each writable mapping of @pid (up to 64 MiB each), read as
 * root through /proc/PID/mem, which an undumpable process does not stop,
 * until it returns non-zero: that value, 0 if none did, or -errno.
 */
int process_memory_scan(pid_t pid,
			int (*fn)(const uint8_t *buf, size_t len, void *arg),
			void *arg);

struct peer;
/*
 * peer_start() body: a libktls client (verifying "localhost" against the
 * test CA) handshaking on the fd *peer->arg points to, against ktlsd's
 * server role; its reason in peer->reason.
 */
int daemon_tls_client(struct peer *peer);

/* The raw private scalar of an ECDSA P-256 PEM key file: 0, or -1. */
int ec_scalar(const char *key_file, uint8_t *scalar, unsigned int *len);
/*
 * Whether @pid's writable memory holds @secret (1) or not (0), big- or
 * little-endian; -errno if it cannot be read (needs root).
 */
int memory_holds(pid_t pid, const uint8_t *secret, size_t len);

#endif /* KTLSD_TEST_DAEMON_H */
