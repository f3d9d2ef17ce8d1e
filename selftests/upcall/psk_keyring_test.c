// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A PSK server request (NVMe/TCP targets) without a fixed key: libupcall
 * finds the client's key by the identity in its ClientHello, among the
 * request's key serials and in its keyring, the description matched byte
 * for byte. Natively, with "user" keys in a keyring of our own (the
 * kernel's "psk" type needs its NVMe modules: nvme_tls runs that in the
 * VM); the handshake is a libktls client against upcall_prepare()'s server.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <keyutils.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "upcall_internal.h"
#include "psk_keyring.h"

#define HOST1 "NVMe0R01 nqn.2014-08.org.nvmexpress:uuid:1 nqn.test:subsys"
#define HOST2 "NVMe0R02 nqn.2014-08.org.nvmexpress:uuid:2 nqn.test:subsys"

static const uint8_t key32[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t prefix_key[32] = "this key belongs to a longer id.";
static const uint8_t key48[48] = "0123456789abcdef0123456789abcdef0123456789abcde";

FIXTURE(lookup)
{
	key_serial_t keyring, host1, host2, longer;
	struct upcall_req req;
	int fds[2];
};

FIXTURE_SETUP(lookup)
{
	memset(&self->req, 0, sizeof(self->req));
	self->fds[0] = -1;
	self->fds[1] = -1;
	self->keyring = add_key("keyring", "psk_keyring_test", NULL, 0,
				KEY_SPEC_PROCESS_KEYRING);
	ASSERT_LT(0, self->keyring) TH_LOG("add_key: %s", strerror(errno));
	/* Its description starts with HOST1's: the kernel's "psk" search
	 * would take one for the other.
	 */
	self->longer = add_key("user", HOST1 "-other", prefix_key,
			       sizeof(prefix_key), self->keyring);
	self->host1 = add_key("user", HOST1, key32, sizeof(key32),
			      self->keyring);
	self->host2 = add_key("user", HOST2, key48, sizeof(key48),
			      KEY_SPEC_PROCESS_KEYRING);
	ASSERT_LT(0, self->longer);
	ASSERT_LT(0, self->host1);
	ASSERT_LT(0, self->host2);
	self->req.msg_type = HANDSHAKE_MSG_TYPE_SERVERHELLO;
	self->req.auth_mode = HANDSHAKE_AUTH_PSK;
	self->req.keyring = self->keyring;
}

FIXTURE_TEARDOWN(lookup)
{
	keyctl_invalidate(self->host1);
	keyctl_invalidate(self->host2);
	keyctl_invalidate(self->longer);
	keyctl_invalidate(self->keyring);
	if (self->fds[0] >= 0)
		close(self->fds[0]);
	if (self->fds[1] >= 0)
		close(self->fds[1]);
}

/* upcall_psk_find() for @identity: its return, key and serial. */
static int find(const struct upcall_req *req, const char *identity,
		uint8_t *key, size_t *len, const char **cipher,
		int32_t *serial)
{
	struct upcall_psk_lookup *lookup;
	int ret;

	*serial = 0;
	*len = 0;
	*cipher = NULL;
	ret = upcall_psk_lookup_new(req, serial, &lookup);
	if (ret)
		return ret;
	ret = upcall_psk_find(lookup, identity, key, 64, len, cipher);
	upcall_psk_lookup_free(lookup);
	return ret;
}

TEST_F(lookup, in_keyring_exact_description)
{
	const char *cipher;
	int32_t serial;
	uint8_t key[64];
	size_t len;

	ASSERT_EQ(0, find(&self->req, HOST1, key, &len, &cipher, &serial));
	EXPECT_EQ(self->host1, serial);
	ASSERT_EQ(sizeof(key32), len);
	EXPECT_EQ(0, memcmp(key, key32, len));
	EXPECT_EQ(NULL, cipher);
}

TEST_F(lookup, prefix_is_not_a_match)
{
	const char *cipher;
	int32_t serial;
	uint8_t key[64];
	size_t len;

	EXPECT_EQ(-ENOKEY, find(&self->req, "NVMe0R01 nqn.2014-08", key,
				&len, &cipher, &serial));
	EXPECT_EQ(0, serial);
}

TEST_F(lookup, among_peer_identities)
{
	const char *cipher;
	int32_t serial;
	uint8_t key[64];
	size_t len;

	/* Not in the keyring: only the request's list names it. */
	self->req.keyring = 0;
	self->req.num_peerids = 2;
	self->req.peerids[0] = self->host1;
	self->req.peerids[1] = self->host2;
	ASSERT_EQ(0, find(&self->req, HOST2, key, &len, &cipher, &serial));
	EXPECT_EQ(self->host2, serial);
	ASSERT_EQ(sizeof(key48), len);
	/* "02": SHA-384. */
	EXPECT_STREQ("TLS_AES_256_GCM_SHA384", cipher);
}

TEST_F(lookup, unknown_identity_enokey)
{
	const char *cipher;
	int32_t serial;
	uint8_t key[64];
	size_t len;

	/* In our process keyring, but not in the keyring the request names. */
	EXPECT_EQ(-ENOKEY, find(&self->req, HOST2, key, &len, &cipher,
				&serial));
	EXPECT_EQ(0, serial);
}

/*
 * No keyring in the request (Linux 6.12's nvmet-tcp): .nvme only (absent
 * here), never our process keyring, where other requests' keyrings are
 * linked while they run, as ours is now.
 */
TEST_F(lookup, without_keyring_not_our_keyrings)
{
	const char *cipher;
	int32_t serial;
	uint8_t key[64];
	size_t len;

	self->req.keyring = 0;
	self->req.num_peerids = 1;	/* what 6.12 sends: one, 0 */
	EXPECT_EQ(-ENOKEY, find(&self->req, HOST1, key, &len, &cipher,
				&serial));
	EXPECT_EQ(0, serial);
}

struct client_job {
	int fd;
	const char *identity;
	const uint8_t *key;
	size_t key_len;
	const char *ciphers;
	char cipher[64];
};

static int client_run(struct peer *peer)
{
	struct client_job *job = peer->arg;
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.psk_identity = job->identity,
		.psk_key = job->key,
		.psk_key_len = job->key_len,
		.ciphers = job->ciphers,
		.handshake_timeout_ms = 15000,
	};
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	int ret;

	ret = ktls_ctx_new(&config, &ctx);
	if (ret)
		return ret;
	ret = ktls_handshake(ctx, job->fd, &session);
	if (!ret)
		snprintf(job->cipher, sizeof(job->cipher), "%s",
			 ktls_session_cipher(session));
	else
		snprintf(peer->reason, sizeof(peer->reason), "%s",
			 ktls_reason());
	shutdown(job->fd, SHUT_RDWR);
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	return ret;
}

/* The server side as ktlsd runs it: upcall_prepare(), then its steps. */
static int serve(struct __test_metadata *_metadata, struct upcall_req *req,
		 struct client_job *client, int32_t *serial, char *reason,
		 size_t reason_len)
{
	struct upcall_serve_config cfg = { .timeout_ms = 15000 };
	struct upcall_handshake *hs = NULL;
	struct peer peer;
	int ret;

	ret = upcall_prepare(req, &cfg, &hs);
	if (ret)
		return ret;
	ASSERT_EQ(0, peer_start(&peer, client_run, client));
	while ((ret = ktls_handshake_step(hs->session)) == -EAGAIN) {
		struct pollfd pfd = {
			.fd = req->sockfd,
			.events = ktls_session_wants(hs->session),
		};

		if (poll(&pfd, 1, 15000) <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	snprintf(reason, reason_len, "%s", ret ? ktls_reason() : "");
	*serial = hs->psk_serial;
	shutdown(req->sockfd, SHUT_RDWR);
	peer_join(&peer);
	TH_LOG("client: %d %s", peer.ret, peer.reason);
	/* What upcall_finish() would free, without a kernel to tell. */
	ktls_session_free(hs->session);
	ktls_ctx_free(hs->ctx);
	free(hs->psk_identity);
	upcall_key_free(hs->psk_key, hs->psk_key_len);
	upcall_psk_lookup_free(hs->psk_lookup);
	free(hs);
	return ret;
}

TEST_F(lookup, handshake_uses_the_found_key)
{
	struct client_job client = { .identity = HOST1, .key = key32,
				     .key_len = sizeof(key32) };
	char reason[512];
	int32_t serial;

	ASSERT_EQ(0, tcp_pair(&self->fds[0], &self->fds[1]));
	client.fd = self->fds[0];
	self->req.sockfd = self->fds[1];
	EXPECT_EQ(0, serve(_metadata, &self->req, &client, &serial, reason,
			   sizeof(reason)))
		TH_LOG("server: %s", reason);
	/* REMOTE_AUTH would be the key both ends proved they hold. */
	EXPECT_EQ(self->host1, serial);
	EXPECT_STREQ("TLS_AES_128_GCM_SHA256", client.cipher);
}

TEST_F(lookup, handshake_sha384_identity)
{
	struct client_job client = { .identity = HOST2, .key = key48,
				     .key_len = sizeof(key48),
				     .ciphers = "TLS_AES_256_GCM_SHA384" };
	char reason[512];
	int32_t serial;

	ASSERT_EQ(0, tcp_pair(&self->fds[0], &self->fds[1]));
	client.fd = self->fds[0];
	self->req.sockfd = self->fds[1];
	self->req.num_peerids = 1;
	self->req.peerids[0] = self->host2;
	EXPECT_EQ(0, serve(_metadata, &self->req, &client, &serial, reason,
			   sizeof(reason)))
		TH_LOG("server: %s", reason);
	EXPECT_EQ(self->host2, serial);
	EXPECT_STREQ("TLS_AES_256_GCM_SHA384", client.cipher);
}

TEST_F(lookup, handshake_unknown_identity_ekeyrejected)
{
	struct client_job client = { .identity = HOST2, .key = key48,
				     .key_len = sizeof(key48),
				     .ciphers = "TLS_AES_256_GCM_SHA384" };
	char reason[512];
	int32_t serial;

	ASSERT_EQ(0, tcp_pair(&self->fds[0], &self->fds[1]));
	client.fd = self->fds[0];
	self->req.sockfd = self->fds[1];
	EXPECT_EQ(-EKEYREJECTED, serve(_metadata, &self->req, &client,
				       &serial, reason, sizeof(reason)));
	EXPECT_STREQ("unknown PSK identity \"" HOST2 "\": the server has no key for it",
		     reason);
	EXPECT_EQ(0, serial);
	/* What DONE reports for it. */
	EXPECT_EQ(EKEYREJECTED, upcall_status_of(-EKEYREJECTED));
}

TEST(nvme_identity_ciphers)
{
	EXPECT_STREQ("TLS_AES_256_GCM_SHA384",
		     upcall_psk_cipher("NVMe1G02 h s digest"));
	EXPECT_EQ(NULL, upcall_psk_cipher("NVMe0R01 h s"));
	EXPECT_EQ(NULL, upcall_psk_cipher("nvme-host-1"));
	EXPECT_EQ(NULL, upcall_psk_cipher("NVMe"));
}

TEST_HARNESS_MAIN
