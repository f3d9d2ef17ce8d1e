// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Two ends of a loopback TCP connection handshake with libktls and move to
 * kernel TLS in both directions; then data crosses, and SHA-256 proves it
 * arrived whole. Skips only when attaching kernel TLS fails with ENOENT.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_config.h"

FIXTURE(loopback)
{
	int client_fd, server_fd;
	struct ktls_session *client;
	struct peer server;
};

FIXTURE_SETUP(loopback)
{
	int ret = ktls_tcp_pair(&self->client_fd, &self->server_fd);

	self->client = NULL;
	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(loopback)
{
	ktls_session_free(self->client);
	if (self->client_fd >= 0)
		close(self->client_fd);
	if (self->server_fd >= 0)
		close(self->server_fd);
}

struct duplex_job {
	int fd;
	size_t len;
};

static int server_duplex(struct peer *peer)
{
	struct duplex_job *job = peer->arg;
	struct ktls_session *session;
	struct stream stream;
	int ret;

	ret = test_handshake(KTLS_ROLE_SERVER, job->fd, KTLS_TX | KTLS_RX,
			     &session);
	if (ret)
		return ret;
	fd_stream(&stream, &job->fd);
	ret = stream_duplex(&stream, job->len, peer->sent, peer->received);
	if (ret)
		shutdown(job->fd, SHUT_RDWR);
	ktls_session_free(session);
	return ret;
}

/* 16 MiB each way at the same time, both ends in kernel TLS. */
TEST_F_TIMEOUT(loopback, duplex_16mib, 300)
{
	struct duplex_job job = { .fd = self->server_fd, .len = 16 * MiB };
	uint8_t sent[DIGEST_LEN], received[DIGEST_LEN];
	struct stream stream;
	int ret;

	ASSERT_EQ(0, peer_start(&self->server, server_duplex, &job));
	ret = test_handshake(KTLS_ROLE_CLIENT, self->client_fd,
			     KTLS_TX | KTLS_RX, &self->client);
	EXPECT_EQ(0, ret) TH_LOG("client: %s", ktls_reason());
	if (!ret) {
		EXPECT_STREQ("TLSv1.3", ktls_session_version(self->client));
		EXPECT_STREQ("TLS_AES_128_GCM_SHA256",
			     ktls_session_cipher(self->client));
		fd_stream(&stream, &self->client_fd);
		ret = stream_duplex(&stream, job.len, sent, received);
		EXPECT_EQ(0, ret) TH_LOG("client data: %s", strerror(-ret));
	}
	/* On any failure, unblock the server before joining it. */
	if (ret)
		shutdown(self->client_fd, SHUT_RDWR);
	ASSERT_EQ(0, peer_join(&self->server))
		TH_LOG("server: %s", self->server.reason);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, memcmp(sent, self->server.received, DIGEST_LEN))
		TH_LOG("client to server bytes differ");
	EXPECT_EQ(0, memcmp(self->server.sent, received, DIGEST_LEN))
		TH_LOG("server to client bytes differ");
}

struct sendfile_job {
	int fd;
	const char *path;
};

static int server_sendfile(struct peer *peer)
{
	struct sendfile_job *job = peer->arg;
	struct ktls_session *session;
	struct stat st;
	off_t offset = 0;
	int file, ret;

	ret = test_handshake(KTLS_ROLE_SERVER, job->fd, KTLS_TX, &session);
	if (ret)
		return ret;
	file = open(job->path, O_RDONLY | O_CLOEXEC);
	if (file < 0 || fstat(file, &st)) {
		ret = -errno;
		goto free_session;
	}
	/* File pages go to the kernel's AES-GCM, never through our buffer. */
	while (offset < st.st_size) {
		ssize_t n = sendfile(job->fd, file, &offset,
				     (size_t)(st.st_size - offset));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n ? -errno : -EPIPE;
			shutdown(job->fd, SHUT_RDWR);
			break;
		}
	}
	close(file);
free_session:
	ktls_session_free(session);
	return ret;
}

/* An 8 MiB file sendfile()d into the kernel TLS socket arrives intact. */
TEST_F_TIMEOUT(loopback, sendfile_8mib, 300)
{
	uint8_t file_digest[DIGEST_LEN], received[DIGEST_LEN];
	struct sendfile_job job = { .fd = self->server_fd };
	char path[PATH_MAX];
	struct stream stream;
	int ret;

	ASSERT_EQ(0, random_file(8 * MiB, path, sizeof(path)));
	ASSERT_EQ(0, sha256_file(path, file_digest));
	job.path = path;

	ASSERT_EQ(0, peer_start(&self->server, server_sendfile, &job));
	ret = test_handshake(KTLS_ROLE_CLIENT, self->client_fd, KTLS_RX,
			     &self->client);
	EXPECT_EQ(0, ret) TH_LOG("client: %s", ktls_reason());
	if (!ret) {
		fd_stream(&stream, &self->client_fd);
		ret = stream_recv_digest(&stream, 8 * MiB, received);
		EXPECT_EQ(0, ret) TH_LOG("client data: %s", strerror(-ret));
	}
	if (ret)
		shutdown(self->client_fd, SHUT_RDWR);
	EXPECT_EQ(0, peer_join(&self->server))
		TH_LOG("server: %s", self->server.reason);
	unlink(path);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, memcmp(file_digest, received, DIGEST_LEN))
		TH_LOG("received bytes differ from the file");
}

TEST_HARNESS_MAIN
