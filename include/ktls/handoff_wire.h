/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The handoff's wire format, shared by libktls (userspace/lib/
 * handoff_client.c) and the ktlsd daemon (userspace/ktlsd/handoff_server.c).
 * ktlsd's own, not installed API: applications use ktls/handoff.h, and
 * libktls and ktlsd speak this to each other. Any change to these structs
 * bumps KTLS_HANDOFF_VERSION; a peer of another version gets -EPROTO.
 *
 * One request per connection on a UNIX SOCK_SEQPACKET socket:
 *   1. the application connects and sends one struct ktls_handoff_wire_req
 *      with exactly one fd (a connected TCP socket) in SCM_RIGHTS;
 *   2. ktlsd runs the handshake on its copy of that socket, installs kernel
 *      TLS TX and RX, restores the file status flags it changed (O_NONBLOCK),
 *      closes its copy and answers with one struct ktls_handoff_wire_res;
 *   3. ktlsd closes the connection.
 * The fd is not sent back: the application's own fd refers to the same
 * socket, which now carries kernel TLS. Every message is exactly one
 * struct: a wrong size, magic or version, a string without its NUL, or a
 * missing or extra fd is rejected with -EBADMSG (or -EPROTO for the
 * version) and a reason.
 */
#ifndef KTLS_HANDOFF_WIRE_H
#define KTLS_HANDOFF_WIRE_H

#include <stdint.h>

#include "ktls/ktls.h"

#define KTLS_HANDOFF_MAGIC 0x6b746c73u	/* "ktls" */
#define KTLS_HANDOFF_VERSION 1

enum ktls_handoff_wire_role {
	KTLS_HANDOFF_WIRE_CLIENT = 1,
	KTLS_HANDOFF_WIRE_SERVER = 2,
};

#define KTLS_HANDOFF_NAME_MAX 256
#define KTLS_HANDOFF_ALPN_MAX 256

struct ktls_handoff_wire_req {
	uint32_t magic;
	uint16_t version;
	uint16_t size;		/* sizeof(struct ktls_handoff_wire_req) */
	uint32_t role;		/* enum ktls_handoff_wire_role */
	int32_t timeout_ms;	/* 0: the daemon's default */
	char server_name[KTLS_HANDOFF_NAME_MAX];	/* NUL-terminated */
	char alpn[KTLS_HANDOFF_ALPN_MAX];	/* "h2,http/1.1", "" for none */
};

struct ktls_handoff_wire_res {
	uint32_t magic;
	uint16_t version;
	uint16_t size;		/* sizeof(struct ktls_handoff_wire_res) */
	int32_t status;		/* 0 or -errno */
	char reason[256];
	char tls_version[16];
	char cipher[64];
	char alpn[64];
	char peer[256];
};

#endif /* KTLS_HANDOFF_WIRE_H */
