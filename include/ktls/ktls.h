/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libktls: run a TLS handshake in userspace with WolfSSL, then hand the
 * connection's keys and record sequence numbers to kernel TLS.
 *
 * Functions return 0 or a negative errno. On failure, ktls_reason() says
 * why in words a user can act on; it is per thread and valid until the
 * next failing call in that thread.
 */
#ifndef KTLS_KTLS_H
#define KTLS_KTLS_H

#include <stdint.h>

enum ktls_role {
	KTLS_ROLE_CLIENT,
	KTLS_ROLE_SERVER,
};

struct ktls_config {
	enum ktls_role role;
	/* PEM certificate chain and its private key; required for a server. */
	const char *cert_file;
	const char *key_file;
	/* PEM trust store a client verifies the server against; NULL for the
	 * system bundle.
	 */
	const char *ca_file;
	/* Client: SNI, and the name the server certificate must carry. */
	const char *server_name;
	/* Whole-handshake deadline; 0 means KTLS_DEFAULT_TIMEOUT_MS. */
	int handshake_timeout_ms;
};

#define KTLS_DEFAULT_TIMEOUT_MS 10000

/* Directions for ktls_install(). */
#define KTLS_TX 0x1
#define KTLS_RX 0x2

struct ktls_ctx;	/* one configuration, shared by many sessions */
struct ktls_session;	/* one handshake on one socket */

int ktls_ctx_new(const struct ktls_config *config, struct ktls_ctx **ctx);
void ktls_ctx_free(struct ktls_ctx *ctx);

/*
 * Run the handshake on the connected TCP socket @fd (blocking or not; the
 * deadline is enforced with poll). The socket stays the caller's.
 */
int ktls_handshake(struct ktls_ctx *ctx, int fd,
		   struct ktls_session **session);

/*
 * Move the session's keys and next record sequence numbers into the
 * kernel for @dirs (KTLS_TX, KTLS_RX or both). After this, the socket is
 * read and written with plain read/write/sendfile; userspace never sees
 * the records again.
 */
int ktls_install(struct ktls_session *session, unsigned int dirs);

/* "TLSv1.3", and the IANA cipher suite name, e.g. "TLS_AES_128_GCM_SHA256". */
const char *ktls_session_version(const struct ktls_session *session);
const char *ktls_session_cipher(const struct ktls_session *session);

/* Frees the session and wipes its secrets; the socket is left open. */
void ktls_session_free(struct ktls_session *session);

const char *ktls_reason(void);

#endif /* KTLS_KTLS_H */
