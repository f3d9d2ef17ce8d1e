// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What libupcall decides about a request before any handshake, without a
 * kernel: requests the kernel could send but ktlsd cannot serve, the DONE
 * status each failure becomes, and key serials holding DER (what tlshd
 * takes) as well as PEM. (ktlsd_upcall runs the rest in the VM
 * through a real kernel consumer, which cannot send an unknown mode.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <keyutils.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "upcall_internal.h"

FIXTURE(prepare)
{
	struct upcall_req req;
	struct upcall_serve_config cfg;
	struct test_pki pki;
	int fds[2];
};

FIXTURE_SETUP(prepare)
{
	memset(&self->req, 0, sizeof(self->req));
	memset(&self->cfg, 0, sizeof(self->cfg));
	test_pki(&self->pki);
	ASSERT_EQ(0, tcp_pair(&self->fds[0], &self->fds[1]));
	self->req.sockfd = self->fds[0];
	self->cfg.ca_file = self->pki.ca;
	self->cfg.cert_file = self->pki.cert;
	self->cfg.key_file = self->pki.key;
}

FIXTURE_TEARDOWN(prepare)
{
	close(self->fds[0]);
	close(self->fds[1]);
}

static int prepare(struct upcall_req *req, struct upcall_serve_config *cfg)
{
	struct upcall_handshake *hs = NULL;
	int ret = upcall_prepare(req, cfg, &hs);

	/* A started handshake is not what these tests expect. */
	if (!ret)
		return 1;
	return ret;
}

TEST_F(prepare, unknown_auth_mode_eopnotsupp)
{
	self->req.msg_type = HANDSHAKE_MSG_TYPE_SERVERHELLO;
	self->req.auth_mode = 7;
	EXPECT_EQ(-EOPNOTSUPP, prepare(&self->req, &self->cfg));
	EXPECT_STREQ("unknown auth mode 7", upcall_reason());
	EXPECT_EQ(EOPNOTSUPP, upcall_status_of(-EOPNOTSUPP));
}

TEST_F(prepare, unknown_message_type_einval)
{
	self->req.msg_type = 9;
	self->req.auth_mode = HANDSHAKE_AUTH_X509;
	EXPECT_EQ(-EINVAL, prepare(&self->req, &self->cfg));
	EXPECT_STREQ("unknown handshake message type 9", upcall_reason());
	EXPECT_EQ(EINVAL, upcall_status_of(-EINVAL));
}

TEST_F(prepare, unauthenticated_server_eopnotsupp)
{
	self->req.msg_type = HANDSHAKE_MSG_TYPE_SERVERHELLO;
	self->req.auth_mode = HANDSHAKE_AUTH_UNAUTH;
	EXPECT_EQ(-EOPNOTSUPP, prepare(&self->req, &self->cfg));
	EXPECT_STREQ("a server cannot be unauthenticated", upcall_reason());
}

/* A PSK server looks the client's identity up (psk_keyring_test); a
 * client must be given its key.
 */
TEST_F(prepare, psk_without_key_enokey)
{
	self->req.msg_type = HANDSHAKE_MSG_TYPE_CLIENTHELLO;
	self->req.auth_mode = HANDSHAKE_AUTH_PSK;
	EXPECT_EQ(-ENOKEY, prepare(&self->req, &self->cfg));
	EXPECT_STREQ("a PSK client handshake needs the PSK's key serial in "
		     "the request (peer identity), and the request has none",
		     upcall_reason());
	EXPECT_EQ(ENOKEY, upcall_status_of(-ENOKEY));
}

TEST_F(prepare, x509_client_without_identity_enokey)
{
	self->req.msg_type = HANDSHAKE_MSG_TYPE_CLIENTHELLO;
	self->req.auth_mode = HANDSHAKE_AUTH_X509;
	snprintf(self->req.peername, sizeof(self->req.peername), "localhost");
	EXPECT_EQ(-ENOKEY, prepare(&self->req, &self->cfg));
	EXPECT_STREQ("an x509 client handshake without key serials needs a "
		     "configured client certificate and private key, and "
		     "there is none",
		     upcall_reason());
}

/* A test PKI PEM file as DER: a certificate, or a PKCS#8 private key. */
static int pem_file_to_der(const char *name, bool key, uint8_t *der,
			   int der_max)
{
	char path[PATH_MAX];
	uint8_t pem[8192];
	size_t n;
	FILE *f;

	test_pki_file(name, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(pem, 1, sizeof(pem), f);
	fclose(f);
	return key ? wc_KeyPemToDer(pem, (int)n, der, der_max, NULL) :
		     wc_CertPemToDer(pem, (int)n, der, der_max, CERT_TYPE);
}

/*
 * The request names a certificate and a key by serial, each DER: @pkcs8
 * keeps the key as PKCS#8, else it goes as the traditional key inside it
 * (SEC 1 for EC, PKCS#1 for RSA). 0 if the handshake started.
 */
static int prepare_der(struct upcall_req *req, struct upcall_serve_config *cfg,
		       const char *cert, const char *key, bool pkcs8)
{
	uint8_t cert_der[4096], key_der[4096];
	int cert_len, key_len, ret;
	word32 offset = 0;

	cert_len = pem_file_to_der(cert, false, cert_der, sizeof(cert_der));
	key_len = pem_file_to_der(key, true, key_der, sizeof(key_der));
	if (cert_len <= 0 || key_len <= 0)
		return -EINVAL;
	if (!pkcs8) {
		ret = wc_GetPkcs8TraditionalOffset(key_der, &offset,
						   (word32)key_len);
		if (ret < 0)
			return -EINVAL;
	}
	req->msg_type = HANDSHAKE_MSG_TYPE_SERVERHELLO;
	req->auth_mode = HANDSHAKE_AUTH_X509;
	req->cert = add_key("user", "upcall_prepare_test cert", cert_der,
			    (size_t)cert_len, KEY_SPEC_PROCESS_KEYRING);
	req->privkey = add_key("user", "upcall_prepare_test key",
			       key_der + offset, (size_t)key_len - offset,
			       KEY_SPEC_PROCESS_KEYRING);
	if (req->cert < 0 || req->privkey < 0)
		return -errno;
	ret = prepare(req, cfg);
	keyctl_invalidate(req->cert);
	keyctl_invalidate(req->privkey);
	return ret == 1 ? 0 : ret;
}

TEST_F(prepare, der_ecdsa_pkcs8)
{
	EXPECT_EQ(0, prepare_der(&self->req, &self->cfg, "server.pem",
				 "server.key", true)) TH_LOG("%s", upcall_reason());
}

TEST_F(prepare, der_ecdsa_sec1)
{
	EXPECT_EQ(0, prepare_der(&self->req, &self->cfg, "server.pem",
				 "server.key", false)) TH_LOG("%s", upcall_reason());
}

TEST_F(prepare, der_rsa_pkcs8)
{
	EXPECT_EQ(0, prepare_der(&self->req, &self->cfg, "server-rsa.pem",
				 "server-rsa.key", true)) TH_LOG("%s", upcall_reason());
}

TEST_F(prepare, der_rsa_pkcs1)
{
	EXPECT_EQ(0, prepare_der(&self->req, &self->cfg, "server-rsa.pem",
				 "server-rsa.key", false)) TH_LOG("%s", upcall_reason());
}

/* DER of the wrong key still fails on the key matching the certificate. */
TEST_F(prepare, der_key_of_another_certificate_rejected)
{
	EXPECT_EQ(-EKEYREJECTED, prepare_der(&self->req, &self->cfg,
					     "server.pem", "client.key", true));
}

TEST_F(prepare, neither_pem_nor_der_ekeyrejected)
{
	static const char junk[] = "not a key at all";
	char want[128];

	self->req.msg_type = HANDSHAKE_MSG_TYPE_SERVERHELLO;
	self->req.auth_mode = HANDSHAKE_AUTH_X509;
	self->req.cert = add_key("user", "upcall_prepare_test junk", junk,
				 sizeof(junk), KEY_SPEC_PROCESS_KEYRING);
	self->req.privkey = self->req.cert;
	ASSERT_LT(0, self->req.cert);
	EXPECT_EQ(-EKEYREJECTED, prepare(&self->req, &self->cfg));
	snprintf(want, sizeof(want), "key %d is neither PEM nor DER certificate",
		 self->req.cert);
	EXPECT_STREQ(want, upcall_reason());
	EXPECT_EQ(EKEYREJECTED, upcall_status_of(-EKEYREJECTED));
	keyctl_invalidate(self->req.cert);
}

/* The statuses DONE carries for what a handshake can end with. */
TEST(status_mapping)
{
	EXPECT_EQ(0, upcall_status_of(0));
	EXPECT_EQ(ETIMEDOUT, upcall_status_of(-ETIMEDOUT));
	EXPECT_EQ(EKEYREJECTED, upcall_status_of(-EKEYREJECTED));
	/* No kernel TLS, ktlsd stopping, memory: our side, EIO. */
	EXPECT_EQ(EIO, upcall_status_of(-ENOENT));
	EXPECT_EQ(EIO, upcall_status_of(-ESHUTDOWN));
	EXPECT_EQ(EIO, upcall_status_of(-ENOMEM));
	/* Anything the handshake itself failed with: EACCES. */
	EXPECT_EQ(EACCES, upcall_status_of(-ECONNRESET));
	EXPECT_EQ(EACCES, upcall_status_of(-EBADMSG));
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A libupcall handle whose commands go to a generic netlink family that
 * does not exist: the kernel answers each at once (ENOENT), so the time
 * upcall_done() takes is its own.
 */
FIXTURE(done)
{
	struct upcall up;
	struct upcall_req req;
};

FIXTURE_SETUP(done)
{
	memset(&self->up, 0, sizeof(self->up));
	memset(&self->req, 0, sizeof(self->req));
	pthread_mutex_init(&self->up.cmd_lock, NULL);
	self->up.cmd = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	ASSERT_NE(NULL, self->up.cmd);
	ASSERT_EQ(0, mnl_socket_bind(self->up.cmd, 0, MNL_SOCKET_AUTOPID));
	self->up.cmd_portid = mnl_socket_get_portid(self->up.cmd);
	self->up.caps.family_id = 0xfff0;
	self->req.sockfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->req.sockfd);
	self->req.accepted_ms = mono_ms();
}

FIXTURE_TEARDOWN(done)
{
	if (self->req.sockfd >= 0)
		close(self->req.sockfd);
	mnl_socket_close(self->up.cmd);
	pthread_mutex_destroy(&self->up.cmd_lock);
}

/*
 * A refusal right after ACCEPT waits UPCALL_REFUSE_DELAY_MS, whoever sends
 * it (6.12's handshake_req_submit takes its socket reference after READY).
 */
TEST_F(done, refusal_waits_refuse_delay)
{
	int64_t t0 = mono_ms();

	EXPECT_LT(0, upcall_refuse_wait_ms(&self->req));
	EXPECT_EQ(-ENOENT, upcall_done(&self->up, &self->req, EIO, NULL, 0));
	EXPECT_LE(UPCALL_REFUSE_DELAY_MS - 5, mono_ms() - t0);
	/* The socket is closed in every case. */
	EXPECT_EQ(-1, self->req.sockfd);
}

/* Success needs the peer's round trip first: no wait. */
TEST_F(done, success_does_not_wait)
{
	int64_t t0 = mono_ms();

	EXPECT_EQ(-ENOENT, upcall_done(&self->up, &self->req, 0, NULL, 0));
	EXPECT_GT(UPCALL_REFUSE_DELAY_MS / 2, mono_ms() - t0);
}

/* A refusal well after the ACCEPT goes out at once. */
TEST_F(done, late_refusal_does_not_wait)
{
	int64_t t0;

	self->req.accepted_ms = mono_ms() - 2 * UPCALL_REFUSE_DELAY_MS;
	EXPECT_EQ(0, upcall_refuse_wait_ms(&self->req));
	t0 = mono_ms();
	EXPECT_EQ(-ENOENT, upcall_done(&self->up, &self->req, ETIMEDOUT,
				       NULL, 0));
	EXPECT_GT(UPCALL_REFUSE_DELAY_MS / 2, mono_ms() - t0);
}

TEST_HARNESS_MAIN
