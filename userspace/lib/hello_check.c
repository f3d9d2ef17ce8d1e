// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Alerts WolfSSL 5.9 leaves out, or gets wrong, while the handshake is still
 * in plaintext (RFC 8446 §6: every fatal error gets its alert). Called from
 * the record-exact IO (record_io.c) with each record as it arrives, before
 * WolfSSL acts on it:
 *   - record headers: a content type TLS does not have, or a zero-length
 *     handshake record, is unexpected_message (§5, §5.1); an alert record
 *     that is not exactly one alert is decode_error (§5.1, §6). WolfSSL
 *     5.9 sends nothing, record_overflow or unexpected_message for these.
 *   - a server's ClientHello: a key share of the wrong length for its group
 *     is illegal_parameter (§4.2.8; WolfSSL sends nothing), and the groups
 *     the client listed are kept for the check below. It is read whole,
 *     across as many records as it spans, up to KTLS_HELLO_MAX (OpenSSL's
 *     bound); one that says it is longer is illegal_parameter, as from
 *     OpenSSL (WolfSSL would close without an alert).
 * and with each flight we send:
 *   - a HelloRetryRequest must name a group the client listed (§4.1.4).
 *     WolfSSL 5.9 asks for one of ours when the client listed none of
 *     them; that handshake can only fail, so it fails now, with
 *     handshake_failure.
 * Last, __ktls_hello_check_failure() sends the alert for a WolfSSL error that
 * went out silently (an off-curve P-256 share: illegal_parameter).
 *
 * Only while nothing encrypted has passed either way: then an alert is a
 * plaintext record we can write ourselves. Later ones are WolfSSL's, and
 * for a TLS 1.3 server handshake_alerts.c's.
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

#define MAX_GROUPS 64

struct ktls_hello_check {
	struct ktls_hs_buf msgs;	/* handshake messages until whole */
	bool too_large;		/* stop collecting: WolfSSL judges alone */
	/* the client's supported_groups, if it sent them (and not too many) */
	bool groups_known;
	size_t nr_groups;
	uint16_t groups[MAX_GROUPS];
};

/* The key_exchange length a group's share must have; 0: not known here. */
static size_t share_len(uint16_t group)
{
	switch (group) {
	case 0x0017:	return 65;		/* secp256r1, uncompressed */
	case 0x0018:	return 97;		/* secp384r1 */
	case 0x0019:	return 133;		/* secp521r1 */
	case 0x001d:	return 32;		/* x25519 */
	case 0x001e:	return 56;		/* x448 */
	case 0x0200:	return 800;		/* MLKEM512 encapsulation key */
	case 0x0201:	return 1184;		/* MLKEM768 */
	case 0x0202:	return 1568;		/* MLKEM1024 */
	case 0x11eb:	return 65 + 1184;	/* SecP256r1MLKEM768 */
	case 0x11ec:	return 1184 + 32;	/* X25519MLKEM768 */
	case 0x11ed:	return 97 + 1568;	/* SecP384r1MLKEM1024 */
	}
	return 0;
}

static int refuse(struct ktls_record_io *rio, uint8_t alert, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

/*
 * Say why on the wire and in the reason; WolfSSL then sees an IO error and
 * sends nothing of its own.
 */
static int refuse(struct ktls_record_io *rio, uint8_t alert, const char *fmt,
		  ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rio->refusal, sizeof(rio->refusal), fmt, ap);
	va_end(ap);
	__ktls_hello_check_alert(rio, alert);
	return -EPROTO;
}

void __ktls_hello_check_alert(struct ktls_record_io *rio, uint8_t description)
{
	const uint8_t alert[] = {
		TLS_RECORD_TYPE_ALERT, 3, 3, 0, 2, TLS_ALERT_LEVEL_FATAL,
		description
	};

	if (rio->encrypted || rio->alert_sent)
		return;
	rio->alert_sent = true;
	rio->alert = description;
	/* Best effort: the handshake fails either way. */
	if (send(rio->fd, alert, sizeof(alert), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return;
}

/* key_share: KeyShareEntry client_shares<0..2^16-1> (RFC 8446 §4.2.8). */
static int check_shares(struct ktls_record_io *rio, const uint8_t *ext,
			size_t len)
{
	struct ktls_reader r = { .p = ext, .left = len };
	const uint8_t *list_len = ktls_take(&r, 2);
	uint16_t seen[MAX_GROUPS];
	size_t nr_seen = 0;

	if (!list_len || ktls_get16(list_len) != r.left)
		return refuse(rio, TLS_ALERT_DESC_DECODE_ERROR,
			      "the ClientHello's key_share does not parse");
	while (r.left) {
		const uint8_t *h = ktls_take(&r, 4);
		uint16_t group = h ? ktls_get16(h) : 0;
		size_t want = share_len(group);

		if (!h || !ktls_take(&r, ktls_get16(h + 2)) || !ktls_get16(h + 2))
			return refuse(rio, TLS_ALERT_DESC_DECODE_ERROR,
				      "the ClientHello's key_share does not parse");
		for (size_t i = 0; i < nr_seen; i++)
			if (seen[i] == group)
				return refuse(rio, TLS_ALERT_DESC_ILLEGAL_PARAMETER,
					      "the ClientHello has two key shares for group %#06x",
					      group);
		if (nr_seen < MAX_GROUPS)
			seen[nr_seen++] = group;
		if (want && ktls_get16(h + 2) != want)
			return refuse(rio, TLS_ALERT_DESC_ILLEGAL_PARAMETER,
				      "the ClientHello's key share for group %#06x has %u bytes, not %zu",
				      group, ktls_get16(h + 2), want);
	}
	return 0;
}

/* supported_groups: NamedGroup named_group_list<2..2^16-1>. */
static void keep_groups(struct ktls_hello_check *check, const uint8_t *ext,
			size_t len)
{
	size_t n = len >= 2 ? ktls_get16(ext) : 0;

	check->groups_known = false;
	if (n + 2 != len || n % 2 || n / 2 > MAX_GROUPS)
		return;		/* WolfSSL judges a malformed or long list */
	check->nr_groups = n / 2;
	for (size_t i = 0; i < check->nr_groups; i++)
		check->groups[i] = ktls_get16(ext + 2 + 2 * i);
	check->groups_known = true;
}

/* A whole ClientHello body; a malformed one is WolfSSL's to refuse. */
static int check_client_hello(struct ktls_record_io *rio, const uint8_t *body,
			      size_t len)
{
	struct ktls_reader r = { .p = body, .left = len };
	int ret;

	rio->check->groups_known = false;
	if (!__ktls_hello_extensions(&r, TLS_HS_CLIENT_HELLO))
		return 0;
	while (r.left >= 4) {
		const uint8_t *h = ktls_take(&r, 4);
		size_t ext_len = ktls_get16(h + 2);
		const uint8_t *ext = ktls_take(&r, ext_len);

		if (!ext)
			return 0;
		if (ktls_get16(h) == TLS_EXT_KEY_SHARE) {
			ret = check_shares(rio, ext, ext_len);
			if (ret)
				return ret;
		} else if (ktls_get16(h) == TLS_EXT_SUPPORTED_GROUPS) {
			keep_groups(rio->check, ext, ext_len);
		}
	}
	return 0;
}

/* Collect handshake messages from the records' bodies; check each hello. */
static int feed_handshake(struct ktls_record_io *rio, const uint8_t *buf,
			  size_t len)
{
	struct ktls_hello_check *check = rio->check;
	struct ktls_hs_buf *msgs = &check->msgs;
	long body_len;
	bool whole;
	int ret;

	if (check->too_large)
		return 0;
	if (__ktls_hs_buf_add(msgs, buf, len)) {
		/* A long message after the hello (a TLS 1.2 Certificate) */
		check->too_large = true;
		__ktls_hs_buf_free(msgs);
		return 0;
	}
	while ((body_len = ktls_hs_buf_peek(msgs, &whole)) >= 0) {
		if (msgs->msg[0] == TLS_HS_CLIENT_HELLO &&
		    body_len > KTLS_HELLO_MAX)
			return refuse(rio, TLS_ALERT_DESC_ILLEGAL_PARAMETER,
				      "the ClientHello says it has %ld bytes, more than the %d we take",
				      body_len, KTLS_HELLO_MAX);
		if (!whole)
			return 0;
		if (msgs->msg[0] == TLS_HS_CLIENT_HELLO) {
			ret = check_client_hello(rio,
						 msgs->msg + TLS_HS_HEADER_LEN,
						 (size_t)body_len);
			if (ret)
				return ret;
		}
		__ktls_hs_buf_drop(msgs, (size_t)body_len);
	}
	return 0;
}

int __ktls_hello_check_header(struct ktls_record_io *rio, const uint8_t *hdr)
{
	size_t len = ktls_get16(hdr + 3);

	if (rio->encrypted)
		return 0;
	switch (hdr[0]) {
	case TLS_RECORD_TYPE_CHANGE_CIPHER_SPEC:
	case TLS_RECORD_TYPE_DATA:
		/* The peer has keys (or sends 0-RTT): WolfSSL's from here. */
		rio->encrypted = true;
		__ktls_hello_check_free(rio);
		return 0;
	case TLS_RECORD_TYPE_HANDSHAKE:
		if (!len)
			return refuse(rio, TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
				      "the peer sent a zero-length handshake record");
		return 0;
	case TLS_RECORD_TYPE_ALERT:
		if (len != 2)
			return refuse(rio, TLS_ALERT_DESC_DECODE_ERROR,
				      "the peer sent an alert record of %zu bytes, not one alert",
				      len);
		return 0;
	}
	return refuse(rio, TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
		      "the peer sent a record of content type %u, which TLS does not have",
		      hdr[0]);
}

int __ktls_hello_check_body(struct ktls_record_io *rio, WOLFSSL *ssl,
			    const uint8_t *buf, size_t len)
{
	if (rio->encrypted || rio->type != TLS_RECORD_TYPE_HANDSHAKE ||
	    !wolfSSL_is_server(ssl))
		return 0;
	if (!rio->check) {
		rio->check = calloc(1, sizeof(*rio->check));
		if (!rio->check)
			return 0;	/* unchecked, not refused */
	}
	return feed_handshake(rio, buf, len);
}

/* Server: the HelloRetryRequest @buf starts with, if it does, is sound. */
int __ktls_hello_check_send(struct ktls_record_io *rio, const uint8_t *buf,
			    size_t len)
{
	const struct ktls_hello_check *check = rio->check;
	const uint8_t *body = buf + TLS_RECORD_HEADER_LEN + TLS_HS_HEADER_LEN;
	struct ktls_reader r;
	size_t body_len;

	if (rio->encrypted || !check || !check->groups_known ||
	    len < TLS_RECORD_HEADER_LEN + TLS_HS_HEADER_LEN ||
	    buf[0] != TLS_RECORD_TYPE_HANDSHAKE ||
	    buf[TLS_RECORD_HEADER_LEN] != TLS_HS_SERVER_HELLO)
		return 0;
	body_len = (size_t)body[-3] << 16 | (size_t)body[-2] << 8 | body[-1];
	if (body_len > len - TLS_RECORD_HEADER_LEN - TLS_HS_HEADER_LEN ||
	    body_len < 2 + KTLS_HELLO_RANDOM_LEN ||
	    memcmp(body + 2, __ktls_hrr_random, KTLS_HELLO_RANDOM_LEN))
		return 0;
	r = (struct ktls_reader){ .p = body, .left = body_len };
	if (!__ktls_hello_extensions(&r, TLS_HS_SERVER_HELLO))
		return 0;
	while (r.left >= 4) {
		const uint8_t *h = ktls_take(&r, 4);
		const uint8_t *ext = ktls_take(&r, ktls_get16(h + 2));

		if (!ext)
			return 0;
		if (ktls_get16(h) != TLS_EXT_KEY_SHARE ||
		    ktls_get16(h + 2) != 2)
			continue;
		for (size_t i = 0; i < check->nr_groups; i++)
			if (check->groups[i] == ktls_get16(ext))
				return 0;
		return refuse(rio, TLS_ALERT_DESC_HANDSHAKE_FAILURE,
			      "the client offers none of our groups (it would be asked for group %#06x, which it did not list)",
			      ktls_get16(ext));
	}
	return 0;
}

void __ktls_hello_check_free(struct ktls_record_io *rio)
{
	if (rio->check)
		__ktls_hs_buf_free(&rio->check->msgs);
	free(rio->check);
	rio->check = NULL;
}

/* The alert RFC 8446 names for a WolfSSL error it may leave unsent. */
static int alert_for(int err)
{
	switch (err) {
	case ECC_PEERKEY_ERROR:
	case PEER_KEY_ERROR:
	case BAD_KEY_SHARE_DATA:
		return TLS_ALERT_DESC_ILLEGAL_PARAMETER;
	case BUFFER_ERROR:
		return TLS_ALERT_DESC_DECODE_ERROR;
	case UNKNOWN_RECORD_TYPE:
	case OUT_OF_ORDER_E:
	case SANITY_MSG_E:
		return TLS_ALERT_DESC_UNEXPECTED_MESSAGE;
	case VERSION_ERROR:
		return TLS_ALERT_DESC_PROTOCOL_VERSION;
	case MATCH_SUITE_ERROR:
		return TLS_ALERT_DESC_HANDSHAKE_FAILURE;
	}
	return -1;
}

void __ktls_hello_check_failure(struct ktls_record_io *rio, int err)
{
	int alert = alert_for(err);

	if (alert >= 0)
		__ktls_hello_check_alert(rio, (uint8_t)alert);
}
