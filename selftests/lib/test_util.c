// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "test_util.h"

#define CHUNK (64 * 1024)

void test_pki(struct test_pki *pki)
{
	const char *dir = getenv("KTLSD_TEST_CERTS");

	if (!dir)
		dir = "build/test-certs";
	snprintf(pki->ca, sizeof(pki->ca), "%s/ca.pem", dir);
	snprintf(pki->cert, sizeof(pki->cert), "%s/server.pem", dir);
	snprintf(pki->key, sizeof(pki->key), "%s/server.key", dir);
}

void test_pki_file(const char *name, char *path, size_t path_len)
{
	const char *dir = getenv("KTLSD_TEST_CERTS");

	snprintf(path, path_len, "%s/%s", dir ? dir : "build/test-certs", name);
}

int tcp_pair(int *client_fd, int *server_fd)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(addr);
	int lfd, cfd = -1, sfd, ret = 0;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&addr, &len)) {
		ret = -errno;
		goto close_listener;
	}
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = -errno;
		goto close_client;
	}
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (sfd < 0) {
		ret = -errno;
		goto close_client;
	}
	*client_fd = cfd;
	*server_fd = sfd;
	goto close_listener;

close_client:
	if (cfd >= 0)
		close(cfd);
close_listener:
	close(lfd);
	return ret;
}

int ktls_tcp_pair(int *client_fd, int *server_fd)
{
	int ret;

	*client_fd = -1;
	*server_fd = -1;
	ret = ktls_kernel_has_tls();
	return ret ? ret : tcp_pair(client_fd, server_fd);
}

static ssize_t fd_send(void *handle, const void *buf, size_t len)
{
	ssize_t n = send(*(int *)handle, buf, len, MSG_NOSIGNAL);

	return n < 0 ? -errno : n;
}

static ssize_t fd_recv(void *handle, void *buf, size_t len)
{
	ssize_t n = recv(*(int *)handle, buf, len, 0);

	return n < 0 ? -errno : n;
}

static void fd_abort(void *handle)
{
	shutdown(*(int *)handle, SHUT_RDWR);
}

void fd_stream(struct stream *stream, int *fd)
{
	stream->send = fd_send;
	stream->recv = fd_recv;
	stream->abort = fd_abort;
	stream->handle = fd;
}

int stream_send_random(const struct stream *stream, size_t len,
		       uint8_t digest[DIGEST_LEN])
{
	static __thread uint8_t buf[CHUNK];
	wc_Sha256 sha;
	size_t done = 0;
	int ret = 0;

	wc_InitSha256(&sha);
	while (done < len) {
		size_t n = len - done < CHUNK ? len - done : CHUNK;
		size_t off = 0;

		if (getrandom(buf, n, 0) != (ssize_t)n) {
			ret = -EIO;
			break;
		}
		wc_Sha256Update(&sha, buf, (word32)n);
		while (off < n) {
			ssize_t w = stream->send(stream->handle, buf + off,
						 n - off);

			if (w == -EINTR)
				continue;
			if (w <= 0) {
				ret = w ? (int)w : -EPIPE;
				goto out;
			}
			off += (size_t)w;
		}
		done += n;
	}
out:
	wc_Sha256Final(&sha, digest);
	return ret;
}

int stream_recv_digest(const struct stream *stream, size_t len,
		       uint8_t digest[DIGEST_LEN])
{
	static __thread uint8_t buf[CHUNK];
	wc_Sha256 sha;
	size_t done = 0;
	int ret = 0;

	wc_InitSha256(&sha);
	while (done < len) {
		size_t want = len - done < CHUNK ? len - done : CHUNK;
		ssize_t n = stream->recv(stream->handle, buf, want);

		if (n == -EINTR)
			continue;
		if (n <= 0) {
			ret = n ? (int)n : -EPROTO;
			break;
		}
		wc_Sha256Update(&sha, buf, (word32)n);
		done += (size_t)n;
	}
	wc_Sha256Final(&sha, digest);
	return ret;
}

struct sender {
	const struct stream *stream;
	size_t len;
	uint8_t *digest;
	int ret;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	s->ret = stream_send_random(s->stream, s->len, s->digest);
	return NULL;
}

int stream_duplex(const struct stream *stream, size_t len,
		  uint8_t sent[DIGEST_LEN], uint8_t received[DIGEST_LEN])
{
	struct sender s = { .stream = stream, .len = len, .digest = sent };
	pthread_t thread;
	int ret;

	ret = -pthread_create(&thread, NULL, sender_main, &s);
	if (ret)
		return ret;
	ret = stream_recv_digest(stream, len, received);
	if (ret && stream->abort)
		stream->abort(stream->handle);
	pthread_join(thread, NULL);
	return ret ? ret : s.ret;
}

int sha256(const void *buf, size_t len, uint8_t digest[DIGEST_LEN])
{
	return wc_Sha256Hash(buf, (word32)len, digest) ? -EIO : 0;
}

int sha256_file(const char *path, uint8_t digest[DIGEST_LEN])
{
	static __thread uint8_t buf[CHUNK];
	wc_Sha256 sha;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	wc_InitSha256(&sha);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		wc_Sha256Update(&sha, buf, (word32)n);
	wc_Sha256Final(&sha, digest);
	close(fd);
	return n < 0 ? -EIO : 0;
}

int random_file(size_t len, char *path, size_t path_len)
{
	static __thread uint8_t buf[CHUNK];
	const char *dir = getenv("TMPDIR");
	size_t done = 0;
	int fd, ret = 0;

	snprintf(path, path_len, "%s/ktlsd-test-XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	while (done < len && !ret) {
		size_t n = len - done < CHUNK ? len - done : CHUNK;

		if (getrandom(buf, n, 0) != (ssize_t)n ||
		    write(fd, buf, n) != (ssize_t)n)
			ret = -EIO;
		done += n;
	}
	close(fd);
	if (ret)
		unlink(path);
	return ret;
}

static void *peer_main(void *arg)
{
	struct peer *peer = arg;

	peer->ret = peer->fn(peer);
	if (peer->ret)
		snprintf(peer->reason, sizeof(peer->reason), "%s",
			 ktls_reason());
	return NULL;
}

int peer_start(struct peer *peer, int (*fn)(struct peer *peer), void *arg)
{
	memset(peer, 0, sizeof(*peer));
	peer->fn = fn;
	peer->arg = arg;
	return -pthread_create(&peer->thread, NULL, peer_main, peer);
}

int peer_join(struct peer *peer)
{
	pthread_join(peer->thread, NULL);
	return peer->ret;
}

int tls_stat(const char *name, long long *value)
{
	FILE *f = fopen("/proc/net/tls_stat", "re");
	char key[64];
	long long v;
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%63s %lld", key, &v) == 2) {
		if (!strcmp(key, name)) {
			*value = v;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}
