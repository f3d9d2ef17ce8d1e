/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake ktlsd for the handoff tests: it takes one handoff (the request and
 * the socket passed with it) and answers "success" whatever it did, so a
 * test can check that libktls believes only what the socket shows.
 */
#ifndef KTLSD_FAKE_HANDOFF_H
#define KTLSD_FAKE_HANDOFF_H

/*
 * Accepts one connection on @listener and reads a whole request with one
 * passed socket: 0 with *@conn and *@fd open, or -errno (-EBADMSG for a
 * short request or no socket) with both closed.
 */
int fake_handoff_take(int listener, int *conn, int *fd);

/* Answers success naming @tls_version and @cipher, then closes @conn. */
int fake_handoff_succeed(int conn, const char *tls_version,
			 const char *cipher);

#endif
