// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Post-handshake records after the switch (userspace/lib/records.c), from a
 * hostile peer: a libktls server with kernel TLS RX only, which encrypts
 * any record it likes itself (AES-128-GCM under its application traffic
 * secret, sequence numbers from 0) and writes it to TCP, and reads our
 * alerts through kernel TLS. Our end, the client, reads with ktls_recv()
 * on a non-blocking socket:
 *   - a message split across records, with a pause inside it: -EAGAIN,
 *     then the message and the data behind it;
 *   - NewSessionTicket and KeyUpdate in one record: both acted on;
 *   - what RFC 8446 forbids, each answered with its alert, read by the
 *     peer through kernel TLS: a KeyUpdate with bytes behind it in its
 *     record or with request_update 2 (unexpected_message,
 *     illegal_parameter), a KeyUpdate of the wrong length, a malformed or
 *     empty alert (decode_error), an unknown message, data inside a split
 *     message (unexpected_message).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>

#include "kselftest_harness.h"
#include "ktls/tls_prot.h"
#include "test_config.h"
/* The peer's traffic secret, to forge its records. */
#include "../../userspace/lib/ktls_internal.h"

#define WAIT_MS 5000
#define SUITE "TLS_AES_128_GCM_SHA256"
#define KEY_LEN 16
#define IV_LEN 12
#define TAG_LEN 16
#define SECRET_LEN 32

/* A NewSessionTicket as a TLS 1.3 server sends one: 4 + 46 bytes. */
static const uint8_t ticket[] = {
	4, 0, 0, 46,
	0, 0, 0x1c, 0x20,		/* lifetime */
	0x5a, 0x17, 0xc0, 0xde,		/* age_add */
	1, 7,				/* nonce */
	0, 32,				/* ticket */
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
	0, 0,				/* no extensions */
};

struct server_job {
	int fd;
	struct ktls_session *session;
};

static int server_side(struct peer *thread)
{
	struct server_job *job = thread->arg;
	struct test_opts opts = { .version = KTLS_TLS_1_3, .cipher = SUITE };

	return test_handshake_opts(KTLS_ROLE_SERVER, job->fd, &opts, KTLS_RX,
				   &job->session);
}

/* The peer's sending side, in userspace: RFC 8446 5.2 records. */
struct forge {
	uint8_t secret[SECRET_LEN];
	uint8_t key[KEY_LEN], iv[IV_LEN];
	uint64_t seq;
	Aes gcm;
};

static int forge_keys(struct forge *f)
{
	int ret = __ktls_traffic_key_iv(KTLS_HASH_SHA256, f->secret, f->key,
				      KEY_LEN, f->iv, IV_LEN);

	f->seq = 0;
	if (ret)
		return ret;
	return wc_AesGcmSetKey(&f->gcm, f->key, KEY_LEN) ? -EIO : 0;
}

/* RFC 8446 7.2: the next application traffic secret, as after KeyUpdate. */
static int forge_update(struct forge *f)
{
	uint8_t next[SECRET_LEN];
	int ret = __ktls_hkdf_expand_label(KTLS_HASH_SHA256, f->secret,
					 "traffic upd", NULL, 0, next,
					 SECRET_LEN);

	if (ret)
		return ret;
	memcpy(f->secret, next, SECRET_LEN);
	return forge_keys(f);
}

/* One record of @type with @len bytes (0 too), encrypted, to the wire. */
static int forge_send(int fd, struct forge *f, uint8_t type, const void *buf,
		      size_t len)
{
	uint8_t inner[512], rec[5 + sizeof(inner) + TAG_LEN], nonce[IV_LEN];
	size_t body = len + 1 + TAG_LEN;

	if (len + 1 > sizeof(inner))
		return -EMSGSIZE;
	memcpy(inner, buf, len);
	inner[len] = type;
	rec[0] = TLS_RECORD_TYPE_DATA;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = (uint8_t)(body >> 8);
	rec[4] = (uint8_t)body;
	memcpy(nonce, f->iv, IV_LEN);
	for (int i = 0; i < 8; i++)
		nonce[IV_LEN - 1 - i] ^= (uint8_t)(f->seq >> (8 * i));
	if (wc_AesGcmEncrypt(&f->gcm, rec + 5, inner, (word32)len + 1, nonce,
			     IV_LEN, rec + 5 + len + 1, TAG_LEN, rec, 5))
		return -EIO;
	f->seq++;
	return send(fd, rec, 5 + body, MSG_NOSIGNAL) == (ssize_t)(5 + body) ?
		       0 : -EIO;
}

FIXTURE(records)
{
	int client_fd, server_fd;
	struct ktls_session *client, *server;
	struct forge forge;
};

FIXTURE_SETUP(records)
{
	struct test_opts opts = { .version = KTLS_TLS_1_3, .cipher = SUITE };
	struct server_job job;
	struct peer thread;
	int ret;

	self->client = NULL;
	self->server = NULL;
	ret = ktls_tcp_pair(&self->client_fd, &self->server_fd);
	if (ret == -ENOENT)
		SKIP(return, NO_KTLS);
	ASSERT_EQ(0, ret);
	job.fd = self->server_fd;
	job.session = NULL;
	ASSERT_EQ(0, peer_start(&thread, server_side, &job));
	ret = test_handshake_opts(KTLS_ROLE_CLIENT, self->client_fd, &opts,
				  KTLS_TX | KTLS_RX, &self->client);
	EXPECT_EQ(0, ret) TH_LOG("client: %s", ktls_reason());
	if (ret)
		shutdown(self->client_fd, SHUT_RDWR);
	ASSERT_EQ(0, peer_join(&thread)) TH_LOG("server: %s", thread.reason);
	ASSERT_EQ(0, ret);
	self->server = job.session;
	ASSERT_EQ((size_t)SECRET_LEN, self->server->server_traffic.len);
	memcpy(self->forge.secret, self->server->server_traffic.bytes,
	       SECRET_LEN);
	ASSERT_EQ(0, wc_AesInit(&self->forge.gcm, NULL, INVALID_DEVID));
	ASSERT_EQ(0, forge_keys(&self->forge));
	ASSERT_EQ(0, fcntl(self->client_fd, F_SETFL, O_NONBLOCK));
}

FIXTURE_TEARDOWN(records)
{
	wc_AesFree(&self->forge.gcm);
	ktls_session_free(self->client);
	ktls_session_free(self->server);
	if (self->client_fd >= 0)
		close(self->client_fd);
	if (self->server_fd >= 0)
		close(self->server_fd);
}

#define SEND(type, buf, len) \
	forge_send(self->server_fd, &self->forge, type, buf, len)

/* The next record the peer's kernel TLS decrypts, and its type. */
static ssize_t raw_recv(int fd, void *buf, size_t len, uint8_t *type)
{
	char control[CMSG_SPACE(sizeof(uint8_t))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (poll(&pfd, 1, WAIT_MS) != 1)
		return -ETIMEDOUT;
	n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	cmsg = CMSG_FIRSTHDR(&msg);
	*type = cmsg && cmsg->cmsg_type == TLS_GET_RECORD_TYPE ?
			*CMSG_DATA(cmsg) : 0;
	return n;
}

/* ktls_recv() on our non-blocking end, waiting while it says -EAGAIN. */
static ssize_t recv_wait(struct ktls_session *session, void *buf, size_t len)
{
	struct pollfd pfd = { .fd = ktls_session_fd(session), .events = POLLIN };
	ssize_t n;

	for (;;) {
		n = ktls_recv(session, buf, len);
		if (n != -EAGAIN)
			return n;
		if (poll(&pfd, 1, WAIT_MS) != 1)
			return -ETIMEDOUT;
	}
}

/* What the peer reads after our end gave up: one fatal alert. */
static int alert_seen(int fd)
{
	uint8_t buf[64], type = 0;
	ssize_t n = raw_recv(fd, buf, sizeof(buf), &type);

	if (n != 2 || type != TLS_RECORD_TYPE_ALERT ||
	    buf[0] != TLS_ALERT_LEVEL_FATAL)
		return -1000 - (int)n * 10 - type;
	return buf[1];
}

/*
 * A ticket whose second half comes later: the read in between returns
 * -EAGAIN and keeps the first half; the data behind the ticket arrives.
 */
TEST_F(records, message_split_nonblocking)
{
	struct pollfd pfd = { .fd = self->client_fd, .events = POLLIN };
	char buf[KTLS_RECV_MIN];

	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_HANDSHAKE, ticket, 7));
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));
	EXPECT_EQ(-EAGAIN, ktls_recv(self->client, buf, sizeof(buf)))
		TH_LOG("%s", ktls_reason());
	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_HANDSHAKE, ticket + 7,
			  sizeof(ticket) - 7));
	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_DATA, "hello", 5));
	ASSERT_EQ(5, recv_wait(self->client, buf, sizeof(buf)))
		TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

/* Even the 4-byte header may be split: one byte per record. */
TEST_F(records, header_one_byte_per_record)
{
	char buf[KTLS_RECV_MIN];

	for (size_t i = 0; i < 4; i++)
		ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_HANDSHAKE, ticket + i, 1));
	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_HANDSHAKE, ticket + 4,
			  sizeof(ticket) - 4));
	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_DATA, "hello", 5));
	ASSERT_EQ(5, recv_wait(self->client, buf, sizeof(buf)))
		TH_LOG("%s", ktls_reason());
}

/*
 * Where the kernel cannot rekey (before 6.14) our end stops with the
 * reason, and the peer reads our close_notify, not a silent end.
 */
static void no_rekey(struct __test_metadata *_metadata, int server_fd,
		     ssize_t n)
{
	uint8_t buf[64], type = 0;

	EXPECT_EQ(-EKEYREJECTED, n);
	EXPECT_NE(NULL, strstr(ktls_reason(), "needs Linux 6.14"))
		TH_LOG("reason: %s", ktls_reason());
	n = raw_recv(server_fd, buf, sizeof(buf), &type);
	EXPECT_EQ(2, n);
	EXPECT_EQ(TLS_RECORD_TYPE_ALERT, type);
	EXPECT_EQ(0, memcmp(buf, "\1\0", 2)) TH_LOG("not close_notify");
}

/*
 * NewSessionTicket and KeyUpdate coalesced in one record: both acted on;
 * where the kernel rekeys, the data under the peer's new key arrives.
 */
TEST_F(records, ticket_and_key_update_one_record)
{
	static const uint8_t key_update[] = { 24, 0, 0, 1, 0 };
	uint8_t rec[sizeof(ticket) + sizeof(key_update)];
	char buf[KTLS_RECV_MIN];
	ssize_t n;

	memcpy(rec, ticket, sizeof(ticket));
	memcpy(rec + sizeof(ticket), key_update, sizeof(key_update));
	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_HANDSHAKE, rec, sizeof(rec)));
	ASSERT_EQ(0, forge_update(&self->forge));
	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_DATA, "hello", 5));
	n = recv_wait(self->client, buf, sizeof(buf));
	if (!kernel_can_rekey())
		return no_rekey(_metadata, self->server_fd, n);
	ASSERT_EQ(5, n) TH_LOG("%s", ktls_reason());
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

/*
 * A KeyUpdate split across records ends its last record: legal, but
 * Linux 6.14+ reads nothing after a record that starts with a KeyUpdate
 * until the new key is set, so its rest never comes: the connection ends
 * with internal_error and the reason (before 6.14: as any KeyUpdate).
 */
TEST_F(records, key_update_split)
{
	char buf[KTLS_RECV_MIN];
	ssize_t n;

	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_HANDSHAKE, "\x18\0\0", 3));
	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_HANDSHAKE, "\1\0", 2));
	ASSERT_EQ(0, forge_update(&self->forge));
	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_DATA, "hello", 5));
	n = recv_wait(self->client, buf, sizeof(buf));
	if (!kernel_can_rekey())
		return no_rekey(_metadata, self->server_fd, n);
	EXPECT_EQ(-EKEYEXPIRED, n);
	EXPECT_NE(NULL, strstr(ktls_reason(), "split a KeyUpdate"))
		TH_LOG("reason: %s", ktls_reason());
	EXPECT_EQ(TLS_ALERT_DESC_INTERNAL_ERROR, alert_seen(self->server_fd));
}

/* What our end must refuse, the alert the peer must read, and why. */
struct bad_case {
	uint8_t type;
	const uint8_t *bytes;
	size_t len;
	int alert;
	const char *reason;
};

static void refused(struct __test_metadata *_metadata, int server_fd,
		    struct forge *forge, struct ktls_session *client,
		    const struct bad_case *c)
{
	char buf[KTLS_RECV_MIN];

	ASSERT_EQ(0, forge_send(server_fd, forge, c->type, c->bytes, c->len));
	EXPECT_EQ(-EPROTO, recv_wait(client, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(ktls_reason(), c->reason))
		TH_LOG("reason: %s", ktls_reason());
	EXPECT_EQ(c->alert, alert_seen(server_fd));
}

#define REFUSED(c) \
	refused(_metadata, self->server_fd, &self->forge, self->client, c)

/* RFC 8446 5.1: a KeyUpdate precedes a key change, so ends its record. */
TEST_F(records, key_update_then_bytes)
{
	static const uint8_t rec[] = { 24, 0, 0, 1, 0, 4, 0, 0, 0 };
	struct bad_case c = {
		TLS_RECORD_TYPE_HANDSHAKE, rec, sizeof(rec),
		TLS_ALERT_DESC_UNEXPECTED_MESSAGE, "KeyUpdate did not end its record"
	};

	REFUSED(&c);
}

/* RFC 8446 4.6.3: any request_update but 0 and 1 is illegal_parameter. */
TEST_F(records, key_update_request_two)
{
	static const uint8_t rec[] = { 24, 0, 0, 1, 2 };
	struct bad_case c = {
		TLS_RECORD_TYPE_HANDSHAKE, rec, sizeof(rec),
		TLS_ALERT_DESC_ILLEGAL_PARAMETER, "request_update 2"
	};

	REFUSED(&c);
}

TEST_F(records, key_update_wrong_length)
{
	static const uint8_t rec[] = { 24, 0, 0, 2, 0, 0 };
	struct bad_case c = {
		TLS_RECORD_TYPE_HANDSHAKE, rec, sizeof(rec),
		TLS_ALERT_DESC_DECODE_ERROR, "malformed KeyUpdate (2 bytes)"
	};

	REFUSED(&c);
}

/* A post-handshake CertificateRequest: we never offered to answer one. */
TEST_F(records, unknown_message)
{
	static const uint8_t rec[] = { 13, 0, 0, 0 };
	struct bad_case c = {
		TLS_RECORD_TYPE_HANDSHAKE, rec, sizeof(rec),
		TLS_ALERT_DESC_UNEXPECTED_MESSAGE, "unexpected post-handshake message type 13"
	};

	REFUSED(&c);
}

TEST_F(records, alert_three_bytes)
{
	static const uint8_t rec[] = { 2, 40, 0 };
	struct bad_case c = {
		TLS_RECORD_TYPE_ALERT, rec, sizeof(rec),
		TLS_ALERT_DESC_DECODE_ERROR, "malformed alert record (3 bytes)"
	};

	REFUSED(&c);
}

TEST_F(records, empty_alert)
{
	struct bad_case c = {
		TLS_RECORD_TYPE_ALERT, (const uint8_t *)"", 0,
		TLS_ALERT_DESC_DECODE_ERROR, "malformed alert record (0 bytes)"
	};

	REFUSED(&c);
}

/* RFC 8446 5.1: no other record between the records of one message. */
TEST_F(records, data_inside_split_message)
{
	char buf[KTLS_RECV_MIN];

	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_HANDSHAKE, ticket, 10));
	ASSERT_EQ(0, SEND(TLS_RECORD_TYPE_DATA, "hello", 5));
	EXPECT_EQ(-EPROTO, recv_wait(self->client, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(ktls_reason(), "inside a split handshake"))
		TH_LOG("reason: %s", ktls_reason());
	EXPECT_EQ(TLS_ALERT_DESC_UNEXPECTED_MESSAGE, alert_seen(self->server_fd));
}

TEST_HARNESS_MAIN
