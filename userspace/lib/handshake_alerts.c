// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A TLS 1.3 server's alerts between its ServerHello and the client's
 * Finished, where WolfSSL 5.9 has none or the wrong one: it skips
 * application data there as if it were refused 0-RTT data
 * (DoApplicationData), and answers an alert record that holds no alert
 * with unexpected_message. RFC 8446 §5 and §5.1 want unexpected_message
 * and decode_error.
 *
 * The client's records there are under its handshake traffic key, which
 * WolfSSL's secret callback hands us. Each one is opened here too, before
 * WolfSSL reads its last byte; one that does not open under that key (0-RTT
 * data, garbage) is left to WolfSSL alone. Our alert goes out under the
 * key WolfSSL writes with by then (its application key, after our
 * Finished), at WolfSSL's next sequence number, and WolfSSL then sees an IO
 * error and writes nothing after it.
 */
#include <errno.h>
#include <linux/tls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls/tls_prot.h"
#include "ktls_internal.h"

#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>

#define TAG_LEN 16
#define NONCE_LEN 12
/* RFC 8446 §5.2: 2^14 + 256 bytes of ciphertext at most. */
#define CIPHERTEXT_MAX (16384 + 256)

struct ktls_hs_alerts {
	struct ktls_secret client_hs;	/* client_handshake_traffic_secret */
	const struct ktls_suite *suite;
	uint64_t seq;			/* client records opened under it */
	bool done;			/* the client's Finished, or gave up */
	uint8_t header[TLS_RECORD_HEADER_LEN];
	uint8_t *body;			/* the record being read, or NULL */
	size_t len;			/* of the body collected */
};

void __ktls_hs_alerts_secret(struct ktls_session *session, int id,
			     const unsigned char *secret, int len)
{
	struct ktls_record_io *rio = &session->rio;

	if (session->role != KTLS_ROLE_SERVER ||
	    id != CLIENT_HANDSHAKE_TRAFFIC_SECRET || len <= 0 ||
	    len > KTLS_MAX_HASH_LEN)
		return;
	if (!rio->hs) {
		rio->hs = calloc(1, sizeof(*rio->hs));
		if (!rio->hs)
			return;		/* WolfSSL's alerts alone */
	}
	memcpy(rio->hs->client_hs.bytes, secret, (size_t)len);
	rio->hs->client_hs.len = (size_t)len;
}

/* One AEAD operation of @suite; 0, or -EBADMSG if it does not open. */
static int aead(const struct ktls_suite *suite, bool seal, const uint8_t *key,
		const uint8_t *nonce, const uint8_t *aad, const uint8_t *in,
		size_t len, uint8_t *out, uint8_t *tag)
{
	Aes cipher;
	int ret;

	if (suite->cipher->kernel_cipher == TLS_CIPHER_CHACHA20_POLY1305)
		ret = seal ? wc_ChaCha20Poly1305_Encrypt(key, nonce, aad,
							 TLS_RECORD_HEADER_LEN,
							 in, (word32)len, out,
							 tag) :
			     wc_ChaCha20Poly1305_Decrypt(key, nonce, aad,
							 TLS_RECORD_HEADER_LEN,
							 in, (word32)len, tag,
							 out);
	else if (wc_AesInit(&cipher, NULL, INVALID_DEVID))
		return -EIO;
	else if (suite->cipher->kernel_cipher == TLS_CIPHER_AES_CCM_128)
		ret = wc_AesCcmSetKey(&cipher, key, suite->cipher->key_len) ||
		      (seal ? wc_AesCcmEncrypt(&cipher, out, in, (word32)len,
					       nonce, NONCE_LEN, tag, TAG_LEN,
					       aad, TLS_RECORD_HEADER_LEN) :
			      wc_AesCcmDecrypt(&cipher, out, in, (word32)len,
					       nonce, NONCE_LEN, tag, TAG_LEN,
					       aad, TLS_RECORD_HEADER_LEN));
	else
		ret = wc_AesGcmSetKey(&cipher, key, suite->cipher->key_len) ||
		      (seal ? wc_AesGcmEncrypt(&cipher, out, in, (word32)len,
					       nonce, NONCE_LEN, tag, TAG_LEN,
					       aad, TLS_RECORD_HEADER_LEN) :
			      wc_AesGcmDecrypt(&cipher, out, in, (word32)len,
					       nonce, NONCE_LEN, tag, TAG_LEN,
					       aad, TLS_RECORD_HEADER_LEN));
	if (suite->cipher->kernel_cipher != TLS_CIPHER_CHACHA20_POLY1305)
		wc_AesFree(&cipher);
	return ret ? -EBADMSG : 0;
}

/* Key and per-record nonce of @secret at sequence number @seq. */
static int key_nonce(const struct ktls_suite *suite,
		     const struct ktls_secret *secret, uint64_t seq,
		     uint8_t *key, uint8_t nonce[NONCE_LEN])
{
	int ret = __ktls_traffic_key_iv(suite->hash, secret->bytes, key,
				      suite->cipher->key_len, nonce, NONCE_LEN);

	for (int i = 0; i < 8; i++)
		nonce[NONCE_LEN - 1 - i] ^= (uint8_t)(seq >> (8 * i));
	return ret;
}

/* Our fatal alert under the key WolfSSL writes with now. */
static int refuse(struct ktls_session *session, uint8_t description,
		  const char *why)
{
	struct ktls_record_io *rio = &session->rio;
	const uint8_t inner[3] = {
		TLS_ALERT_LEVEL_FATAL, description, TLS_RECORD_TYPE_ALERT
	};
	uint8_t rec[TLS_RECORD_HEADER_LEN + sizeof(inner) + TAG_LEN];
	uint8_t key[32], nonce[NONCE_LEN];
	word64 seq = 0;
	int ret;

	snprintf(rio->refusal, sizeof(rio->refusal), "%s", why);
	rio->alert = description;
	rio->alert_sent = true;
	rec[0] = TLS_RECORD_TYPE_DATA;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = 0;
	rec[4] = sizeof(inner) + TAG_LEN;
	/* Both return !seq, so only a negative value fails. */
	if (wolfSSL_GetSequenceNumber(session->ssl, &seq) < 0 ||
	    key_nonce(rio->hs->suite, &session->server_traffic, seq, key,
		      nonce))
		return -EPROTO;
	ret = aead(rio->hs->suite, true, key, nonce, rec, inner,
		   sizeof(inner), rec + TLS_RECORD_HEADER_LEN,
		   rec + TLS_RECORD_HEADER_LEN + sizeof(inner));
	explicit_bzero(key, sizeof(key));
	/* Best effort: the handshake fails either way. */
	if (!ret && send(rio->fd, rec, sizeof(rec),
			 MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -EPROTO;
	return -EPROTO;
}

/* What a record opened under the handshake key holds: 0, or refused. */
static int judge(struct ktls_session *session, const uint8_t *plain,
		 size_t len)
{
	while (len && !plain[len - 1])
		len--;
	if (!len--)
		return 0;	/* no content type: WolfSSL refuses it */
	switch (plain[len]) {
	case TLS_RECORD_TYPE_DATA:
		return refuse(session, TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
			      "the client sent application data before its Finished");
	case TLS_RECORD_TYPE_ALERT:
		if (len != 2)
			return refuse(session, TLS_ALERT_DESC_DECODE_ERROR,
				      "the client sent an encrypted alert record that is not one alert");
		break;
	case TLS_RECORD_TYPE_HANDSHAKE:
		if (len && plain[0] == TLS_HS_FINISHED)
			session->rio.hs->done = true;
		break;
	}
	return 0;
}

/* A whole record from the client: open it, and judge what it holds. */
static int check_record(struct ktls_session *session)
{
	struct ktls_hs_alerts *hs = session->rio.hs;
	uint8_t key[32], nonce[NONCE_LEN], *plain;
	size_t len;
	int ret;

	if (hs->len < TAG_LEN + 1)
		return 0;
	len = hs->len - TAG_LEN;
	plain = malloc(len);
	if (!plain)
		return 0;	/* unchecked, not refused */
	ret = key_nonce(hs->suite, &hs->client_hs, hs->seq, key, nonce);
	if (!ret)
		ret = aead(hs->suite, false, key, nonce, hs->header, hs->body,
			   len, plain, hs->body + len);
	explicit_bzero(key, sizeof(key));
	/* Not under this key (0-RTT, garbage): WolfSSL's to judge. */
	if (!ret) {
		hs->seq++;
		ret = judge(session, plain, len);
	} else {
		ret = 0;
	}
	explicit_bzero(plain, len);
	free(plain);
	return ret;
}

static void drop_record(struct ktls_hs_alerts *hs)
{
	free(hs->body);
	hs->body = NULL;
	hs->len = 0;
}

/* Is this session where our checks apply? Settles the suite once. */
static bool in_scope(struct ktls_session *session)
{
	struct ktls_hs_alerts *hs = session->rio.hs;

	if (!hs || !hs->client_hs.len || !session->server_traffic.len)
		return false;
	if (hs->done || wolfSSL_is_init_finished(session->ssl)) {
		__ktls_hs_alerts_free(&session->rio);
		return false;
	}
	if (!hs->suite)
		hs->suite = __ktls_suite_find((uint16_t)
			wolfSSL_get_current_cipher_suite(session->ssl));
	if (!hs->suite || hs->suite->version != TLS_1_3_VERSION) {
		__ktls_hs_alerts_free(&session->rio);
		return false;
	}
	return true;
}

int __ktls_hs_alerts_header(struct ktls_record_io *rio, WOLFSSL *ssl,
			    const uint8_t *hdr)
{
	struct ktls_session *session = wolfSSL_get_ex_data(ssl, 0);

	size_t len = (size_t)hdr[3] << 8 | hdr[4];

	if (!session || hdr[0] != TLS_RECORD_TYPE_DATA || !in_scope(session))
		return 0;
	drop_record(rio->hs);
	/* Too long or empty: WolfSSL refuses it. */
	if (len > CIPHERTEXT_MAX || !len)
		return 0;
	memcpy(rio->hs->header, hdr, TLS_RECORD_HEADER_LEN);
	rio->hs->body = malloc(len);
	return 0;
}

int __ktls_hs_alerts_body(struct ktls_record_io *rio, WOLFSSL *ssl,
			  const uint8_t *buf, size_t len)
{
	struct ktls_session *session = wolfSSL_get_ex_data(ssl, 0);
	struct ktls_hs_alerts *hs;
	int ret;

	if (!session || rio->type != TLS_RECORD_TYPE_DATA || !in_scope(session))
		return 0;
	hs = rio->hs;		/* in_scope() may have freed the last one */
	if (!hs->body)
		return 0;
	memcpy(hs->body + hs->len, buf, len);
	hs->len += len;
	if (rio->body_left)
		return 0;
	ret = check_record(session);
	drop_record(hs);
	return ret;
}

void __ktls_hs_alerts_free(struct ktls_record_io *rio)
{
	if (!rio->hs)
		return;
	drop_record(rio->hs);
	explicit_bzero(rio->hs, sizeof(*rio->hs));
	free(rio->hs);
	rio->hs = NULL;
}
