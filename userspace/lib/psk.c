// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLS 1.3 external PSK (RFC 8446 §4.2.11), as NVMe/TCP uses it: both ends
 * hold the same identity and key, no certificates. Always with (EC)DHE
 * (psk_dhe_ke), so that a key leaked later does not decrypt recorded
 * traffic.
 *
 * WolfSSL 5.5.4 offers psk_ke and psk_dhe_ke in every ClientHello and, as a
 * server, picks psk_ke whenever the client left out psk_dhe_ke or a usable
 * key share; it has no switch that refuses psk_ke (wolfSSL_CTX_no_dhe_psk
 * does the opposite). So we read the hellos ourselves (hello.c): a client
 * refuses a ServerHello that did not take our PSK (a certificate handshake
 * instead) or that has no key_share (psk_ke). A server decides on its own
 * ServerHello, before it leaves: WolfSSL's choice is there, and one that
 * took the PSK without a key_share is never sent. It also reads each
 * plaintext ClientHello until then, to refuse a PSK offered only with
 * psk_ke, or by a client with none of our groups (so psk_ke or nothing),
 * early and say so. Neither check ends on a record type: records a
 * peer may send before the hellos are settled (0-RTT data, CCS) are
 * skipped, not trusted.
 *
 * A server has one identity and key, or finds the key for the identity the
 * client offers through the config's psk_find (ktlsd: in a keyring).
 *
 * A PSK is bound to one hash, hence to the cipher suites of that hash. We
 * use it with the first TLS 1.3 suite of the configured list:
 * TLS_AES_128_GCM_SHA256 (SHA-256) by default, TLS_AES_256_GCM_SHA384
 * (SHA-384) when the list names that first. Both ends must agree.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls/tls_prot.h"
#include "hello.h"
#include "ktls_internal.h"

#include <wolfssl/error-ssl.h>

/* WolfSSL's limits (MAX_PSK_KEY_LEN; MAX_PSK_ID_LEN is 1536 with TLS 1.3). */
#define PSK_KEY_MAX 64
#define PSK_KEY_MIN 16
#define PSK_IDENTITY_MAX 1024

struct ktls_psk {
	/* server: find the key for an identity; NULL: the one below */
	int (*find)(void *arg, const char *identity, uint8_t *key,
		    size_t key_max, size_t *key_len, const char **cipher);
	void *find_arg;
	char identity[PSK_IDENTITY_MAX + 1];
	size_t identity_len;
	uint8_t key[PSK_KEY_MAX];
	size_t key_len;
	const struct ktls_suite *suite;	/* the one suite the PSK is used with */
	bool server_has_cert;
	char groups[64];	/* ours, for the (EC)DHE a PSK is used with */
};

#define NO_FORWARD_SECRECY "no forward secrecy, refused"

struct ktls_psk_check {
	/* the record being read, as it arrives */
	uint8_t header[TLS_RECORD_HEADER_LEN];
	size_t header_len;
	size_t body_left;
	bool done;		/* the ServerHello settled it: nothing to check */
	/* plaintext handshake messages, until each is whole */
	struct ktls_hs_buf msgs;
	bool hello_seen;	/* server: a whole ClientHello was read */
	bool psk_offered;	/* server: a ClientHello had pre_shared_key */
	bool psk_accepted;	/* client: the ServerHello took our PSK */
	int refuse_err;		/* we refused the peer's hello: why */
	char refusal[512];
	char unknown_identity[512];	/* server: the last identity not ours */
	char identity[512];	/* server: the identity whose key we used */
	int find_err;		/* server: psk_find failed otherwise */
	bool alert_sent;	/* server: a fatal alert went out before ServerHello */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void refuse(struct ktls_psk_check *check, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(struct ktls_psk_check *check, int err, const char *fmt, ...)
{
	va_list ap;

	if (check->refuse_err)
		return;
	va_start(ap, fmt);
	vsnprintf(check->refusal, sizeof(check->refusal), fmt, ap);
	va_end(ap);
	check->refuse_err = err;
}

static bool common_group(const struct ktls_hello *hello,
			 const struct ktls_psk *psk)
{
	for (size_t i = 0; i < hello->nr_groups; i++)
		if (__ktls_group_in(psk->groups, hello->groups[i]))
			return true;
	return false;
}

/* Server: a PSK offered must be usable with (EC)DHE. */
static void check_client_hello(struct ktls_psk_check *check,
			       const struct ktls_psk *psk,
			       const uint8_t *body, size_t len)
{
	struct ktls_hello hello;

	if (__ktls_hello_parse(TLS_HS_CLIENT_HELLO, body, len, &hello)) {
		refuse(check, -EPROTO, "the ClientHello does not parse");
		return;
	}
	if (!hello.pre_shared_key)
		return;
	check->psk_offered = true;
	if (!hello.psk_dhe_ke || !hello.key_share) {
		refuse(check, -EPROTO,
		       "the client offered its PSK only without (EC)DHE (psk_ke): "
		       NO_FORWARD_SECRECY);
		return;
	}
	if (hello.supported_groups && !hello.groups_truncated &&
	    !common_group(&hello, psk))
		refuse(check, -EPROTO,
		       "the client has none of our (EC)DHE groups (%s), so only PSK without (EC)DHE (psk_ke) is left: "
		       NO_FORWARD_SECRECY, psk->groups);
}

/* Client: the server must take our PSK, with a key share. */
static void check_server_hello(struct ktls_psk_check *check,
			       const struct ktls_psk *psk,
			       const uint8_t *body, size_t len)
{
	struct ktls_hello hello;

	if (__ktls_hello_parse(TLS_HS_SERVER_HELLO, body, len, &hello)) {
		refuse(check, -EPROTO, "the ServerHello does not parse");
		return;
	}
	if (hello.hello_retry)
		return;		/* the real one follows */
	check->done = true;
	/* TLS 1.2 or older: WolfSSL refuses it, as we allow only TLS 1.3. */
	if (!hello.supported_versions)
		return;
	if (!hello.pre_shared_key) {
		refuse(check, -EKEYREJECTED,
		       "the server did not accept our PSK identity \"%.300s\" (it answered with a certificate instead)",
		       psk->identity);
		return;
	}
	if (!hello.key_share) {
		refuse(check, -EPROTO,
		       "the server chose PSK without (EC)DHE (psk_ke): "
		       NO_FORWARD_SECRECY);
		return;
	}
	check->psk_accepted = true;
}

static void check_message(struct ktls_session *session)
{
	struct ktls_psk_check *check = session->psk_check;
	const uint8_t *msg;
	long body_len;
	bool whole;

	while (!check->refuse_err &&
	       (body_len = ktls_hs_buf_peek(&check->msgs, &whole)) >= 0) {
		if (body_len > KTLS_HELLO_MAX) {
			refuse(check, -EPROTO,
			       "handshake message of %ld bytes is too large to check",
			       body_len);
			return;
		}
		if (!whole)
			return;
		msg = check->msgs.msg;
		if (session->role == KTLS_ROLE_SERVER &&
		    msg[0] == TLS_HS_CLIENT_HELLO) {
			check->hello_seen = true;
			check_client_hello(check, session->ctx->psk,
					   msg + TLS_HS_HEADER_LEN,
					   (size_t)body_len);
		} else if (session->role == KTLS_ROLE_CLIENT &&
			   msg[0] == TLS_HS_SERVER_HELLO) {
			check_server_hello(check, session->ctx->psk,
					   msg + TLS_HS_HEADER_LEN,
					   (size_t)body_len);
		}
		__ktls_hs_buf_drop(&check->msgs, (size_t)body_len);
	}
}

/* Follow the records in @buf, collecting plaintext handshake messages. */
static void feed(struct ktls_session *session, const uint8_t *buf, size_t len)
{
	struct ktls_psk_check *check = session->psk_check;

	while (len && !check->done && !check->refuse_err) {
		size_t n;

		if (check->header_len < TLS_RECORD_HEADER_LEN) {
			n = TLS_RECORD_HEADER_LEN - check->header_len;
			if (n > len)
				n = len;
			memcpy(check->header + check->header_len, buf, n);
			check->header_len += n;
			buf += n;
			len -= n;
			if (check->header_len < TLS_RECORD_HEADER_LEN)
				return;
			check->body_left = get16(check->header + 3);
			if (!check->body_left)
				check->header_len = 0;
			continue;
		}
		n = check->body_left < len ? check->body_left : len;
		if (check->header[0] == TLS_RECORD_TYPE_HANDSHAKE) {
			if (__ktls_hs_buf_add(&check->msgs, buf, n)) {
				refuse(check, -EPROTO,
				       "handshake messages too large to check");
				return;
			}
			check_message(session);
		}
		buf += n;
		len -= n;
		check->body_left -= n;
		if (!check->body_left)
			check->header_len = 0;
	}
}

/* WolfSSL's reads, checked before WolfSSL sees the bytes. */
static int checked_recv(WOLFSSL *ssl, char *buf, int len, void *ctx)
{
	struct ktls_session *session = wolfSSL_get_ex_data(ssl, 0);
	struct ktls_psk_check *check = session ? session->psk_check : NULL;
	int n = __ktls_record_io_recv(ssl, buf, len, ctx);

	if (n <= 0 || !check || check->done)
		return n;
	feed(session, (const uint8_t *)buf, (size_t)n);
	if (!check->refuse_err)
		return n;
	/* Our refusal, said on the wire: nothing of ours is encrypted yet. */
	__ktls_plain_alert(session->fd, check->refuse_err == -EKEYREJECTED ?
					      TLS_ALERT_DESC_HANDSHAKE_FAILURE :
					      TLS_ALERT_DESC_INSUFFICIENT_SECURITY);
	return WOLFSSL_CBIO_ERR_GENERAL;
}

/*
 * Server: our own ServerHello, before it is sent, is where WolfSSL's choice
 * shows. A flight starts with it, whole, in the buffer WolfSSL hands us; a
 * HelloRetryRequest settles nothing (a ClientHello follows).
 */
static void check_our_server_hello(struct ktls_psk_check *check,
				   const uint8_t *buf, size_t len)
{
	struct ktls_hello hello;
	const uint8_t *body;
	size_t body_len;

	if (len < TLS_RECORD_HEADER_LEN || buf[0] != TLS_RECORD_TYPE_HANDSHAKE)
		return;		/* an alert: nothing was chosen */
	if (len < TLS_RECORD_HEADER_LEN + TLS_HS_HEADER_LEN ||
	    buf[TLS_RECORD_HEADER_LEN] != TLS_HS_SERVER_HELLO) {
		refuse(check, -EPROTO,
		       "our first handshake record is not a whole ServerHello: cannot check the PSK mode");
		return;
	}
	body = buf + TLS_RECORD_HEADER_LEN + TLS_HS_HEADER_LEN;
	body_len = (size_t)body[-3] << 16 | (size_t)body[-2] << 8 | body[-1];
	if (get16(buf + 3) < TLS_HS_HEADER_LEN + body_len ||
	    body_len > len - TLS_RECORD_HEADER_LEN - TLS_HS_HEADER_LEN) {
		refuse(check, -EPROTO,
		       "our ServerHello is split: cannot check the PSK mode");
		return;
	}
	if (__ktls_hello_parse(TLS_HS_SERVER_HELLO, body, body_len, &hello)) {
		refuse(check, -EPROTO, "our ServerHello does not parse");
		return;
	}
	if (hello.hello_retry)
		return;
	check->done = true;
	if (hello.pre_shared_key && !hello.key_share)
		refuse(check, -EPROTO,
		       "the client's hello left PSK without (EC)DHE (psk_ke) as the only choice: "
		       NO_FORWARD_SECRECY);
}

/*
 * WolfSSL 5.9 answers an unknown identity and a binder that does not verify
 * alike, with illegal_parameter; RFC 8446 §6.2 names unknown_psk_identity
 * and decrypt_error. Nothing is encrypted before our ServerHello, so the
 * alert is a plaintext record whose description we can correct.
 */
static void correct_psk_alert(struct ktls_psk_check *check, uint8_t *buf,
			      size_t len)
{
	if (len != TLS_RECORD_HEADER_LEN + 2 ||
	    buf[0] != TLS_RECORD_TYPE_ALERT ||
	    buf[TLS_RECORD_HEADER_LEN] != TLS_ALERT_LEVEL_FATAL)
		return;
	check->alert_sent = true;
	if (check->identity[0])
		buf[TLS_RECORD_HEADER_LEN + 1] = TLS_ALERT_DESC_DECRYPT_ERROR;
	else if (check->unknown_identity[0] && !check->find_err)
		buf[TLS_RECORD_HEADER_LEN + 1] =
			TLS_ALERT_DESC_UNKNOWN_PSK_IDENTITY;
}

/* WolfSSL's writes: a server's ServerHello is checked before it leaves. */
static int checked_send(WOLFSSL *ssl, char *buf, int len, void *ctx)
{
	struct ktls_session *session = wolfSSL_get_ex_data(ssl, 0);
	struct ktls_psk_check *check = session ? session->psk_check : NULL;

	if (check && !check->done && !check->refuse_err && len > 0 &&
	    session->role == KTLS_ROLE_SERVER) {
		correct_psk_alert(check, (uint8_t *)buf, (size_t)len);
		check_our_server_hello(check, (const uint8_t *)buf,
				       (size_t)len);
		if (check->refuse_err) {
			__ktls_plain_alert(session->fd,
					   TLS_ALERT_DESC_INSUFFICIENT_SECURITY);
			return WOLFSSL_CBIO_ERR_GENERAL;
		}
	}
	return __ktls_record_io_send(ssl, buf, len, ctx);
}

static unsigned int client_psk(WOLFSSL *ssl, const char *hint, char *identity,
			       unsigned int identity_max, unsigned char *key,
			       unsigned int key_max, const char **suite)
{
	struct ktls_session *session = wolfSSL_get_ex_data(ssl, 0);
	const struct ktls_psk *psk = session->ctx->psk;

	(void)hint;
	if (psk->identity_len >= identity_max || psk->key_len > key_max)
		return 0;
	memcpy(identity, psk->identity, psk->identity_len + 1);
	memcpy(key, psk->key, psk->key_len);
	*suite = psk->suite->wolfssl_name;
	return (unsigned int)psk->key_len;
}

/* Printable, for a reason string: the identity comes from the network. */
static void printable(char *out, size_t out_len, const char *in)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < out_len; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

static int pick_suite(const char *ciphers, const struct ktls_suite **out);

/* Server: the key for @identity from the config's psk_find. */
static unsigned int found_psk(struct ktls_session *session,
			      const char *identity, unsigned char *key,
			      unsigned int key_max, const char **suite)
{
	const struct ktls_psk *psk = session->ctx->psk;
	struct ktls_psk_check *check = session->psk_check;
	const struct ktls_suite *found_suite = psk->suite;
	const char *cipher = NULL;
	uint8_t found[PSK_KEY_MAX];
	size_t found_len = 0;
	int err;

	err = psk->find(psk->find_arg, identity, found, sizeof(found),
			&found_len, &cipher);
	if (!err && (found_len < PSK_KEY_MIN || found_len > PSK_KEY_MAX ||
		     found_len > key_max))
		err = -EKEYREJECTED;
	if (!err && cipher)
		err = pick_suite(cipher, &found_suite);
	if (err) {
		printable(check->unknown_identity,
			  sizeof(check->unknown_identity), identity);
		if (err != -ENOKEY)
			check->find_err = err;
		explicit_bzero(found, sizeof(found));
		return 0;
	}
	printable(check->identity, sizeof(check->identity), identity);
	memcpy(key, found, found_len);
	explicit_bzero(found, sizeof(found));
	*suite = found_suite->wolfssl_name;
	return (unsigned int)found_len;
}

static unsigned int server_psk(WOLFSSL *ssl, const char *identity,
			       unsigned char *key, unsigned int key_max,
			       const char **suite)
{
	struct ktls_session *session = wolfSSL_get_ex_data(ssl, 0);
	const struct ktls_psk *psk = session->ctx->psk;

	if (psk->find)
		return found_psk(session, identity, key, key_max, suite);
	if (strlen(identity) != psk->identity_len ||
	    memcmp(identity, psk->identity, psk->identity_len)) {
		printable(session->psk_check->unknown_identity,
			  sizeof(session->psk_check->unknown_identity),
			  identity);
		return 0;
	}
	if (psk->key_len > key_max)
		return 0;
	printable(session->psk_check->identity,
		  sizeof(session->psk_check->identity), identity);
	memcpy(key, psk->key, psk->key_len);
	*suite = psk->suite->wolfssl_name;
	return (unsigned int)psk->key_len;
}

/* The first TLS 1.3 suite of @ciphers (NULL: our default order). */
static int pick_suite(const char *ciphers, const struct ktls_suite **out)
{
	char list[1024];
	size_t first_len;
	int ret;

	ret = __ktls_suites_to_wolfssl(ciphers, KTLS_TLS_1_3, KTLS_TLS_1_3, list,
				       sizeof(list));
	if (ret) {
		char why[256];

		snprintf(why, sizeof(why), "%s", ktls_reason());
		return __ktls_fail_field(KTLS_FIELD_CIPHERS, ret,
				       "a PSK needs a TLS 1.3 cipher suite: %s",
				       why);
	}
	first_len = strcspn(list, ":");
	for (uint16_t iana = 0x1301; iana <= 0x1304; iana++) {
		const struct ktls_suite *suite = __ktls_suite_find(iana);

		if (suite && strlen(suite->wolfssl_name) == first_len &&
		    !strncmp(suite->wolfssl_name, list, first_len)) {
			*out = suite;
			return 0;
		}
	}
	return __ktls_fail_field(KTLS_FIELD_CIPHERS, -EINVAL,
			       "no TLS 1.3 cipher suite for the PSK");
}

/* Each check names the member it is about (ktls_reason_field()). */
static int check_config(const struct ktls_ctx *ctx,
			const struct ktls_config *config)
{
	int ret = 0;

	if (config->psk_find && config->role != KTLS_ROLE_SERVER)
		ret = __ktls_fail(-EINVAL,
				  "psk_find is for a server; a client names its psk_identity and psk_key");
	else if (config->psk_find && (config->psk_identity || config->psk_key))
		ret = __ktls_fail(-EINVAL,
				  "a PSK server has either psk_find or psk_identity and psk_key, not both");
	else if (config->psk_find)
		goto common;
	else if (!config->psk_identity || !config->psk_key)
		ret = __ktls_fail(-EINVAL,
				  "a PSK needs both psk_identity and psk_key");
	else if (!config->psk_identity[0] ||
		 strlen(config->psk_identity) > PSK_IDENTITY_MAX)
		ret = __ktls_fail(-EINVAL,
				  "a PSK identity has 1 to %d bytes, not %zu",
				PSK_IDENTITY_MAX, strlen(config->psk_identity));
	else if (config->psk_key_len < PSK_KEY_MIN ||
		 config->psk_key_len > PSK_KEY_MAX)
		ret = __ktls_fail(-EINVAL,
				  "a PSK key has %d to %d bytes, not %zu",
				PSK_KEY_MIN, PSK_KEY_MAX, config->psk_key_len);
	if (ret)
		return __ktls_blame(ret, KTLS_FIELD_PSK);
common:
	if (ctx->max_version < KTLS_TLS_1_3)
		return __ktls_fail_field(KTLS_FIELD_VERSIONS, -EPROTONOSUPPORT,
				       "a PSK needs TLS 1.3, but max_version is TLS 1.2");
	if (config->max_early_data || config->session_tickets ||
	    config->resumption)
		return __ktls_fail(-EINVAL,
				 "a PSK context has no session tickets, resumption or 0-RTT");
	return 0;
}

int __ktls_psk_ctx_setup(struct ktls_ctx *ctx, const struct ktls_config *config)
{
	struct ktls_psk *psk;
	int ret;

	if (!config->psk_identity && !config->psk_key && !config->psk_key_len &&
	    !config->psk_find)
		return 0;
	ret = check_config(ctx, config);
	if (ret)
		return ret;
	psk = calloc(1, sizeof(*psk));
	if (!psk)
		return __ktls_fail(-ENOMEM, "out of memory");
	ret = pick_suite(config->ciphers, &psk->suite);
	if (ret)
		goto free_psk;
	/* The PSK is a TLS 1.3 mechanism: nothing older is offered. */
	if (wolfSSL_CTX_SetMinVersion(ctx->wolfssl, WOLFSSL_TLSV1_3) !=
	    WOLFSSL_SUCCESS) {
		ret = __ktls_fail(-EINVAL, "WolfSSL rejected TLS 1.3 only");
		goto free_psk;
	}
	ctx->min_version = KTLS_TLS_1_3;
	psk->find = config->psk_find;
	psk->find_arg = config->psk_find_arg;
	if (!psk->find) {
		psk->identity_len = strlen(config->psk_identity);
		memcpy(psk->identity, config->psk_identity,
		       psk->identity_len + 1);
		memcpy(psk->key, config->psk_key, config->psk_key_len);
		psk->key_len = config->psk_key_len;
	}
	psk->server_has_cert = !!config->cert_file;
	snprintf(psk->groups, sizeof(psk->groups), "%s",
		 config->groups ? config->groups : KTLS_DEFAULT_GROUPS);
	if (ctx->role == KTLS_ROLE_CLIENT)
		wolfSSL_CTX_set_psk_client_tls13_callback(ctx->wolfssl,
							  client_psk);
	else
		wolfSSL_CTX_set_psk_server_tls13_callback(ctx->wolfssl,
							  server_psk);
	wolfSSL_CTX_SetIORecv(ctx->wolfssl, checked_recv);
	wolfSSL_CTX_SetIOSend(ctx->wolfssl, checked_send);
	ctx->psk = psk;
	return 0;

free_psk:
	explicit_bzero(psk, sizeof(*psk));
	free(psk);
	return ret;
}

void __ktls_psk_ctx_free(struct ktls_ctx *ctx)
{
	if (!ctx->psk)
		return;
	explicit_bzero(ctx->psk, sizeof(*ctx->psk));
	free(ctx->psk);
	ctx->psk = NULL;
}

int __ktls_psk_session_init(struct ktls_session *session)
{
	if (!session->ctx->psk)
		return 0;
	session->psk_check = calloc(1, sizeof(*session->psk_check));
	if (!session->psk_check)
		return __ktls_fail(-ENOMEM, "out of memory");
	return 0;
}

void __ktls_psk_session_free(struct ktls_session *session)
{
	if (session->psk_check)
		__ktls_hs_buf_free(&session->psk_check->msgs);
	free(session->psk_check);
	session->psk_check = NULL;
}

int __ktls_psk_failure(struct ktls_session *session, int err)
{
	struct ktls_psk_check *check = session->psk_check;
	const struct ktls_psk *psk = session->ctx->psk;
	WOLFSSL_ALERT_HISTORY alerts;

	if (!check)
		return 0;
	if (check->refuse_err)
		return __ktls_fail(check->refuse_err, "%s", check->refusal);
	if (session->role == KTLS_ROLE_CLIENT) {
		/* Refused before any ServerHello: the PSK is what it judged. */
		if (check->done)
			return 0;
		if (wolfSSL_get_alert_history(session->ssl, &alerts) ==
			    WOLFSSL_SUCCESS &&
		    alerts.last_rx.level == TLS_ALERT_LEVEL_FATAL)
			return __ktls_fail(-EKEYREJECTED,
					 "the server refused our PSK identity \"%.300s\" (alert %s): are identity and key the same on both ends?",
					 psk->identity,
					 __ktls_alert_name(alerts.last_rx.code));
		if (session->rio.peer_closed)
			return __ktls_fail(-EKEYREJECTED,
					 "the server refused our PSK identity \"%.300s\" (it closed the connection): are identity and key the same on both ends?",
					 psk->identity);
		return 0;
	}
	/* WolfSSL 5.9 reports an unknown identity as a bad binder too. */
	if (err == BAD_BINDER && (check->identity[0] ||
				  !check->unknown_identity[0])) {
		/* RFC 8446 §4.2.11; no ServerHello has gone out yet. */
		if (!check->alert_sent)
			__ktls_plain_alert(session->fd, TLS_ALERT_DESC_DECRYPT_ERROR);
		return __ktls_fail(-EKEYREJECTED,
				 "PSK mismatch: the client's key for identity \"%.300s\" is not ours (binder does not verify)",
				 check->identity[0] ? check->identity :
						      psk->identity);
	}
	/* Not TLS at all (NVMe/TCP's plaintext ICReq on a TLS port). */
	if (!check->hello_seen && session->rio.first_len &&
	    session->rio.first[0] != TLS_RECORD_TYPE_HANDSHAKE)
		return __ktls_fail(-ECONNABORTED,
				 "the client does not speak TLS: its first byte is 0x%02x, not a TLS handshake record",
				 session->rio.first[0]);
	if (check->find_err)
		return __ktls_fail(check->find_err,
				 "finding the key for PSK identity \"%s\" failed: %s",
				 check->unknown_identity,
				 strerror(-check->find_err));
	if (check->unknown_identity[0] && psk->find)
		return __ktls_fail(-EKEYREJECTED,
				 "unknown PSK identity \"%s\": the server has no key for it",
				 check->unknown_identity);
	if (check->unknown_identity[0])
		return __ktls_fail(-EKEYREJECTED,
				 "unknown PSK identity \"%s\" (ours is \"%.64s\")",
				 check->unknown_identity, psk->identity);
	if (!check->psk_offered && !psk->server_has_cert &&
	    !session->rio.peer_closed)
		return __ktls_fail(-EKEYREJECTED,
				 "the client offered no PSK, and this server authenticates with a PSK only");
	return 0;
}

int __ktls_psk_check_done(struct ktls_session *session)
{
	struct ktls_psk_check *check = session->psk_check;

	if (!check || session->role == KTLS_ROLE_SERVER)
		return 0;
	/* Never a certificate handshake in place of the PSK one. */
	if (!check->psk_accepted)
		return __ktls_fail(-EPROTO,
				 "the handshake finished without the PSK being checked as used");
	return 0;
}

const char *ktls_session_psk_identity(const struct ktls_session *session)
{
	if (!session->psk_check || session->role != KTLS_ROLE_SERVER)
		return "";
	return session->psk_check->identity;
}
