// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every fatal error in the userspace handshake ends with its alert (RFC 8446
 * §6), not a bare close. A raw-socket peer sends hand-built ClientHellos and
 * records to libktls's server and reads back the alert record it gets:
 * level fatal and the description RFC 8446 names. One case needs the
 * handshake keys (application data before Finished): the peer derives them
 * itself, with X25519 and our key schedule, and reads the encrypted alert.
 *
 * Also middlebox compatibility (RFC 8446 §D.4): a ClientHello with a
 * legacy_session_id gets it echoed and a dummy change_cipher_spec right
 * after the ServerHello; one without gets neither. Our client sends a
 * 32-byte session id and a change_cipher_spec before its second flight.
 *
 * And our client against a hostile server: a ServerHello with a bad key
 * share gets illegal_parameter.
 *
 * And ClientHellos OpenSSL 3.0 and 3.5 (s_server) answer with a
 * ServerHello, which ours must answer the same way: tens of thousands of
 * signature_algorithms (ours last, so none may be dropped), hundreds or
 * thousands of unknown and GREASE extensions, extensions in a scrambled
 * order (pre_shared_key last), sslscan's 344 cipher suites and 32000 of
 * them; most span several records. One that says it is longer than
 * OpenSSL's bound (131396 bytes) gets OpenSSL's illegal_parameter.
 *
 * Handshake only: runs natively and in the VM.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/random.h>

#include "kselftest_harness.h"
#include "ktls/keysched.h"
#include "ktls/tls_prot.h"
#include "test_config.h"

#define DEADLINE_MS 2000

/* Groups. */
#define GROUP_P256 0x0017
#define GROUP_P521 0x0019
#define GROUP_X25519 0x001d
#define GROUP_FFDHE2048 0x0100
#define GROUP_X25519MLKEM768 0x11ec
#define X25519MLKEM768_SHARE_LEN (1184 + 32)

/* OpenSSL's bound on a ClientHello body, and a message buffer for one. */
#define OPENSSL_HELLO_MAX 131396
#define HELLO_MAX (4 + OPENSSL_HELLO_MAX)
#define RECORD_MAX (16384 + 256)

/* The P-256 base point, uncompressed: on the curve. */
static const uint8_t p256_base[65] = {
	0x04,
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6,
	0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb,
	0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb,
	0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31,
	0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};

/* An X25519 share with bit 255 set (last byte 0xc2); masked, a u like any. */
static const uint8_t x25519_high_bit[32] = {
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0xc2,
};

struct buf {
	uint8_t b[HELLO_MAX];
	size_t len;
};

static void put(struct buf *b, const void *p, size_t n);

static void put8(struct buf *b, unsigned int v)
{
	uint8_t c = (uint8_t)v;

	put(b, &c, 1);
}

static void put16(struct buf *b, unsigned int v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void put24(struct buf *b, size_t v)
{
	put8(b, (unsigned int)(v >> 16));
	put16(b, (unsigned int)v);
}

static void put(struct buf *b, const void *p, size_t n)
{
	if (n > sizeof(b->b) - b->len)
		abort();	/* a spec no hello can hold */
	memcpy(b->b + b->len, p, n);
	b->len += n;
}

/* Patch a length prefix of @width bytes at @at to cover up to the end. */
static void patch_len(struct buf *b, size_t at, size_t width)
{
	size_t n = b->len - at - width;

	for (size_t i = 0; i < width; i++)
		b->b[at + i] = (uint8_t)(n >> (8 * (width - 1 - i)));
}

struct share {
	uint16_t group;
	const uint8_t *data;	/* NULL: random bytes */
	size_t len;
};

/* A ClientHello, field by field; zeros mean the TLS 1.3 defaults. */
struct hello_spec {
	uint16_t legacy_version;	/* 0: 0x0303 */
	uint8_t session_id_len;
	bool tls12_suites;		/* also offer ECDHE-ECDSA-AES128-GCM */
	bool one_suite;			/* only TLS_AES_128_GCM_SHA256 */
	bool no_versions;		/* no supported_versions */
	uint16_t version;		/* the one in supported_versions; 0: 1.3 */
	uint16_t groups[4];		/* 0-terminated; empty: X25519 */
	struct share shares[2];		/* len 0 ends; none: no shares */
	bool bad_ext_len;		/* extensions<> runs past the message */
	/* the sizes OpenSSL takes and WolfSSL's defaults did not */
	size_t junk_suites;		/* unassigned suites before ours */
	size_t junk_sigalgs;		/* unassigned schemes before ours */
	size_t unknown_exts;		/* GREASE, then unassigned types */
	bool shuffle;			/* extensions in a scrambled order */
	bool psk;			/* a pre_shared_key (last) we do not know */
};

/* Extension types nobody uses: the 16 GREASE values, then unassigned. */
static uint16_t unknown_ext(size_t i)
{
	return i < 16 ? (uint16_t)(0x0a0a + 0x1010 * i) : (uint16_t)(0x4000 + i);
}

/*
 * The extensions from @from on, @n of them at @at[], in a fixed scrambled
 * order (the same every run, so a failure repeats).
 */
static void scramble(struct buf *msg, size_t from, const size_t *at, size_t n)
{
	static struct buf tmp;
	uint32_t seed = 12345;
	size_t *order = calloc(n, sizeof(*order));

	if (!order)
		abort();
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j, t;

		seed = seed * 1103515245 + 12345;
		j = (seed >> 8) % i;
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	tmp.len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = order[i];
		size_t end = k + 1 < n ? at[k + 1] : msg->len;

		put(&tmp, msg->b + at[k], end - at[k]);
	}
	memcpy(msg->b + from, tmp.b, tmp.len);
	free(order);
}

/* The handshake message (type, length, body) of a ClientHello. */
static void client_hello(const struct hello_spec *spec, struct buf *msg)
{
	static const uint16_t sigalgs[] = { 0x0403, 0x0804, 0x0805, 0x0401 };
	uint8_t random[32 + 32], share[X25519MLKEM768_SHARE_LEN];
	size_t body, exts, ext, list, nr_at = 0;
	size_t *at = calloc(spec->unknown_exts + 8, sizeof(*at));

	if (!at)
		abort();

	getrandom(random, sizeof(random), 0);
	msg->len = 0;
	put8(msg, TLS_HS_CLIENT_HELLO);
	body = msg->len;
	put24(msg, 0);
	put16(msg, spec->legacy_version ? spec->legacy_version : 0x0303);
	put(msg, random, 32);
	put8(msg, spec->session_id_len);
	put(msg, random + 32, spec->session_id_len);
	put16(msg, (unsigned int)(2 * spec->junk_suites) +
		   (spec->one_suite ? 2 : spec->tls12_suites ? 8 : 6));
	for (size_t i = 0; i < spec->junk_suites; i++)
		put16(msg, (unsigned int)(0x2000 + i));
	put16(msg, 0x1301);
	if (!spec->one_suite) {
		put16(msg, 0x1302);
		put16(msg, 0x1303);
	}
	if (spec->tls12_suites)
		put16(msg, 0xc02b);
	put8(msg, 1);
	put8(msg, 0);		/* null compression */
	exts = msg->len;
	put16(msg, 0);

	if (!spec->no_versions) {
		at[nr_at++] = msg->len;
		put16(msg, TLS_EXT_SUPPORTED_VERSIONS);
		put16(msg, 3);
		put8(msg, 2);
		put16(msg, spec->version ? spec->version : 0x0304);
	}

	at[nr_at++] = msg->len;
	put16(msg, TLS_EXT_SUPPORTED_GROUPS);
	ext = msg->len;
	put16(msg, 0);
	list = msg->len;
	put16(msg, 0);
	if (!spec->groups[0])
		put16(msg, GROUP_X25519);
	for (size_t i = 0; i < 4 && spec->groups[i]; i++)
		put16(msg, spec->groups[i]);
	patch_len(msg, list, 2);
	patch_len(msg, ext, 2);

	at[nr_at++] = msg->len;
	put16(msg, TLS_EXT_SIGNATURE_ALGORITHMS);
	ext = msg->len;
	put16(msg, 0);
	list = msg->len;
	put16(msg, 0);
	for (size_t i = 0; i < spec->junk_sigalgs; i++)
		put16(msg, (unsigned int)(0x1000 + i));
	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		put16(msg, sigalgs[i]);
	patch_len(msg, list, 2);
	patch_len(msg, ext, 2);

	if (!spec->no_versions) {
		at[nr_at++] = msg->len;
		put16(msg, TLS_EXT_KEY_SHARE);
		ext = msg->len;
		put16(msg, 0);
		list = msg->len;
		put16(msg, 0);
		for (size_t i = 0; i < 2 && spec->shares[i].len; i++) {
			const struct share *s = &spec->shares[i];

			put16(msg, s->group);
			put16(msg, (unsigned int)s->len);
			if (s->data) {
				put(msg, s->data, s->len);
			} else {
				getrandom(share, s->len, 0);
				/* WolfSSL refuses X25519 keys >= 2^255 */
				if (s->group == GROUP_X25519 && s->len == 32)
					share[31] &= 0x7f;
				put(msg, share, s->len);
			}
		}
		patch_len(msg, list, 2);
		patch_len(msg, ext, 2);
	}
	for (size_t i = 0; i < spec->unknown_exts; i++) {
		at[nr_at++] = msg->len;
		put16(msg, unknown_ext(i));
		put16(msg, (unsigned int)(i % 5));
		for (size_t j = 0; j < i % 5; j++)
			put8(msg, 0);
	}
	if (spec->psk) {
		at[nr_at++] = msg->len;
		put16(msg, TLS_EXT_PSK_KEY_EXCHANGE_MODES);
		put16(msg, 2);
		put8(msg, 1);
		put8(msg, 1);	/* psk_dhe_ke */
	}
	if (spec->shuffle)
		scramble(msg, at[0], at, nr_at);
	free(at);
	if (spec->psk) {	/* RFC 8446 §4.2.11: last, always */
		put16(msg, TLS_EXT_PRE_SHARED_KEY);
		put16(msg, 2 + 2 + 48 + 4 + 2 + 1 + 32);
		put16(msg, 2 + 48 + 4);
		put16(msg, 48);
		put(msg, random, 48);		/* a ticket from nowhere */
		put(msg, "\0\0\x10\0", 4);	/* obfuscated_ticket_age */
		put16(msg, 1 + 32);
		put8(msg, 32);
		put(msg, random + 16, 32);	/* its binder */
	}
	patch_len(msg, exts, 2);
	if (spec->bad_ext_len) {	/* 16 bytes more than there are */
		size_t n = msg->len - exts - 2 + 16;

		msg->b[exts] = (uint8_t)(n >> 8);
		msg->b[exts + 1] = (uint8_t)n;
	}
	patch_len(msg, body, 3);
}

static int send_all(int fd, const void *p, size_t n)
{
	return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -EIO;
}

static int send_record(int fd, uint8_t type, uint16_t version,
		       const void *body, size_t len)
{
	uint8_t rec[5 + RECORD_MAX];

	rec[0] = type;
	rec[1] = (uint8_t)(version >> 8);
	rec[2] = (uint8_t)version;
	rec[3] = (uint8_t)(len >> 8);
	rec[4] = (uint8_t)len;
	memcpy(rec + 5, body, len);
	return send_all(fd, rec, 5 + len);
}

/* A handshake message in as many records as it takes, as OpenSSL does. */
static int send_hello(int fd, const struct buf *msg)
{
	for (size_t at = 0; at < msg->len; at += TLS_MAX_PLAINTEXT) {
		size_t n = msg->len - at < TLS_MAX_PLAINTEXT ?
			   msg->len - at : TLS_MAX_PLAINTEXT;
		int ret = send_record(fd, TLS_RECORD_TYPE_HANDSHAKE, 0x0301,
				      msg->b + at, n);

		if (ret)
			return ret;
	}
	return 0;
}

/* One record: 1 with it in @hdr/@body, 0 at EOF, -errno. */
static int read_record(int fd, uint8_t hdr[5], uint8_t *body, size_t *len)
{
	ssize_t n = recv(fd, hdr, 5, MSG_WAITALL);

	if (n == 0)
		return 0;
	if (n != 5)
		return n < 0 ? -errno : -EPROTO;
	*len = (size_t)hdr[3] << 8 | hdr[4];
	if (*len > RECORD_MAX)
		return -EMSGSIZE;
	if (*len && recv(fd, body, *len, MSG_WAITALL) != (ssize_t)*len)
		return -EPROTO;
	return 1;
}

/*
 * The description of the first plaintext alert, skipping other records:
 * -ENODATA if the peer closed without one (a bare close), -EBADMSG if the
 * alert is not a fatal, well-formed one.
 */
static int read_alert(int fd)
{
	uint8_t hdr[5], body[RECORD_MAX];
	size_t len = 0;
	int ret;

	while ((ret = read_record(fd, hdr, body, &len)) == 1) {
		if (hdr[0] != TLS_RECORD_TYPE_ALERT)
			continue;
		if (len != 2 || body[0] != TLS_ALERT_LEVEL_FATAL)
			return -EBADMSG;
		return body[1];
	}
	return ret ? ret : -ENODATA;
}

static void set_timeout(int fd)
{
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* The server under test, in a thread: libktls's blocking handshake. */
struct server {
	int fd;
	uint16_t min_version;
	const char *groups;
	struct peer peer;
};

static int serve(struct peer *peer)
{
	struct server *srv = peer->arg;
	char cert[PATH_MAX], key[PATH_MAX];
	struct ktls_config config = {
		.role = KTLS_ROLE_SERVER,
		.cert_file = cert,
		.key_file = key,
		.min_version = srv->min_version,
		.groups = srv->groups,
		.handshake_timeout_ms = DEADLINE_MS,
	};
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	int ret;

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("server.key", key, sizeof(key));
	ret = ktls_ctx_new(&config, &ctx);
	if (ret)
		return ret;
	ret = ktls_handshake(ctx, srv->fd, &session);
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	/* The peer reads to EOF: whatever we sent, then nothing. */
	shutdown(srv->fd, SHUT_WR);
	return ret ? ret : -EALREADY;	/* success is wrong here */
}

enum attack {
	HELLO,			/* a ClientHello from the spec */
	ZERO_LENGTH_HANDSHAKE,
	RECORD_TYPE_ZERO,
	EMPTY_ALERT,
	ONE_BYTE_ALERT,
	APP_DATA_FIRST,
	OVERLONG_HELLO,		/* a ClientHello longer than OpenSSL takes */
};

FIXTURE(alerts)
{
	int client_fd, server_fd;
};

FIXTURE_VARIANT(alerts)
{
	enum attack attack;
	struct hello_spec hello;
	uint16_t server_min_version;
	const char *server_groups;
	int alert;
};

FIXTURE_VARIANT_ADD(alerts, p256_share_off_curve)
{
	.hello = {
		.groups = { GROUP_P256 },
		/* the base point with its y one off: not on the curve */
		.shares = { { GROUP_P256, (const uint8_t *)"\x04"
			"\x6b\x17\xd1\xf2\xe1\x2c\x42\x47\xf8\xbc\xe6\xe5\x63\xa4\x40\xf2"
			"\x77\x03\x7d\x81\x2d\xeb\x33\xa0\xf4\xa1\x39\x45\xd8\x98\xc2\x96"
			"\x4f\xe3\x42\xe2\xfe\x1a\x7f\x9b\x8e\xe7\xeb\x4a\x7c\x0f\x9e\x16"
			"\x2b\xce\x33\x57\x6b\x31\x5e\xce\xcb\xb6\x40\x68\x37\xbf\x51\xf4",
			65 } },
	},
	.alert = TLS_ALERT_DESC_ILLEGAL_PARAMETER,
};

FIXTURE_VARIANT_ADD(alerts, p256_share_wrong_length)
{
	.hello = {
		.groups = { GROUP_P256 },
		.shares = { { GROUP_P256, p256_base, 64 } },
	},
	.alert = TLS_ALERT_DESC_ILLEGAL_PARAMETER,
};

FIXTURE_VARIANT_ADD(alerts, x25519_share_wrong_length)
{
	.hello = { .shares = { { GROUP_X25519, NULL, 31 } } },
	.alert = TLS_ALERT_DESC_ILLEGAL_PARAMETER,
};

/* RFC 8446 §4.2.8, in a ClientHello of three records: it is read whole. */
FIXTURE_VARIANT_ADD(alerts, two_x25519_shares_big_hello)
{
	.hello = {
		.shares = { { GROUP_X25519, NULL, 32 },
			    { GROUP_X25519, NULL, 32 } },
		.junk_sigalgs = 20000,
	},
	.alert = TLS_ALERT_DESC_ILLEGAL_PARAMETER,
};

FIXTURE_VARIANT_ADD(alerts, mlkem_hybrid_share_wrong_length)
{
	.hello = {
		.groups = { GROUP_X25519MLKEM768 },
		.shares = { { GROUP_X25519MLKEM768, NULL,
			      X25519MLKEM768_SHARE_LEN - 1 } },
	},
	.server_groups = "X25519MLKEM768",
	.alert = TLS_ALERT_DESC_ILLEGAL_PARAMETER,
};

FIXTURE_VARIANT_ADD(alerts, only_unsupported_groups)
{
	.hello = {
		.groups = { GROUP_P521, GROUP_FFDHE2048 },
		.shares = { { GROUP_P521, NULL, 133 } },
	},
	.alert = TLS_ALERT_DESC_HANDSHAKE_FAILURE,
};

/* The same in a ClientHello of three records: it is read whole. */
FIXTURE_VARIANT_ADD(alerts, only_unsupported_groups_big_hello)
{
	.hello = {
		.groups = { GROUP_P521, GROUP_FFDHE2048 },
		.shares = { { GROUP_P521, NULL, 133 } },
		.junk_sigalgs = 20000,
	},
	.alert = TLS_ALERT_DESC_HANDSHAKE_FAILURE,
};

FIXTURE_VARIANT_ADD(alerts, no_tls13_in_supported_versions)
{
	.hello = {
		.version = 0x0303,
		.shares = { { GROUP_X25519, NULL, 32 } },
	},
	.server_min_version = KTLS_TLS_1_3,
	.alert = TLS_ALERT_DESC_PROTOCOL_VERSION,
};

FIXTURE_VARIANT_ADD(alerts, legacy_version_tls10)
{
	.hello = {
		.legacy_version = 0x0301,
		.no_versions = true,
		.tls12_suites = true,
	},
	.alert = TLS_ALERT_DESC_PROTOCOL_VERSION,
};

FIXTURE_VARIANT_ADD(alerts, undecodable_hello)
{
	.hello = {
		.shares = { { GROUP_X25519, NULL, 32 } },
		.bad_ext_len = true,
	},
	.alert = TLS_ALERT_DESC_DECODE_ERROR,
};

FIXTURE_VARIANT_ADD(alerts, zero_length_handshake_record)
{
	.attack = ZERO_LENGTH_HANDSHAKE,
	.alert = TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
};

FIXTURE_VARIANT_ADD(alerts, record_type_zero)
{
	.attack = RECORD_TYPE_ZERO,
	.alert = TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
};

FIXTURE_VARIANT_ADD(alerts, empty_alert)
{
	.attack = EMPTY_ALERT,
	.alert = TLS_ALERT_DESC_DECODE_ERROR,
};

FIXTURE_VARIANT_ADD(alerts, one_byte_alert)
{
	.attack = ONE_BYTE_ALERT,
	.alert = TLS_ALERT_DESC_DECODE_ERROR,
};

FIXTURE_VARIANT_ADD(alerts, application_data_before_hello)
{
	.attack = APP_DATA_FIRST,
	.alert = TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
};

/* OpenSSL 3.0 and 3.5 answer this at its header: illegal_parameter. */
FIXTURE_VARIANT_ADD(alerts, hello_longer_than_openssl_takes)
{
	.attack = OVERLONG_HELLO,
	.hello = { .shares = { { GROUP_X25519, NULL, 32 } } },
	.alert = TLS_ALERT_DESC_ILLEGAL_PARAMETER,
};

FIXTURE_SETUP(alerts)
{
	ASSERT_EQ(0, tcp_pair(&self->client_fd, &self->server_fd));
	set_timeout(self->client_fd);
}

FIXTURE_TEARDOWN(alerts)
{
	close(self->client_fd);
	close(self->server_fd);
}

TEST_F(alerts, server_sends_the_alert)
{
	struct server srv = {
		.fd = self->server_fd,
		.min_version = variant->server_min_version,
		.groups = variant->server_groups,
	};
	struct buf msg;
	int alert, ret;

	ASSERT_EQ(0, peer_start(&srv.peer, serve, &srv));
	switch (variant->attack) {
	case HELLO:
		client_hello(&variant->hello, &msg);
		ASSERT_EQ(0, send_hello(self->client_fd, &msg));
		break;
	case ZERO_LENGTH_HANDSHAKE:
		ASSERT_EQ(0, send_record(self->client_fd,
					 TLS_RECORD_TYPE_HANDSHAKE, 0x0301,
					 "", 0));
		break;
	case RECORD_TYPE_ZERO:
		ASSERT_EQ(0, send_record(self->client_fd,
					 TLS_RECORD_TYPE_INVALID, 0x0303,
					 "\x01", 1));
		break;
	case EMPTY_ALERT:
		ASSERT_EQ(0, send_record(self->client_fd,
					 TLS_RECORD_TYPE_ALERT, 0x0303,
					 "", 0));
		break;
	case ONE_BYTE_ALERT:
		ASSERT_EQ(0, send_record(self->client_fd,
					 TLS_RECORD_TYPE_ALERT, 0x0303,
					 "\x02", 1));
		break;
	case APP_DATA_FIRST:
		ASSERT_EQ(0, send_record(self->client_fd,
					 TLS_RECORD_TYPE_DATA, 0x0303,
					 "hello", 5));
		break;
	case OVERLONG_HELLO:	/* its first record, saying 131397 bytes */
		client_hello(&variant->hello, &msg);
		msg.b[1] = (OPENSSL_HELLO_MAX + 1) >> 16;
		msg.b[2] = (uint8_t)((OPENSSL_HELLO_MAX + 1) >> 8);
		msg.b[3] = (uint8_t)(OPENSSL_HELLO_MAX + 1);
		ASSERT_EQ(0, send_record(self->client_fd,
					 TLS_RECORD_TYPE_HANDSHAKE, 0x0301,
					 msg.b, msg.len));
		break;
	}
	alert = read_alert(self->client_fd);
	ret = peer_join(&srv.peer);
	TH_LOG("server: %d %s", ret, srv.peer.reason);
	EXPECT_GT(0, ret);
	EXPECT_EQ(variant->alert, alert)
		TH_LOG("alert %d (%s), wanted %d (negative: none)", alert,
		       alert >= 0 ? "got one" : strerror(-alert),
		       variant->alert);
}

/* Find extension @type in a ServerHello body; NULL if absent. */
static const uint8_t *server_hello_ext(const uint8_t *body, size_t len,
				       uint16_t type, size_t *ext_len)
{
	size_t at = 2 + 32, end;

	if (len < at + 1 || len < at + 1 + body[at] + 5)
		return NULL;
	at += 1 + body[at] + 3;		/* session id, suite, compression */
	end = at + 2 + ((size_t)body[at] << 8 | body[at + 1]);
	if (end > len)
		return NULL;
	for (at += 2; at + 4 <= end;) {
		uint16_t t = (uint16_t)(body[at] << 8 | body[at + 1]);
		size_t n = (size_t)body[at + 2] << 8 | body[at + 3];

		if (at + 4 + n > end)
			return NULL;
		if (t == type) {
			*ext_len = n;
			return body + at + 4;
		}
		at += 4 + n;
	}
	return NULL;
}

/* One direction's TLS_AES_128_GCM_SHA256 handshake traffic key. */
struct hs_key {
	uint8_t key[16], iv[12];
	uint64_t seq;
};

static void nonce(const struct hs_key *k, uint8_t out[12])
{
	memcpy(out, k->iv, 12);
	for (int i = 0; i < 8; i++)
		out[11 - i] ^= (uint8_t)(k->seq >> (8 * i));
}

/* RFC 8446 §7.1 up to the handshake secret. */
static int handshake_secret(const uint8_t shared[32], uint8_t hs[32])
{
	uint8_t zeros[32] = { 0 }, early[32], empty[32], derived[32];

	if (__ktls_hkdf_extract(KTLS_HASH_SHA256, NULL, 0, zeros, 32, early) ||
	    __ktls_hash(KTLS_HASH_SHA256, (const uint8_t *)"", 0, empty) ||
	    __ktls_derive_secret(KTLS_HASH_SHA256, early, "derived", empty,
				 derived) ||
	    __ktls_hkdf_extract(KTLS_HASH_SHA256, derived, 32, shared, 32, hs))
		return -EIO;
	return 0;
}

/* A traffic key (§7.3) from @secret's @label over @transcript. */
static int traffic_key(const uint8_t secret[32], const char *label,
		       const struct buf *transcript, struct hs_key *k)
{
	uint8_t th[32], traffic[32];

	*k = (struct hs_key){ 0 };
	if (__ktls_hash(KTLS_HASH_SHA256, transcript->b, transcript->len, th) ||
	    __ktls_derive_secret(KTLS_HASH_SHA256, secret, label, th, traffic) ||
	    __ktls_traffic_key_iv(KTLS_HASH_SHA256, traffic, k->key, 16, k->iv,
				  12))
		return -EIO;
	return 0;
}

/* The master secret (§7.1), from the handshake secret. */
static int master_secret(const uint8_t hs[32], uint8_t master[32])
{
	uint8_t zeros[32] = { 0 }, empty[32], derived[32];

	if (__ktls_hash(KTLS_HASH_SHA256, (const uint8_t *)"", 0, empty) ||
	    __ktls_derive_secret(KTLS_HASH_SHA256, hs, "derived", empty,
				 derived) ||
	    __ktls_hkdf_extract(KTLS_HASH_SHA256, derived, 32, zeros, 32,
				master))
		return -EIO;
	return 0;
}

/* Send @len bytes of content @type encrypted under @k (TLSInnerPlaintext). */
static int seal_record(int fd, struct hs_key *k, uint8_t type,
		       const void *data, size_t len)
{
	uint8_t inner[256], rec[5 + 256 + 16], iv[12];
	size_t clen = len + 1 + 16;
	Aes gcm;
	int ret;

	if (len + 1 > sizeof(inner))
		return -EINVAL;
	memcpy(inner, data, len);
	inner[len] = type;
	rec[0] = TLS_RECORD_TYPE_DATA;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = (uint8_t)(clen >> 8);
	rec[4] = (uint8_t)clen;
	nonce(k, iv);
	if (wc_AesInit(&gcm, NULL, INVALID_DEVID))
		return -EIO;
	ret = wc_AesGcmSetKey(&gcm, k->key, 16) ||
	      wc_AesGcmEncrypt(&gcm, rec + 5, inner, (word32)len + 1, iv, 12,
			       rec + 5 + len + 1, 16, rec, 5);
	wc_AesFree(&gcm);
	if (ret)
		return -EIO;
	k->seq++;
	return send_all(fd, rec, 5 + clen);
}

/* Decrypt a record under @k in place: its inner content type, or -errno. */
static int open_record(struct hs_key *k, const uint8_t hdr[5], uint8_t *body,
		       size_t *len)
{
	uint8_t iv[12], plain[RECORD_MAX];
	Aes gcm;
	int ret;

	if (*len < 17)
		return -EBADMSG;
	nonce(k, iv);
	if (wc_AesInit(&gcm, NULL, INVALID_DEVID))
		return -EIO;
	ret = wc_AesGcmSetKey(&gcm, k->key, 16) ||
	      wc_AesGcmDecrypt(&gcm, plain, body, (word32)(*len - 16), iv, 12,
			       body + *len - 16, 16, hdr, 5);
	wc_AesFree(&gcm);
	if (ret)
		return -EBADMSG;
	k->seq++;
	*len -= 16;
	while (*len && !plain[*len - 1])
		(*len)--;
	if (!*len)
		return -EBADMSG;
	(*len)--;
	memcpy(body, plain, *len);
	return plain[*len];
}

/*
 * A TLS 1.3 client of our own, as far as the handshake keys: X25519,
 * TLS_AES_128_GCM_SHA256. It sends the ClientHello, reads the
 * ServerHello and derives both handshake traffic keys.
 */
struct raw_client {
	int fd;
	struct hs_key client, server;
	uint8_t hs[32];		/* the handshake secret */
	struct buf transcript;	/* ClientHello... as far as read */
};

static int raw_client_hello(struct raw_client *rc)
{
	uint8_t pub[32], shared[32], hdr[5], body[RECORD_MAX];
	struct hello_spec spec = { .one_suite = true };
	struct buf *transcript = &rc->transcript;
	curve25519_key priv, peer;
	const uint8_t *share;
	word32 n = 32;
	size_t len, share_len;
	WC_RNG rng;
	int ret = -EIO;

	if (wc_InitRng(&rng))
		return -EIO;
	if (wc_curve25519_init(&priv) || wc_curve25519_init(&peer))
		goto free_rng;
#ifdef WOLFSSL_CURVE25519_BLINDING
	wc_curve25519_set_rng(&priv, &rng);
#endif
	if (wc_curve25519_make_key(&rng, 32, &priv) ||
	    wc_curve25519_export_public_ex(&priv, pub, &n,
					   EC25519_LITTLE_ENDIAN))
		goto free_keys;
	spec.shares[0] = (struct share){ GROUP_X25519, pub, 32 };
	client_hello(&spec, transcript);
	ret = send_record(rc->fd, TLS_RECORD_TYPE_HANDSHAKE, 0x0301,
			  transcript->b, transcript->len);
	if (ret)
		goto free_keys;
	ret = read_record(rc->fd, hdr, body, &len);
	if (ret != 1 || hdr[0] != TLS_RECORD_TYPE_HANDSHAKE || len < 4 ||
	    body[0] != TLS_HS_SERVER_HELLO) {
		ret = ret < 0 ? ret : -EPROTO;
		goto free_keys;
	}
	put(transcript, body, len);
	share = server_hello_ext(body + 4, len - 4, TLS_EXT_KEY_SHARE,
				 &share_len);
	ret = -EPROTO;
	if (!share || share_len != 4 + 32 ||
	    wc_curve25519_import_public_ex(share + 4, 32, &peer,
					   EC25519_LITTLE_ENDIAN) ||
	    wc_curve25519_shared_secret_ex(&priv, &peer, shared, &n,
					   EC25519_LITTLE_ENDIAN))
		goto free_keys;
	ret = handshake_secret(shared, rc->hs);
	if (!ret)
		ret = traffic_key(rc->hs, "c hs traffic", transcript,
				  &rc->client);
	if (!ret)
		ret = traffic_key(rc->hs, "s hs traffic", transcript,
				  &rc->server);
free_keys:
	wc_curve25519_free(&peer);
	wc_curve25519_free(&priv);
free_rng:
	wc_FreeRng(&rng);
	return ret;
}

/*
 * The server's first encrypted alert: its description, or -errno. After
 * its Finished the server writes under its application key (§7.1).
 */
static int read_encrypted_alert(struct raw_client *rc)
{
	uint8_t hdr[5], body[RECORD_MAX], master[32];
	size_t len;
	int ret, type;

	while ((ret = read_record(rc->fd, hdr, body, &len)) == 1) {
		if (hdr[0] == TLS_RECORD_TYPE_CHANGE_CIPHER_SPEC)
			continue;
		if (hdr[0] == TLS_RECORD_TYPE_ALERT)	/* plaintext: wrong here */
			return -EPROTO;
		type = open_record(&rc->server, hdr, body, &len);
		if (type < 0)
			return type;
		if (type == TLS_RECORD_TYPE_HANDSHAKE && len &&
		    rc->transcript.len + len <= sizeof(rc->transcript.b)) {
			put(&rc->transcript, body, len);
			if (body[0] == TLS_HS_FINISHED &&
			    (master_secret(rc->hs, master) ||
			     traffic_key(master, "s ap traffic",
					 &rc->transcript, &rc->server)))
				return -EIO;
		}
		if (type != TLS_RECORD_TYPE_ALERT)
			continue;
		if (len != 2 || body[0] != TLS_ALERT_LEVEL_FATAL)
			return -EBADMSG;
		return body[1];
	}
	return ret ? ret : -ENODATA;
}

FIXTURE(encrypted)
{
	int client_fd, server_fd;
};

FIXTURE_SETUP(encrypted)
{
	ASSERT_EQ(0, tcp_pair(&self->client_fd, &self->server_fd));
	set_timeout(self->client_fd);
}

FIXTURE_TEARDOWN(encrypted)
{
	close(self->client_fd);
	close(self->server_fd);
}

FIXTURE_VARIANT(encrypted)
{
	uint8_t type;		/* the inner content type we send */
	const char *data;
	size_t len;
	int alert;
};

/* RFC 8446 §5: application data before the client's Finished. */
FIXTURE_VARIANT_ADD(encrypted, application_data)
{
	.type = TLS_RECORD_TYPE_DATA,
	.data = "GET /",
	.len = 5,
	.alert = TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
};

/* An encrypted alert record that holds no alert (§5.1, §6). */
FIXTURE_VARIANT_ADD(encrypted, empty_alert)
{
	.type = TLS_RECORD_TYPE_ALERT,
	.data = "",
	.len = 0,
	.alert = TLS_ALERT_DESC_DECODE_ERROR,
};

/* After our ServerHello the alert must come encrypted, and be the right one. */
TEST_F(encrypted, before_finished)
{
	struct server srv = { .fd = self->server_fd };
	struct raw_client *rc = calloc(1, sizeof(*rc));
	int alert, ret;

	ASSERT_NE(NULL, rc);
	rc->fd = self->client_fd;
	ASSERT_EQ(0, peer_start(&srv.peer, serve, &srv));
	ASSERT_EQ(0, raw_client_hello(rc));
	ASSERT_EQ(0, seal_record(rc->fd, &rc->client, variant->type,
				 variant->data, variant->len));
	alert = read_encrypted_alert(rc);
	free(rc);
	ret = peer_join(&srv.peer);
	TH_LOG("server: %d %s", ret, srv.peer.reason);
	EXPECT_GT(0, ret);
	EXPECT_EQ(variant->alert, alert)
		TH_LOG("alert %d, wanted %d (negative: none)", alert,
		       variant->alert);
}

/* Our client in a thread, against whatever is on the other end. */
struct client {
	int fd;
	struct peer peer;
};

static int connect_tls(struct peer *peer)
{
	struct client *cl = peer->arg;
	char ca[PATH_MAX];
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.ca_file = ca,
		.server_name = "localhost",
		.handshake_timeout_ms = DEADLINE_MS,
	};
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	int ret;

	test_pki_file("ca.pem", ca, sizeof(ca));
	ret = ktls_ctx_new(&config, &ctx);
	if (ret)
		return ret;
	ret = ktls_handshake(ctx, cl->fd, &session);
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	shutdown(cl->fd, SHUT_WR);
	return ret;
}

/*
 * Our client against a hostile server: a ServerHello whose X25519 share is
 * one byte short gets illegal_parameter (RFC 8446 §4.2.8).
 */
TEST(client_bad_server_share)
{
	uint8_t hdr[5], body[RECORD_MAX], share[31];
	struct buf *sh;
	struct client cl;
	int cfd, sfd, alert;
	size_t len, sid_len;

	ASSERT_EQ(0, tcp_pair(&cfd, &sfd));
	set_timeout(sfd);
	sh = calloc(1, sizeof(*sh));
	ASSERT_NE(NULL, sh);
	cl = (struct client){ .fd = cfd };
	ASSERT_EQ(0, peer_start(&cl.peer, connect_tls, &cl));
	ASSERT_EQ(1, read_record(sfd, hdr, body, &len));
	ASSERT_EQ(TLS_HS_CLIENT_HELLO, body[0]);
	sid_len = body[4 + 2 + 32];
	getrandom(share, sizeof(share), 0);
	put8(sh, TLS_HS_SERVER_HELLO);
	put24(sh, 2 + 32 + 1 + sid_len + 3 + 2 + 6 + 4 + 4 + sizeof(share));
	put16(sh, 0x0303);
	getrandom(sh->b + sh->len, 32, 0);
	sh->len += 32;
	put8(sh, (unsigned int)sid_len);
	put(sh, body + 4 + 2 + 32 + 1, sid_len);
	put16(sh, 0x1301);
	put8(sh, 0);
	put16(sh, 6 + 4 + 4 + sizeof(share));
	put16(sh, TLS_EXT_SUPPORTED_VERSIONS);
	put16(sh, 2);
	put16(sh, 0x0304);
	put16(sh, TLS_EXT_KEY_SHARE);
	put16(sh, 4 + sizeof(share));
	put16(sh, GROUP_X25519);
	put16(sh, sizeof(share));
	put(sh, share, sizeof(share));
	ASSERT_EQ(0, send_record(sfd, TLS_RECORD_TYPE_HANDSHAKE, 0x0303,
				 sh->b, sh->len));
	alert = read_alert(sfd);
	EXPECT_GT(0, peer_join(&cl.peer));
	TH_LOG("client: %s", cl.peer.reason);
	EXPECT_EQ(TLS_ALERT_DESC_ILLEGAL_PARAMETER, alert)
		TH_LOG("alert %d, wanted illegal_parameter (negative: none)",
		       alert);
	free(sh);
	close(sfd);
	close(cfd);
}

/*
 * Middlebox compatibility (RFC 8446 §D.4): with a legacy_session_id the
 * ServerHello echoes it and a change_cipher_spec follows at once.
 */
FIXTURE(compat)
{
	int client_fd, server_fd;
};

FIXTURE_VARIANT(compat)
{
	uint8_t session_id_len;
};

FIXTURE_VARIANT_ADD(compat, with_session_id)
{
	.session_id_len = 32,
};

FIXTURE_VARIANT_ADD(compat, without_session_id)
{
	.session_id_len = 0,
};

FIXTURE_SETUP(compat)
{
	ASSERT_EQ(0, tcp_pair(&self->client_fd, &self->server_fd));
	set_timeout(self->client_fd);
}

FIXTURE_TEARDOWN(compat)
{
	if (self->client_fd >= 0)
		close(self->client_fd);
	close(self->server_fd);
}

TEST_F(compat, server_answers_session_id)
{
	static const uint8_t ccs[] = {
		TLS_RECORD_TYPE_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1
	};
	struct hello_spec spec = {
		.session_id_len = variant->session_id_len,
		.shares = { { GROUP_X25519, NULL, 32 } },
	};
	struct server srv = { .fd = self->server_fd };
	uint8_t hdr[5], body[RECORD_MAX];
	const uint8_t *sid;
	struct buf msg;
	size_t len;

	ASSERT_EQ(0, peer_start(&srv.peer, serve, &srv));
	client_hello(&spec, &msg);
	sid = msg.b + 4 + 2 + 32;	/* length byte, then the id */
	ASSERT_EQ(0, send_record(self->client_fd, TLS_RECORD_TYPE_HANDSHAKE,
				 0x0301, msg.b, msg.len));
	ASSERT_EQ(1, read_record(self->client_fd, hdr, body, &len));
	ASSERT_EQ(TLS_RECORD_TYPE_HANDSHAKE, hdr[0]);
	ASSERT_LT((size_t)(4 + 2 + 32 + 1 + spec.session_id_len), len);
	ASSERT_EQ(TLS_HS_SERVER_HELLO, body[0]);
	/* legacy_session_id_echo */
	EXPECT_EQ(spec.session_id_len, body[4 + 2 + 32]);
	EXPECT_EQ(0, memcmp(body + 4 + 2 + 32, sid, 1 + spec.session_id_len));
	ASSERT_EQ(1, read_record(self->client_fd, hdr, body, &len));
	if (spec.session_id_len) {
		EXPECT_EQ(TLS_RECORD_TYPE_CHANGE_CIPHER_SPEC, hdr[0])
			TH_LOG("no change_cipher_spec after the ServerHello");
		EXPECT_EQ(sizeof(ccs), 5 + len);
		EXPECT_EQ(0, memcmp(hdr, ccs, 5));
		EXPECT_EQ(1, body[0]);
	} else {
		/* RFC 8446 §D.4: only then, never otherwise. */
		EXPECT_EQ(TLS_RECORD_TYPE_DATA, hdr[0]);
	}
	/* The handshake cannot finish: we hang up. */
	close(self->client_fd);
	self->client_fd = -1;
	EXPECT_GT(0, peer_join(&srv.peer));
}

/* Record types each way, through a relay between our client and server. */
struct relay {
	int client_side, server_side;
	uint8_t to_server[16], to_client[16];
	size_t nr_to_server, nr_to_client;
	struct peer peer;
};

/* Forward what is readable on @from to @to, noting record types. */
static int forward(int from, int to, uint8_t *types, size_t *nr,
		   size_t *skip)
{
	uint8_t buf[RECORD_MAX];
	ssize_t n = recv(from, buf, sizeof(buf), MSG_DONTWAIT);
	size_t at = 0;

	if (n <= 0)
		return n == 0 ? 0 : (errno == EAGAIN ? 1 : -errno);
	/* Records may split anywhere: walk headers, skipping bodies. */
	while (at < (size_t)n) {
		if (*skip) {
			size_t k = *skip < (size_t)n - at ? *skip :
							    (size_t)n - at;

			*skip -= k;
			at += k;
			continue;
		}
		if ((size_t)n - at < 5)
			return -EPROTO;	/* the peers here send whole headers */
		if (*nr < 16)
			types[(*nr)++] = buf[at];
		*skip = (size_t)buf[at + 3] << 8 | buf[at + 4];
		at += 5;
	}
	return send_all(to, buf, (size_t)n) ? -EIO : 1;
}

static int relay_run(struct peer *peer)
{
	struct relay *r = peer->arg;
	size_t skip_c = 0, skip_s = 0;
	bool c_open = true, s_open = true;

	while (c_open || s_open) {
		struct pollfd pfd[2] = {
			{ .fd = c_open ? r->client_side : -1, .events = POLLIN },
			{ .fd = s_open ? r->server_side : -1, .events = POLLIN },
		};
		int ret;

		if (poll(pfd, 2, 5000) <= 0)
			return -ETIMEDOUT;
		if (pfd[0].revents) {
			ret = forward(r->client_side, r->server_side,
				      r->to_server, &r->nr_to_server, &skip_c);
			if (ret <= 0) {
				c_open = false;
				shutdown(r->server_side, SHUT_WR);
			}
		}
		if (pfd[1].revents) {
			ret = forward(r->server_side, r->client_side,
				      r->to_client, &r->nr_to_client, &skip_s);
			if (ret <= 0) {
				s_open = false;
				shutdown(r->client_side, SHUT_WR);
			}
		}
	}
	return 0;
}

/*
 * Our client is in compatibility mode: a 32-byte legacy_session_id, and a
 * change_cipher_spec before its second flight (RFC 8446 §D.4). A server
 * that got a session id answers with its own CCS.
 */
TEST(client_compat_mode)
{
	int c1, s1, c2, s2;
	struct client cl;
	struct server srv;
	struct relay r = { 0 };

	ASSERT_EQ(0, tcp_pair(&c1, &s1));
	ASSERT_EQ(0, tcp_pair(&c2, &s2));
	cl = (struct client){ .fd = c1 };
	srv = (struct server){ .fd = s2 };
	r.client_side = s1;
	r.server_side = c2;
	ASSERT_EQ(0, peer_start(&r.peer, relay_run, &r));
	ASSERT_EQ(0, peer_start(&srv.peer, serve, &srv));
	ASSERT_EQ(0, peer_start(&cl.peer, connect_tls, &cl));
	EXPECT_EQ(0, peer_join(&cl.peer)) TH_LOG("client: %s", cl.peer.reason);
	/* serve() calls success wrong: here it is right */
	EXPECT_EQ(-EALREADY, peer_join(&srv.peer))
		TH_LOG("server: %s", srv.peer.reason);
	peer_join(&r.peer);
	ASSERT_LE((size_t)3, r.nr_to_server);
	EXPECT_EQ(TLS_RECORD_TYPE_HANDSHAKE, r.to_server[0]);	/* ClientHello */
	EXPECT_EQ(TLS_RECORD_TYPE_CHANGE_CIPHER_SPEC, r.to_server[1])
		TH_LOG("client's second record: type %u, not change_cipher_spec",
		       r.to_server[1]);
	EXPECT_EQ(TLS_RECORD_TYPE_DATA, r.to_server[2]);	/* Finished */
	ASSERT_LE((size_t)3, r.nr_to_client);
	EXPECT_EQ(TLS_RECORD_TYPE_HANDSHAKE, r.to_client[0]);	/* ServerHello */
	EXPECT_EQ(TLS_RECORD_TYPE_CHANGE_CIPHER_SPEC, r.to_client[1]);
	EXPECT_EQ(TLS_RECORD_TYPE_DATA, r.to_client[2]);
	close(c1);
	close(s1);
	close(c2);
	close(s2);
}

/* Our client's ClientHello carries a 32-byte legacy_session_id. */
TEST(client_session_id)
{
	uint8_t hdr[5], body[RECORD_MAX];
	struct client cl;
	int cfd, sfd;
	size_t len;

	ASSERT_EQ(0, tcp_pair(&cfd, &sfd));
	set_timeout(sfd);
	cl = (struct client){ .fd = cfd };
	ASSERT_EQ(0, peer_start(&cl.peer, connect_tls, &cl));
	ASSERT_EQ(1, read_record(sfd, hdr, body, &len));
	ASSERT_EQ(TLS_RECORD_TYPE_HANDSHAKE, hdr[0]);
	ASSERT_LT((size_t)(4 + 2 + 32 + 1 + 32), len);
	ASSERT_EQ(TLS_HS_CLIENT_HELLO, body[0]);
	EXPECT_EQ(32, body[4 + 2 + 32]);
	close(sfd);
	EXPECT_GT(0, peer_join(&cl.peer));
	close(cfd);
}

/*
 * ClientHellos OpenSSL 3.0 and 3.5 s_server answer with a ServerHello
 * (checked by hand against both): ours must too. The server's
 * certificate is ECDSA P-256, so of the signature schemes only
 * ecdsa_secp256r1_sha256 (0x0403) is of use, and it comes after the
 * junk: a server that keeps only the start of the list cannot sign.
 */
FIXTURE(big_hello)
{
	int client_fd, server_fd;
};

FIXTURE_VARIANT(big_hello)
{
	struct hello_spec hello;
};

FIXTURE_VARIANT_ADD(big_hello, sigalgs_32000_ours_last)
{
	.hello = {
		.shares = { { GROUP_X25519, NULL, 32 } },
		.junk_sigalgs = 32000 - 4,
	},
};

FIXTURE_VARIANT_ADD(big_hello, sigalgs_200_ours_last)
{
	.hello = {
		.shares = { { GROUP_X25519, NULL, 32 } },
		.junk_sigalgs = 200,
	},
};

FIXTURE_VARIANT_ADD(big_hello, extensions_300_unknown_and_grease)
{
	.hello = {
		.shares = { { GROUP_X25519, NULL, 32 } },
		.unknown_exts = 300,
	},
};

FIXTURE_VARIANT_ADD(big_hello, extensions_3500_unknown)
{
	.hello = {
		.shares = { { GROUP_X25519, NULL, 32 } },
		.unknown_exts = 3500,
	},
};

FIXTURE_VARIANT_ADD(big_hello, extensions_shuffled_psk_last)
{
	.hello = {
		.shares = { { GROUP_X25519, NULL, 32 } },
		.unknown_exts = 20,
		.shuffle = true,
		.psk = true,
	},
};

/* sslscan's TLS 1.2 probe offers 344 suites (688 bytes). */
FIXTURE_VARIANT_ADD(big_hello, suites_344_tls12)
{
	.hello = {
		.no_versions = true,
		.tls12_suites = true,
		.junk_suites = 340,
	},
};

FIXTURE_VARIANT_ADD(big_hello, suites_32000)
{
	.hello = {
		.shares = { { GROUP_X25519, NULL, 32 } },
		.junk_suites = 32000,
	},
};

/*
 * RFC 7748 §5: the receiver masks bit 255 of an X25519 share. sslscan's
 * TLS 1.3 probe sends random bytes: with WolfSSL's refusal, half its runs
 * said TLS 1.3 was disabled.
 */
FIXTURE_VARIANT_ADD(big_hello, x25519_share_high_bit_set)
{
	.hello = { .shares = { { GROUP_X25519, x25519_high_bit, 32 } } },
};

FIXTURE_VARIANT_ADD(big_hello, all_of_it)
{
	.hello = {
		.shares = { { GROUP_X25519, NULL, 32 } },
		.junk_suites = 20000,
		.junk_sigalgs = 20000,
		.unknown_exts = 300,
		.shuffle = true,
		.psk = true,
	},
};

FIXTURE_SETUP(big_hello)
{
	ASSERT_EQ(0, tcp_pair(&self->client_fd, &self->server_fd));
	set_timeout(self->client_fd);
}

FIXTURE_TEARDOWN(big_hello)
{
	close(self->client_fd);
	close(self->server_fd);
}

TEST_F(big_hello, server_hello_back)
{
	struct server srv = { .fd = self->server_fd };
	static uint8_t body[RECORD_MAX];
	const uint8_t *share;
	static struct buf msg;
	size_t len = 0, share_len;
	uint8_t hdr[5];
	int ret;

	client_hello(&variant->hello, &msg);
	TH_LOG("ClientHello of %zu bytes", msg.len);
	ASSERT_EQ(0, peer_start(&srv.peer, serve, &srv));
	ret = send_hello(self->client_fd, &msg);
	if (!ret)
		ret = read_record(self->client_fd, hdr, body, &len);
	/* Our side ends here: the server sees EOF. */
	shutdown(self->client_fd, SHUT_WR);
	peer_join(&srv.peer);
	TH_LOG("server: %s", srv.peer.reason);
	ASSERT_EQ(1, ret) TH_LOG("no record back: %s", strerror(-ret));
	EXPECT_EQ(TLS_RECORD_TYPE_HANDSHAKE, hdr[0])
		TH_LOG("record type %u (alert %u)", hdr[0],
		       hdr[0] == TLS_RECORD_TYPE_ALERT && len == 2 ? body[1] : 0);
	ASSERT_LE(4U, len);
	EXPECT_EQ(TLS_HS_SERVER_HELLO, body[0]);
	if (variant->hello.no_versions)
		return;
	/* TLS 1.3 and no HelloRetryRequest: an X25519 share back */
	share = server_hello_ext(body + 4, len - 4, TLS_EXT_KEY_SHARE,
				 &share_len);
	ASSERT_NE(NULL, share);
	EXPECT_EQ(4U + 32, share_len);
	EXPECT_EQ(GROUP_X25519, share[0] << 8 | share[1]);
}

TEST_HARNESS_MAIN
