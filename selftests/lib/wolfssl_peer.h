/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A peer that is plain userspace WolfSSL (nothing from libktls), with IO we
 * control: it can hold its last handshake flight back and send it in one
 * segment with the data that follows, and it can corrupt a record.
 */
#ifndef KTLSD_WOLFSSL_PEER_H
#define KTLSD_WOLFSSL_PEER_H

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "test_config.h"

struct wolfssl_peer {
	WOLFSSL_CTX *ctx;
	WOLFSSL *ssl;
	int fd;
	/* Hold every send after the first reply we receive, until flushed. */
	bool hold_last_flight;
	bool sent_any, holding;
	uint8_t held[128 * 1024];
	size_t held_len;
	/* Flip a bit in the next record sent once this is set. */
	bool corrupt_next;
};

/* Call once before any thread uses WolfSSL. */
int wolfssl_peer_init(void);

int wolfssl_peer_new(struct wolfssl_peer *peer, enum ktls_role role, int fd,
		     const struct test_opts *opts, bool session_tickets);
int wolfssl_peer_handshake(struct wolfssl_peer *peer);
/* Write @len bytes (held if holding); 0 or -errno. */
int wolfssl_peer_write(struct wolfssl_peer *peer, const void *buf, size_t len);
/* Send everything held in one send(2). */
int wolfssl_peer_flush(struct wolfssl_peer *peer);
void wolfssl_peer_stream(struct wolfssl_peer *peer, struct stream *stream);
void wolfssl_peer_free(struct wolfssl_peer *peer);

#endif /* KTLSD_WOLFSSL_PEER_H */
