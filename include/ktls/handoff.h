/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The application side of ktlsd's handoff: pass a connected TCP socket to
 * the daemon, which runs the TLS handshake with keys the application cannot
 * read, installs kernel TLS in both directions and answers with the result.
 *
 * Functions return 0 or a negative errno; ktls_reason() says why.
 */
#ifndef KTLS_HANDOFF_H
#define KTLS_HANDOFF_H

#include <stdint.h>

#include "ktls/ktls.h"

#define KTLS_HANDOFF_DEFAULT_PATH "/run/ktlsd/handoff.sock"

struct ktls_handoff_request {
	enum ktls_role role;
	/* Client: SNI and the name the server certificate must carry. */
	const char *server_name;
	/*
	 * Comma-separated ALPN protocol names ("h2,http/1.1"): a client
	 * offers them, a server accepts the first of its own list the client
	 * offered. NULL: no ALPN.
	 */
	const char *alpn;
	/*
	 * Handshake deadline; 0 means the daemon's configured
	 * handshake_timeout, which also caps a longer one.
	 */
	int timeout_ms;
};

struct ktls_handoff_result {
	int status;		/* 0, or the negative errno of the failure */
	char reason[256];	/* why, when status is not 0 */
	char version[16];	/* "TLSv1.3" */
	char cipher[64];	/* IANA name */
	char alpn[64];		/* the protocol agreed on, "" for none */
	char peer[256];		/* peer certificate subject, "" for none */
};

/*
 * Blocking handoff: send @fd with @request to ktlsd listening at @path
 * (NULL: KTLS_HANDOFF_DEFAULT_PATH) and wait for the answer. On 0 the socket
 * has kernel TLS TX and RX installed and @result says what was agreed; on
 * -errno @result->reason (and ktls_reason()) says why, and the socket must
 * be closed: its TLS state is unknown. It fails closed: an answer of
 * success on a socket that does not carry the tls ULP gives -EPROTO.
 */
int ktls_handoff(const char *path, int fd,
		 const struct ktls_handoff_request *request,
		 struct ktls_handoff_result *result);

/*
 * The same for event loops: submit returns, in @handoff_fd, a non-blocking
 * socket that becomes readable when ktlsd answers; finish reads that answer
 * (waiting for it if called early), closes @handoff_fd and, on success,
 * checks that @fd (the socket given to submit) carries kernel TLS, TX and
 * RX both installed in the TLS version ktlsd reported, failing closed with
 * -EPROTO if not. The application must not touch @fd in
 * between. Submit never blocks: a daemon whose backlog is full gives
 * -EAGAIN at once.
 */
int ktls_handoff_submit(const char *path, int fd,
			const struct ktls_handoff_request *request,
			int *handoff_fd);
int ktls_handoff_finish(int handoff_fd, int fd,
			struct ktls_handoff_result *result);

#endif /* KTLS_HANDOFF_H */
