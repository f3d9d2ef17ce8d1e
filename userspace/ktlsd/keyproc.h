/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The key process: the only ktlsd process that ever holds a private key of
 * the configuration. It loads them (as root), enters its sandbox, and
 * answers signing requests from the worker (keyproc_wire.h) until the
 * worker goes; a malformed request ends it. See docs/design.md.
 */
#ifndef KTLSD_KEYPROC_H
#define KTLSD_KEYPROC_H

#include "config.h"
#include "sandbox.h"

/* Which config keys name which key (cert, key, line), for the table. */
struct keyproc_key_source {
	const char *cert_file, *key_file;
	const char *section;
	int line;
};

/* The private keys @config names, by enum keyproc_key_id; 0 if none. */
void keyproc_key_sources(const struct ktlsd_config *config,
			 struct keyproc_key_source *sources);

/*
 * The body of the forked key process: load, report on @status_fd ("" or
 * the error), serve @fds (@nfds request sockets), exit. Never returns.
 */
void keyproc_main(const struct ktlsd_config *config,
		  const struct ktlsd_identity *id, int status_fd,
		  const int *fds, int nfds) __attribute__((noreturn));

#endif /* KTLSD_KEYPROC_H */
