/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libktls internals shared between its files; not installed. */
#ifndef KTLS_INTERNAL_H
#define KTLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "ktls/keysched.h"
#include "ktls/ktls.h"

#define TLS_RECORD_HEADER_LEN 5

/*
 * Record-exact socket IO for WolfSSL: a read never crosses the end of the
 * TLS record it is in, so at the switch to kernel TLS every byte the peer
 * sent after its Finished is still in the socket, where the kernel finds it.
 */
struct ktls_record_io {
	int fd;
	uint8_t header[TLS_RECORD_HEADER_LEN];
	size_t header_len;	/* bytes of the next header read so far */
	size_t body_left;	/* bytes of the current record not yet read */
	int last_errno;		/* errno of the last failed recv/send */
	bool peer_closed;
};

void ktls_record_io_init(struct ktls_record_io *rio, int fd);
int ktls_record_io_recv(WOLFSSL *ssl, char *buf, int len, void *ctx);
int ktls_record_io_send(WOLFSSL *ssl, char *buf, int len, void *ctx);
bool ktls_record_io_at_boundary(const struct ktls_record_io *rio);

/* A cipher suite we negotiate, and how the kernel names its cipher. */
struct ktls_suite {
	uint16_t iana;
	const char *name;	/* IANA name */
	const char *wolfssl_name;
	enum ktls_hash hash;
	uint16_t kernel_cipher;	/* TLS_CIPHER_* */
	const char *kernel_aead;	/* crypto API algorithm the kernel loads */
	uint8_t key_len;
	uint8_t salt_len;	/* implicit nonce part (GCM/CCM) */
	uint8_t iv_len;		/* explicit/per-record nonce part */
};

const struct ktls_suite *ktls_suite_find(uint16_t iana);

struct ktls_ctx {
	WOLFSSL_CTX *wolfssl;
	enum ktls_role role;
	char *server_name;
	int timeout_ms;
};

struct ktls_secret {
	uint8_t bytes[KTLS_MAX_HASH_LEN];
	size_t len;
};

struct ktls_session {
	WOLFSSL *ssl;
	int fd;
	enum ktls_role role;
	struct ktls_record_io rio;
	/* TLS 1.3 application traffic secrets from WolfSSL's secret callback */
	struct ktls_secret client_traffic;
	struct ktls_secret server_traffic;
	const struct ktls_suite *suite;
	bool ulp_attached;
	unsigned int installed;	/* KTLS_TX | KTLS_RX */
};

int ktls_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* KTLS_INTERNAL_H */
