// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One end in kernel TLS, the other plain userspace WolfSSL that decrypts and
 * encrypts every record itself. If the kernel's records were not real TLS
 * under the negotiated keys and sequence numbers, WolfSSL would reject them.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "kselftest_harness.h"
#include "ktls/tls_prot.h"
#include "test_config.h"

#define TRANSFER (16 * MiB)

FIXTURE(userspace_peer)
{
	int client_fd, server_fd;
};

FIXTURE_VARIANT(userspace_peer)
{
	enum ktls_role ktls_role;	/* the end that uses kernel TLS */
};

FIXTURE_VARIANT_ADD(userspace_peer, ktls_server)
{
	.ktls_role = KTLS_ROLE_SERVER,
};

FIXTURE_VARIANT_ADD(userspace_peer, ktls_client)
{
	.ktls_role = KTLS_ROLE_CLIENT,
};

FIXTURE_SETUP(userspace_peer)
{
	int ret = ktls_tcp_pair(&self->client_fd, &self->server_fd);

	/* Before any thread: wolfSSL_Init is not safe to race with itself. */
	ASSERT_EQ(WOLFSSL_SUCCESS, wolfSSL_Init());
	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(userspace_peer)
{
	if (self->client_fd >= 0)
		close(self->client_fd);
	if (self->server_fd >= 0)
		close(self->server_fd);
}

static ssize_t wolfssl_send(void *handle, const void *buf, size_t len)
{
	int n = wolfSSL_write(handle, buf, (int)len);

	return n > 0 ? n : -EIO;
}

static ssize_t wolfssl_recv(void *handle, void *buf, size_t len)
{
	int n = wolfSSL_read(handle, buf, (int)len);

	return n > 0 ? n : -EIO;
}

struct wolfssl_job {
	enum ktls_role role;
	int fd;
	uint64_t records_received;
};

/*
 * The userspace end: stock WolfSSL with its own IO, nothing from libktls.
 * It receives first, then sends.
 */
static int wolfssl_peer(struct peer *peer)
{
	struct wolfssl_job *job = peer->arg;
	bool server = job->role == KTLS_ROLE_SERVER;
	struct stream stream = {
		.send = wolfssl_send, .recv = wolfssl_recv,
	};
	struct test_pki pki;
	WOLFSSL_CTX *ctx;
	WOLFSSL *ssl = NULL;
	word64 seq;
	int ret = -EPROTO;

	test_pki(&pki);
	ctx = wolfSSL_CTX_new(server ? wolfTLSv1_3_server_method() :
				       wolfTLSv1_3_client_method());
	if (!ctx)
		return -ENOMEM;
	if (server) {
		if (wolfSSL_CTX_use_certificate_chain_file(ctx, pki.cert) !=
			    WOLFSSL_SUCCESS ||
		    wolfSSL_CTX_use_PrivateKey_file(ctx, pki.key,
						    WOLFSSL_FILETYPE_PEM) !=
			    WOLFSSL_SUCCESS)
			goto free_ctx;
		/*
		 * A ticket would reach our kTLS client as a handshake record;
		 * reading those through kTLS is not in libktls yet, so this
		 * test keeps to data records.
		 */
		wolfSSL_CTX_no_ticket_TLSv13(ctx);
	} else if (wolfSSL_CTX_load_verify_locations(ctx, pki.ca, NULL) !=
		   WOLFSSL_SUCCESS) {
		goto free_ctx;
	}
	ssl = wolfSSL_new(ctx);
	if (!ssl || wolfSSL_set_fd(ssl, job->fd) != WOLFSSL_SUCCESS)
		goto free_ssl;
	ret = server ? wolfSSL_accept(ssl) : wolfSSL_connect(ssl);
	if (ret != WOLFSSL_SUCCESS) {
		ret = -ECONNABORTED;
		goto free_ssl;
	}

	stream.handle = ssl;
	ret = stream_recv_digest(&stream, TRANSFER, peer->received);
	if (ret)
		goto free_ssl;
	if (wolfSSL_GetPeerSequenceNumber(ssl, &seq) < 0) {
		ret = -EIO;
		goto free_ssl;
	}
	job->records_received = seq;
	ret = stream_send_random(&stream, TRANSFER, peer->sent);
free_ssl:
	wolfSSL_free(ssl);
free_ctx:
	wolfSSL_CTX_free(ctx);
	return ret;
}

TEST_F_TIMEOUT(userspace_peer, both_directions_16mib, 300)
{
	enum ktls_role ours = variant->ktls_role;
	int our_fd = ours == KTLS_ROLE_SERVER ? self->server_fd :
						self->client_fd;
	struct wolfssl_job job = {
		.role = ours == KTLS_ROLE_SERVER ? KTLS_ROLE_CLIENT :
						   KTLS_ROLE_SERVER,
		.fd = ours == KTLS_ROLE_SERVER ? self->client_fd :
						 self->server_fd,
	};
	uint8_t sent[DIGEST_LEN], received[DIGEST_LEN];
	struct ktls_session *session = NULL;
	struct stream stream;
	struct peer peer;
	int ret;

	ASSERT_EQ(0, peer_start(&peer, wolfssl_peer, &job));
	ret = test_handshake(ours, our_fd, KTLS_TX | KTLS_RX, &session);
	EXPECT_EQ(0, ret) TH_LOG("kTLS end: %s", ktls_reason());
	if (!ret) {
		fd_stream(&stream, &our_fd);
		ret = stream_send_random(&stream, TRANSFER, sent);
		EXPECT_EQ(0, ret) TH_LOG("kTLS send: %s", strerror(-ret));
		if (!ret)
			ret = stream_recv_digest(&stream, TRANSFER, received);
		EXPECT_EQ(0, ret) TH_LOG("kTLS receive: %s", strerror(-ret));
	}
	if (ret)
		shutdown(our_fd, SHUT_RDWR);
	ASSERT_EQ(0, peer_join(&peer))
		TH_LOG("WolfSSL end failed (%d): it rejected the kernel's records",
		       peer.ret);
	ktls_session_free(session);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, memcmp(sent, peer.received, DIGEST_LEN))
		TH_LOG("kernel TLS to WolfSSL bytes differ");
	EXPECT_EQ(0, memcmp(peer.sent, received, DIGEST_LEN))
		TH_LOG("WolfSSL to kernel TLS bytes differ");
	/* TLS records carry at most 16 KiB: there are at least this many. */
	EXPECT_LE((uint64_t)(TRANSFER / TLS_MAX_PLAINTEXT),
		  job.records_received);
}

TEST_HARNESS_MAIN
