// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a finished handshake tells about the peer: its certificate chain as
 * it was sent (subject, issuer, SANs, validity), the verification verdict,
 * whether the session was resumed. For ktls-probe and for logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ktls_internal.h"

#include <wolfssl/wolfcrypt/asn.h>

/* GeneralName tags (RFC 5280), without wolfssl/openssl's OpenSSL names */
#define GEN_DNS 2
#define GEN_IPADD 7
/* WolfSSL's OID sum: 5.9 changed it from 131, so not a literal */
#define SUBJECT_ALT_NAME WC_NID_subject_alt_name

static void name_of(WOLFSSL_X509_NAME *name, char *out, size_t len)
{
	if (!name || !wolfSSL_X509_NAME_oneline(name, out, (int)len))
		snprintf(out, len, "(none)");
}

static void time_of(const WOLFSSL_ASN1_TIME *t, char *out, size_t len)
{
	struct tm tm;

	if (!t || wolfSSL_ASN1_TIME_to_tm(t, &tm) != WOLFSSL_SUCCESS ||
	    !strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, len, "(unknown)");
}

static void append(char *out, size_t len, const char *kind, const char *v)
{
	size_t used = strlen(out);

	snprintf(out + used, len - used, "%s%s:%s", used ? ", " : "", kind, v);
}

static void sans_of(WOLFSSL_X509 *x509, char *out, size_t len)
{
	WOLFSSL_STACK *names;
	char ip[INET6_ADDRSTRLEN];

	out[0] = '\0';
	names = wolfSSL_X509_get_ext_d2i(x509, SUBJECT_ALT_NAME, NULL, NULL);
	if (!names)
		return;
	for (int i = 0; i < wolfSSL_sk_GENERAL_NAME_num(names); i++) {
		WOLFSSL_GENERAL_NAME *gn = wolfSSL_sk_GENERAL_NAME_value(names, i);
		unsigned char *data;
		int data_len;

		if (!gn)
			continue;
		if (gn->type == GEN_DNS) {
			append(out, len, "DNS",
			       (char *)wolfSSL_ASN1_STRING_data(gn->d.dNSName));
		} else if (gn->type == GEN_IPADD) {
			data = wolfSSL_ASN1_STRING_data(gn->d.iPAddress);
			data_len = wolfSSL_ASN1_STRING_length(gn->d.iPAddress);
			if (inet_ntop(data_len == 16 ? AF_INET6 : AF_INET, data,
				      ip, sizeof(ip)))
				append(out, len, "IP", ip);
		}
	}
	wolfSSL_sk_GENERAL_NAME_pop_free(names, wolfSSL_GENERAL_NAME_free);
}

int ktls_session_peer_certs(const struct ktls_session *session)
{
	WOLFSSL_X509_CHAIN *chain = wolfSSL_get_peer_chain(session->ssl);

	return chain ? wolfSSL_get_chain_count(chain) : 0;
}

int ktls_session_peer_cert(const struct ktls_session *session, int index,
			   struct ktls_cert_info *info)
{
	WOLFSSL_X509_CHAIN *chain = wolfSSL_get_peer_chain(session->ssl);
	WOLFSSL_X509 *x509;

	if (!chain || index < 0 || index >= wolfSSL_get_chain_count(chain))
		return __ktls_fail(-ENOENT, "no peer certificate %d", index);
	x509 = wolfSSL_get_chain_X509(chain, index);
	if (!x509)
		return __ktls_fail(-EINVAL, "peer certificate %d does not parse",
				 index);
	name_of(wolfSSL_X509_get_subject_name(x509), info->subject,
		sizeof(info->subject));
	name_of(wolfSSL_X509_get_issuer_name(x509), info->issuer,
		sizeof(info->issuer));
	sans_of(x509, info->san, sizeof(info->san));
	time_of(wolfSSL_X509_get_notBefore(x509), info->not_before,
		sizeof(info->not_before));
	time_of(wolfSSL_X509_get_notAfter(x509), info->not_after,
		sizeof(info->not_after));
	wolfSSL_X509_free(x509);
	return 0;
}

const char *ktls_session_verify_result(const struct ktls_session *session)
{
	/*
	 * A server that verifies client certificates only gets this far
	 * with one that verified, or (optional) with none.
	 */
	if (session->role == KTLS_ROLE_SERVER) {
		if (!session->ctx->verify_client)
			return "not verified (server)";
		/* Optional and not sent: nothing was verified. */
		return ktls_session_peer_certs(session) > 0 ?
			       "ok" : "no client certificate";
	}
	return session->verify_error ?
		       __ktls_cert_error_phrase(session->verify_error) : "ok";
}

bool ktls_session_resumed(const struct ktls_session *session)
{
	return wolfSSL_session_reused(session->ssl);
}

int ktls_session_round_trips(const struct ktls_session *session)
{
	return session->round_trips;
}
