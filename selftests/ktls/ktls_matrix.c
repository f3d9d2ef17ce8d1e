// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every version and cipher suite ktlsd negotiates, like the kernel's own
 * net/tls selftest: a variant per (version, suite), each moving data both
 * ways through kernel TLS and a file with sendfile(), SHA-256 checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_config.h"

#define TRANSFER (4 * MiB)

FIXTURE(matrix)
{
	int client_fd, server_fd;
	struct test_opts opts;
};

FIXTURE_VARIANT(matrix)
{
	uint16_t version;
	const char *cipher;
	bool rsa;
};

FIXTURE_VARIANT_ADD(matrix, tls13_aes_128_gcm)
{
	.version = KTLS_TLS_1_3,
	.cipher = "TLS_AES_128_GCM_SHA256",
	.rsa = false,
};

FIXTURE_VARIANT_ADD(matrix, tls13_aes_256_gcm)
{
	.version = KTLS_TLS_1_3,
	.cipher = "TLS_AES_256_GCM_SHA384",
	.rsa = false,
};

FIXTURE_VARIANT_ADD(matrix, tls13_chacha20_poly1305)
{
	.version = KTLS_TLS_1_3,
	.cipher = "TLS_CHACHA20_POLY1305_SHA256",
	.rsa = false,
};

FIXTURE_VARIANT_ADD(matrix, tls13_aes_128_ccm)
{
	.version = KTLS_TLS_1_3,
	.cipher = "TLS_AES_128_CCM_SHA256",
	.rsa = false,
};

FIXTURE_VARIANT_ADD(matrix, tls13_aes_128_gcm_rsa)
{
	.version = KTLS_TLS_1_3,
	.cipher = "TLS_AES_128_GCM_SHA256",
	.rsa = true,
};

FIXTURE_VARIANT_ADD(matrix, tls12_ecdsa_aes_128_gcm)
{
	.version = KTLS_TLS_1_2,
	.cipher = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	.rsa = false,
};

FIXTURE_VARIANT_ADD(matrix, tls12_ecdsa_aes_256_gcm)
{
	.version = KTLS_TLS_1_2,
	.cipher = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	.rsa = false,
};

FIXTURE_VARIANT_ADD(matrix, tls12_ecdsa_chacha20_poly1305)
{
	.version = KTLS_TLS_1_2,
	.cipher = "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	.rsa = false,
};

FIXTURE_VARIANT_ADD(matrix, tls12_rsa_aes_128_gcm)
{
	.version = KTLS_TLS_1_2,
	.cipher = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	.rsa = true,
};

FIXTURE_VARIANT_ADD(matrix, tls12_rsa_aes_256_gcm)
{
	.version = KTLS_TLS_1_2,
	.cipher = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	.rsa = true,
};

FIXTURE_VARIANT_ADD(matrix, tls12_rsa_chacha20_poly1305)
{
	.version = KTLS_TLS_1_2,
	.cipher = "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	.rsa = true,
};

FIXTURE_SETUP(matrix)
{
	int ret = ktls_tcp_pair(&self->client_fd, &self->server_fd);

	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
	self->opts = (struct test_opts){
		.version = variant->version,
		.cipher = variant->cipher,
		.rsa = variant->rsa,
	};
}

FIXTURE_TEARDOWN(matrix)
{
	if (self->client_fd >= 0)
		close(self->client_fd);
	if (self->server_fd >= 0)
		close(self->server_fd);
}

struct server_job {
	int fd;
	const struct test_opts *opts;
	const char *path;	/* sendfile this, or NULL for duplex data */
};

static int sendfile_all(int fd, const char *path)
{
	off_t offset = 0;
	struct stat st;
	int file, ret = 0;

	file = open(path, O_RDONLY | O_CLOEXEC);
	if (file < 0 || fstat(file, &st))
		return -errno;
	while (offset < st.st_size && !ret) {
		ssize_t n = sendfile(fd, file, &offset,
				     (size_t)(st.st_size - offset));

		if (n <= 0 && !(n < 0 && errno == EINTR))
			ret = n ? -errno : -EPIPE;
	}
	close(file);
	return ret;
}

static int server(struct peer *peer)
{
	struct server_job *job = peer->arg;
	struct ktls_session *session;
	struct stream stream;
	int ret;

	ret = test_handshake_opts(KTLS_ROLE_SERVER, job->fd, job->opts,
				  KTLS_TX | KTLS_RX, &session);
	if (ret)
		return ret;
	ktls_stream(&stream, session);
	if (job->path)
		ret = sendfile_all(job->fd, job->path);
	else
		ret = stream_duplex(&stream, TRANSFER, peer->sent,
				    peer->received);
	if (ret)
		shutdown(job->fd, SHUT_RDWR);
	else if (job->path)	/* fd-only, as for a socket ktlsd gave back */
		ret = ktls_close_notify_fd(job->fd);
	ktls_session_free(session);
	return ret;
}

static int client(struct __test_metadata *_metadata, int fd,
		  const struct test_opts *opts, struct ktls_session **session)
{
	const char *version = opts->version == KTLS_TLS_1_3 ? "TLSv1.3" :
							      "TLSv1.2";
	int ret;

	ret = test_handshake_opts(KTLS_ROLE_CLIENT, fd, opts,
				  KTLS_TX | KTLS_RX, session);
	EXPECT_EQ(0, ret) TH_LOG("client: %s", ktls_reason());
	if (ret)
		return ret;
	EXPECT_STREQ(version, ktls_session_version(*session));
	EXPECT_STREQ(opts->cipher, ktls_session_cipher(*session));
	return 0;
}

TEST_F_TIMEOUT(matrix, data_4mib_each_way, 120)
{
	struct server_job job = { .fd = self->server_fd, .opts = &self->opts };
	uint8_t sent[DIGEST_LEN], received[DIGEST_LEN];
	struct ktls_session *session = NULL;
	struct stream stream;
	struct peer peer;
	int ret;

	ASSERT_EQ(0, peer_start(&peer, server, &job));
	ret = client(_metadata, self->client_fd, &self->opts, &session);
	if (!ret) {
		ktls_stream(&stream, session);
		ret = stream_duplex(&stream, TRANSFER, sent, received);
		EXPECT_EQ(0, ret) TH_LOG("client data: %s", ktls_reason());
	}
	if (ret)
		shutdown(self->client_fd, SHUT_RDWR);
	EXPECT_EQ(0, peer_join(&peer)) TH_LOG("server: %s", peer.reason);
	ktls_session_free(session);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, memcmp(sent, peer.received, DIGEST_LEN));
	EXPECT_EQ(0, memcmp(peer.sent, received, DIGEST_LEN));
}

/*
 * sendfile() into kernel TLS, then close_notify on the fd alone
 * (ktls_close_notify_fd), read with ktls_recv().
 */
TEST_F_TIMEOUT(matrix, sendfile_then_close_notify, 120)
{
	struct server_job job = { .fd = self->server_fd, .opts = &self->opts };
	uint8_t file_digest[DIGEST_LEN], received[DIGEST_LEN];
	struct ktls_session *session = NULL;
	char path[PATH_MAX], byte[KTLS_RECV_MIN];
	struct stream stream;
	struct peer peer;
	int ret;

	ASSERT_EQ(0, random_file(TRANSFER, path, sizeof(path)));
	ASSERT_EQ(0, sha256_file(path, file_digest));
	job.path = path;

	ASSERT_EQ(0, peer_start(&peer, server, &job));
	ret = client(_metadata, self->client_fd, &self->opts, &session);
	if (!ret) {
		ktls_stream(&stream, session);
		ret = stream_recv_digest(&stream, TRANSFER, received);
		EXPECT_EQ(0, ret) TH_LOG("client data: %s", ktls_reason());
		/* Then the server's close_notify: a clean end of stream. */
		if (!ret)
			EXPECT_EQ(0, ktls_recv(session, byte, sizeof(byte)))
				TH_LOG("after the data: %s", ktls_reason());
	}
	if (ret)
		shutdown(self->client_fd, SHUT_RDWR);
	EXPECT_EQ(0, peer_join(&peer)) TH_LOG("server: %s", peer.reason);
	ktls_session_free(session);
	unlink(path);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, memcmp(file_digest, received, DIGEST_LEN));
}

FIXTURE(groups)
{
	int client_fd, server_fd;
};

FIXTURE_VARIANT(groups)
{
	uint16_t version;
	const char *group;
};

FIXTURE_VARIANT_ADD(groups, tls13_x25519)
{
	.version = KTLS_TLS_1_3,
	.group = "X25519",
};

FIXTURE_VARIANT_ADD(groups, tls13_p256)
{
	.version = KTLS_TLS_1_3,
	.group = "P-256",
};

FIXTURE_VARIANT_ADD(groups, tls13_p384)
{
	.version = KTLS_TLS_1_3,
	.group = "P-384",
};

FIXTURE_VARIANT_ADD(groups, tls12_x25519)
{
	.version = KTLS_TLS_1_2,
	.group = "X25519",
};

FIXTURE_VARIANT_ADD(groups, tls12_p256)
{
	.version = KTLS_TLS_1_2,
	.group = "P-256",
};

FIXTURE_VARIANT_ADD(groups, tls12_p384)
{
	.version = KTLS_TLS_1_2,
	.group = "P-384",
};

FIXTURE_SETUP(groups)
{
	int ret = ktls_tcp_pair(&self->client_fd, &self->server_fd);

	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(groups)
{
	if (self->client_fd >= 0)
		close(self->client_fd);
	if (self->server_fd >= 0)
		close(self->server_fd);
}

/* The server allows only one group; the client offers all three. */
TEST_F(groups, negotiated)
{
	struct test_opts server_opts = {
		.version = variant->version,
		.groups = variant->group,
	};
	struct test_opts client_opts = { .version = variant->version };
	struct server_job job = { .fd = self->server_fd, .opts = &server_opts };
	struct ktls_session *session = NULL;
	uint8_t sent[DIGEST_LEN], received[DIGEST_LEN];
	struct stream stream;
	struct peer peer;
	int ret;

	ASSERT_EQ(0, peer_start(&peer, server, &job));
	ret = test_handshake_opts(KTLS_ROLE_CLIENT, self->client_fd,
				  &client_opts, KTLS_TX | KTLS_RX, &session);
	EXPECT_EQ(0, ret) TH_LOG("client: %s", ktls_reason());
	if (!ret) {
		EXPECT_STREQ(variant->group, ktls_session_group(session));
		ktls_stream(&stream, session);
		ret = stream_duplex(&stream, TRANSFER, sent, received);
	}
	if (ret)
		shutdown(self->client_fd, SHUT_RDWR);
	EXPECT_EQ(0, peer_join(&peer)) TH_LOG("server: %s", peer.reason);
	ktls_session_free(session);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, memcmp(sent, peer.received, DIGEST_LEN));
}

TEST_HARNESS_MAIN
