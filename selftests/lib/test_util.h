/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the kTLS selftests: sockets, peers, data, digests, counters. */
#ifndef KTLSD_TEST_UTIL_H
#define KTLSD_TEST_UTIL_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ktls/ktls.h"

#define DIGEST_LEN 32
#define MiB (1024 * 1024)

/* The test PKI (selftests/pki) in $KTLSD_TEST_CERTS or build/test-certs. */
struct test_pki {
	char ca[PATH_MAX];	/* the CA that signed the server certificate */
	char cert[PATH_MAX];	/* server certificate for localhost, 127.0.0.1 */
	char key[PATH_MAX];
};

void test_pki(struct test_pki *pki);
/* @path = the test PKI file @name (e.g. "expired.pem"; make-certs.sh). */
void test_pki_file(const char *name, char *path, size_t path_len);

/* A connected TCP pair over 127.0.0.1. */
int tcp_pair(int *client_fd, int *server_fd);

/* Why a kTLS test skips: the one "unsupported" errno. */
#define NO_KTLS "kernel TLS unavailable (TCP_ULP \"tls\": ENOENT)"

/*
 * A connected pair kernel TLS can take: 0, -ENOENT where the kernel has no
 * kTLS (skip), else -errno. Both fds are -1 unless it succeeded.
 */
int ktls_tcp_pair(int *client_fd, int *server_fd);

/* How bytes move: plain send/recv on an fd, or a userspace TLS object. */
struct stream {
	ssize_t (*send)(void *handle, const void *buf, size_t len);
	ssize_t (*recv)(void *handle, void *buf, size_t len);
	/* Optional: make a blocked send return once receiving has failed. */
	void (*abort)(void *handle);
	void *handle;
};

void fd_stream(struct stream *stream, int *fd);

/* Send @len random bytes; @digest gets their SHA-256. */
int stream_send_random(const struct stream *stream, size_t len,
		       uint8_t digest[DIGEST_LEN]);
/* Receive exactly @len bytes (-EPROTO on early EOF); hash them. */
int stream_recv_digest(const struct stream *stream, size_t len,
		       uint8_t digest[DIGEST_LEN]);
/* Both at once: a thread sends while the caller receives. */
int stream_duplex(const struct stream *stream, size_t len,
		  uint8_t sent[DIGEST_LEN], uint8_t received[DIGEST_LEN]);

int sha256(const void *buf, size_t len, uint8_t digest[DIGEST_LEN]);
int sha256_file(const char *path, uint8_t digest[DIGEST_LEN]);
/* A file of @len random bytes under $TMPDIR (or /tmp); caller unlinks. */
int random_file(size_t len, char *path, size_t path_len);

/* A peer side run in a thread; its result and reason come back on join. */
struct peer {
	pthread_t thread;
	int (*fn)(struct peer *peer);
	void *arg;
	int ret;
	char reason[512];
	uint8_t sent[DIGEST_LEN], received[DIGEST_LEN];
};

int peer_start(struct peer *peer, int (*fn)(struct peer *peer), void *arg);
int peer_join(struct peer *peer);

/* A /proc/net/tls_stat counter; -ENOENT if the file or name is absent. */
int tls_stat(const char *name, long long *value);

#endif /* KTLSD_TEST_UTIL_H */
