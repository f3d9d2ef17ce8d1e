// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The upcall broker's judgement of the worker (userspace/ktlsd/
 * upcall_broker.c), natively: the kernel is a fake report() that records
 * each DONE. A worker that sends a malformed message, a message for
 * another request, a lookup it may not make, a success the broker cannot
 * account for, or closes the channel early gets that request DONE'd EIO;
 * the broker goes on serving the other requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "upcall_broker.h"

struct done {
	int sockfd;		/* the socket DONE named */
	int status;
	int32_t psk_serial;
	bool peer_cert;
	char subject[256];
};

static struct done dones[32];
static int nr_dones;

static int fake_report(void *arg, struct upcall_req *req,
		       const struct upcall_outcome *out, int32_t psk_serial)
{
	struct done *d = &dones[nr_dones++];

	(void)arg;
	d->sockfd = req->sockfd;
	d->status = out->status;
	d->psk_serial = psk_serial;
	d->peer_cert = out->peer_cert;
	snprintf(d->subject, sizeof(d->subject), "%s", out->peer.subject);
	close(req->sockfd);
	req->sockfd = -1;
	return out->status;
}

static const uint8_t known_key[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static int fake_psk_find(void *arg, const struct upcall_req *req,
			 const char *identity, uint8_t *key, size_t *key_len,
			 int32_t *serial)
{
	(void)arg;
	(void)req;
	if (strcmp(identity, "NVMe0R01 host target"))
		return -ENOKEY;
	memcpy(key, known_key, sizeof(known_key));
	*key_len = sizeof(known_key);
	*serial = 77;
	return 0;
}

FIXTURE(broker)
{
	struct broker b;
	int worker[4];		/* the worker's ends of up to 4 channels */
	int nr;
};

FIXTURE_SETUP(broker)
{
	memset(&self->b, 0, sizeof(self->b));
	self->b.ops.report = fake_report;
	self->b.ops.psk_find = fake_psk_find;
	self->nr = 0;
	nr_dones = 0;
}

FIXTURE_TEARDOWN(broker)
{
	broker_fail_all(&self->b, EIO, "teardown");
	free(self->b.reqs);
	for (int i = 0; i < self->nr; i++)
		close(self->worker[i]);
}

/* A request as the broker tracks it after handing it over. */
#define add(meta, self, type, auth) add_req(meta, &(self)->b, (self)->worker, \
					      &(self)->nr, type, auth)

static struct broker_req *add_req(struct __test_metadata *_metadata,
				  struct broker *b, int *worker, int *nr,
				  uint32_t msg_type, uint32_t auth)
{
	struct upcall_req req = { .msg_type = msg_type, .auth_mode = auth };
	struct broker_req *r;
	int chan[2];

	req.sockfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (auth == HANDSHAKE_AUTH_PSK &&
	    msg_type == HANDSHAKE_MSG_TYPE_CLIENTHELLO) {
		req.num_peerids = 1;
		req.peerids[0] = 55;
	}
	EXPECT_LE(0, req.sockfd);
	EXPECT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				chan));
	worker[(*nr)++] = chan[1];
	r = broker_add(b, &req, chan[0],
		       msg_type == HANDSHAKE_MSG_TYPE_SERVERHELLO &&
		       auth == HANDSHAKE_AUTH_PSK ? UPW_F_PSK_LOOKUP : 0,
		       1000000);
	EXPECT_NE(NULL, r);
	return r;
}

static struct upw_result result(uint64_t id, int status)
{
	struct upw_result res = {
		.hdr = { .type = UPW_RESULT, .len = sizeof(res), .id = id },
		.status = status,
	};

	return res;
}

static size_t lookup_msg(struct upw_lookup *l, uint64_t id, const char *ident)
{
	memset(l, 0, sizeof(*l));
	l->hdr.type = UPW_LOOKUP;
	l->hdr.id = id;
	l->identity_len = (uint32_t)strlen(ident);
	l->hdr.len = (uint32_t)(UPW_LOOKUP_HEADER + l->identity_len);
	memcpy(l->identity, ident, l->identity_len);
	return l->hdr.len;
}

/* A result for a request this channel does not carry: that one fails. */
TEST_F(broker, result_for_another_request_done_eio)
{
	struct broker_req *r1, *r2;
	struct upw_result res;
	int sock1, sock2;

	r1 = add(_metadata, self, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
		 HANDSHAKE_AUTH_X509);
	r2 = add(_metadata, self, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
		 HANDSHAKE_AUTH_X509);
	sock1 = r1->req.sockfd;
	sock2 = r2->req.sockfd;
	res = result(r2->id, 0);
	EXPECT_TRUE(broker_message(&self->b, r1, &res, sizeof(res)));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(sock1, dones[0].sockfd);
	EXPECT_EQ(EIO, dones[0].status);
	/* The broker goes on: the other request still gets its own DONE. */
	ASSERT_EQ(1U, self->b.nr_reqs);
	res = result(r2->id, 0);
	EXPECT_TRUE(broker_message(&self->b, r2, &res, sizeof(res)));
	ASSERT_EQ(2, nr_dones);
	EXPECT_EQ(sock2, dones[1].sockfd);
	EXPECT_EQ(0, dones[1].status);
}

/* A result for a request the worker was never given. */
TEST_F(broker, result_never_given_done_eio)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_SERVERHELLO,
				   HANDSHAKE_AUTH_X509);
	struct upw_result res = result(r->id + 1000, 0);

	EXPECT_TRUE(broker_message(&self->b, r, &res, sizeof(res)));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(EIO, dones[0].status);
	EXPECT_EQ(0U, self->b.nr_reqs);
}

/* Malformed messages, each on its own request. */
TEST_F(broker, malformed_done_eio)
{
	struct upw_result res;
	struct upw_key key = { .hdr = { UPW_KEY, sizeof(key), 0 } };
	struct broker_req *r;
	int i = 0;

	/* Cut short. */
	r = add(_metadata, self, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
		HANDSHAKE_AUTH_X509);
	res = result(r->id, 0);
	EXPECT_TRUE(broker_message(&self->b, r, &res, sizeof(res) - 1));
	/* A length field that lies. */
	r = add(_metadata, self, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
		HANDSHAKE_AUTH_X509);
	res = result(r->id, 0);
	res.hdr.len++;
	EXPECT_TRUE(broker_message(&self->b, r, &res, sizeof(res)));
	/* A status that is no errno. */
	r = add(_metadata, self, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
		HANDSHAKE_AUTH_X509);
	res = result(r->id, -1);
	EXPECT_TRUE(broker_message(&self->b, r, &res, sizeof(res)));
	/* A message only the broker sends. */
	r = add(_metadata, self, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
		HANDSHAKE_AUTH_X509);
	key.hdr.id = r->id;
	EXPECT_TRUE(broker_message(&self->b, r, &key, sizeof(key)));
	ASSERT_EQ(4, nr_dones);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(EIO, dones[i].status) TH_LOG("message %d", i);
	EXPECT_EQ(0U, self->b.nr_reqs);
}

/* A peer certificate whose subject is not a C string. */
TEST_F(broker, unterminated_peer_done_eio)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_CLIENTHELLO,
				   HANDSHAKE_AUTH_X509);
	struct upw_result res = result(r->id, 0);

	res.peer_cert = 1;
	memset(res.peer.subject, 'A', sizeof(res.peer.subject));
	EXPECT_TRUE(broker_message(&self->b, r, &res, sizeof(res)));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(EIO, dones[0].status);
	EXPECT_FALSE(dones[0].peer_cert);
}

/* A good x509 result: DONE 0 with the peer the worker verified. */
TEST_F(broker, x509_result_done_ok)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_SERVERHELLO,
				   HANDSHAKE_AUTH_X509);
	struct upw_result res = result(r->id, 0);

	res.peer_cert = 1;
	snprintf(res.peer.subject, sizeof(res.peer.subject), "CN=client");
	EXPECT_TRUE(broker_message(&self->b, r, &res, sizeof(res)));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(0, dones[0].status);
	EXPECT_TRUE(dones[0].peer_cert);
	EXPECT_STREQ("CN=client", dones[0].subject);
}

/* Only a PSK server may ask for a key. */
TEST_F(broker, lookup_by_non_psk_server_done_eio)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_CLIENTHELLO,
				   HANDSHAKE_AUTH_PSK);
	struct upw_lookup l;
	size_t len = lookup_msg(&l, r->id, "NVMe0R01 host target");
	struct upw_key key;

	EXPECT_TRUE(broker_message(&self->b, r, &l, len));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(EIO, dones[0].status);
	/* And it got no key: its channel is closed, with nothing in it. */
	EXPECT_EQ(0, recv(self->worker[0], &key, sizeof(key), MSG_DONTWAIT));
}

/* A PSK server: the key, then DONE 0 with that key's serial. */
TEST_F(broker, psk_server_lookup_then_done)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_SERVERHELLO,
				   HANDSHAKE_AUTH_PSK);
	struct upw_lookup l;
	size_t len = lookup_msg(&l, r->id, "someone else");
	struct upw_result res;
	struct upw_key key;
	ssize_t n;

	EXPECT_FALSE(broker_message(&self->b, r, &l, len));
	n = recv(self->worker[0], &key, sizeof(key), MSG_DONTWAIT);
	ASSERT_EQ((ssize_t)sizeof(key), n);
	EXPECT_EQ(0, upw_decode_key(&key, (size_t)n, r->id));
	EXPECT_EQ(-ENOKEY, key.err);
	len = lookup_msg(&l, r->id, "NVMe0R01 host target");
	EXPECT_FALSE(broker_message(&self->b, r, &l, len));
	n = recv(self->worker[0], &key, sizeof(key), MSG_DONTWAIT);
	ASSERT_EQ((ssize_t)sizeof(key), n);
	EXPECT_EQ(0, upw_decode_key(&key, (size_t)n, r->id));
	EXPECT_EQ(0, key.err);
	ASSERT_EQ(sizeof(known_key), key.key_len);
	EXPECT_EQ(0, memcmp(known_key, key.key, sizeof(known_key)));
	res = result(r->id, 0);
	EXPECT_TRUE(broker_message(&self->b, r, &res, sizeof(res)));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(0, dones[0].status);
	EXPECT_EQ(77, dones[0].psk_serial);
}

/* A PSK server's success with no key from us is a lie. */
TEST_F(broker, psk_success_without_key_done_eio)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_SERVERHELLO,
				   HANDSHAKE_AUTH_PSK);
	struct upw_result res = result(r->id, 0);

	EXPECT_TRUE(broker_message(&self->b, r, &res, sizeof(res)));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(EIO, dones[0].status);
	EXPECT_EQ(0, dones[0].psk_serial);
}

/* A PSK client's REMOTE_AUTH is the request's own key, not the worker's. */
TEST_F(broker, psk_client_done_with_request_key)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_CLIENTHELLO,
				   HANDSHAKE_AUTH_PSK);
	struct upw_result res = result(r->id, 0);

	EXPECT_TRUE(broker_message(&self->b, r, &res, sizeof(res)));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(0, dones[0].status);
	EXPECT_EQ(55, dones[0].psk_serial);
}

/* No endless keyring scans for one handshake. */
TEST_F(broker, too_many_lookups_done_eio)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_SERVERHELLO,
				   HANDSHAKE_AUTH_PSK);
	struct upw_lookup l;
	size_t len = lookup_msg(&l, r->id, "nobody");
	struct upw_key key;
	int i;

	for (i = 0; i < BROKER_MAX_LOOKUPS; i++) {
		ASSERT_FALSE(broker_message(&self->b, r, &l, len));
		ASSERT_EQ((ssize_t)sizeof(key),
			  recv(self->worker[0], &key, sizeof(key), 0));
	}
	EXPECT_TRUE(broker_message(&self->b, r, &l, len));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(EIO, dones[0].status);
}

static size_t sign_msg(struct upw_sign *q, uint64_t id)
{
	memset(q, 0, sizeof(*q));
	q->hdr.type = UPW_SIGN;
	q->hdr.id = id;
	q->req.magic = KEYPROC_MAGIC;
	q->req.key_id = KEYPROC_KEY_UPCALL_SERVER;
	q->req.op = KTLS_SIGN_ECDSA;
	q->req.in_len = 32;
	memset(q->req.in, 0x5a, 32);
	q->hdr.len = (uint32_t)(sizeof(q->hdr) + KEYPROC_REQUEST_HEADER + 32);
	return q->hdr.len;
}

/*
 * A private key from a key serial stays in the broker, which signs for
 * the worker: as often as a handshake does, never for a request whose
 * key it does not hold.
 */
TEST_F(broker, key_serial_key_signs_in_broker)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_SERVERHELLO,
				   HANDSHAKE_AUTH_X509);
	struct test_pki pki;
	struct upw_sign q;
	struct upw_sig a;
	size_t len;
	ssize_t n;

	test_pki(&pki);
	ASSERT_EQ(0, __ktls_private_key_load(pki.key, pki.cert, &r->key));
	len = sign_msg(&q, r->id);
	for (int i = 0; i < BROKER_MAX_SIGNS; i++) {
		ASSERT_FALSE(broker_message(&self->b, r, &q, len));
		n = recv(self->worker[0], &a, sizeof(a), MSG_DONTWAIT);
		ASSERT_LT(0, n);
		EXPECT_EQ(0, upw_decode_sig(&a, (size_t)n, r->id));
		EXPECT_EQ(0, a.res.status);
		/* A DER ECDSA-Sig-Value: SEQUENCE of two INTEGERs. */
		EXPECT_LT(8U, a.res.out_len);
		EXPECT_EQ(0x30, a.res.out[0]);
	}
	EXPECT_TRUE(broker_message(&self->b, r, &q, len));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(EIO, dones[0].status);
}

TEST_F(broker, sign_without_broker_key_done_eio)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_SERVERHELLO,
				   HANDSHAKE_AUTH_X509);
	struct upw_sign q;
	size_t len = sign_msg(&q, r->id);

	EXPECT_TRUE(broker_message(&self->b, r, &q, len));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(EIO, dones[0].status);
	/* A malformed one, on a request with a key, too. */
	r = add(_metadata, self, HANDSHAKE_MSG_TYPE_SERVERHELLO,
		HANDSHAKE_AUTH_X509);
	len = sign_msg(&q, r->id);
	q.req.in_len = 31;
	EXPECT_TRUE(broker_message(&self->b, r, &q, len));
	ASSERT_EQ(2, nr_dones);
	EXPECT_EQ(EIO, dones[1].status);
}

/* A failed handshake's status reaches DONE as the worker reported it. */
TEST_F(broker, failure_status_passes)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_CLIENTHELLO,
				   HANDSHAKE_AUTH_X509);
	struct upw_result res = result(r->id, EACCES);

	EXPECT_TRUE(broker_message(&self->b, r, &res, sizeof(res)));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(EACCES, dones[0].status);
}

/* A request past its deadline: DONE ETIMEDOUT, the others stay. */
TEST_F(broker, deadline_done_etimedout)
{
	struct broker_req *r = add(_metadata, self,
				   HANDSHAKE_MSG_TYPE_CLIENTHELLO,
				   HANDSHAKE_AUTH_X509);

	add(_metadata, self, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
	    HANDSHAKE_AUTH_X509);
	r->deadline_ms = 10;
	/* The next deadline is far: the broker sleeps at most a minute. */
	EXPECT_EQ(60000, broker_expire(&self->b, 20));
	ASSERT_EQ(1, nr_dones);
	EXPECT_EQ(ETIMEDOUT, dones[0].status);
	EXPECT_EQ(1U, self->b.nr_reqs);
}

TEST_HARNESS_MAIN
