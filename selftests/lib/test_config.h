/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Handshakes with a chosen version, suite, group and certificate. */
#ifndef KTLSD_TEST_CONFIG_H
#define KTLSD_TEST_CONFIG_H

#include "test_util.h"

struct test_opts {
	uint16_t version;	/* 0: TLS 1.2 and 1.3 */
	const char *cipher;	/* IANA name; NULL: all */
	const char *groups;	/* NULL: all */
	bool rsa;		/* server uses the RSA certificate */
	bool session_tickets;	/* server sends TLS 1.3 tickets */
	uint64_t key_update_records;	/* 0: the default */
};

/* Linux 6.14 and later can rekey kernel TLS (TLS 1.3 KeyUpdate). */
bool kernel_can_rekey(void);

/* The same with the defaults: both versions, every suite, ECDSA. */
int test_handshake(enum ktls_role role, int fd, unsigned int dirs,
		   struct ktls_session **session);

/* Handshake on @fd as @role with @opts, then install kTLS for @dirs. */
int test_handshake_opts(enum ktls_role role, int fd,
			const struct test_opts *opts, unsigned int dirs,
			struct ktls_session **session);

/* ktls_send() and ktls_recv(): records counted, control records handled. */
void ktls_stream(struct stream *stream, struct ktls_session *session);

#endif /* KTLSD_TEST_CONFIG_H */
