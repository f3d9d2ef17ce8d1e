// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Peer verification and why a handshake failed. Certificate errors are
 * reported in the words people search for: "certificate has expired",
 * "certificate signed by unknown authority", "certificate name mismatch",
 * "handshake failure: no shared version or cipher suite".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ktls/tls_prot.h"
#include "ktls_internal.h"

#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

#define NO_SHARED "handshake failure: no shared version or cipher suite"
/* The peer's handshake_failure does not say which list had nothing in common. */
#define PEER_NO_SHARED \
	"handshake failure: no shared version, cipher suite or group"

/*
 * The verify callback sees X509_V_ERR_* codes (OpenSSL's numbering, > 0),
 * the handshake WolfSSL's own (< 0): one switch takes both.
 */
#define X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT 2
#define X509_V_ERR_CERT_NOT_YET_VALID 9
#define X509_V_ERR_CERT_HAS_EXPIRED 10
#define X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD 13
#define X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD 14
#define X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT 18
#define X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN 19
#define X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY 20
#define X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE 21
#define X509_V_ERR_CERT_REVOKED 23
#define X509_V_ERR_HOSTNAME_MISMATCH 62
#define X509_V_ERR_IP_ADDRESS_MISMATCH 64

const char *__ktls_cert_error_phrase(int err)
{
	switch (err) {
	case ASN_AFTER_DATE_E:
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		return "certificate has expired";
	case ASN_BEFORE_DATE_E:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
		return "certificate is not yet valid";
	case ASN_NO_SIGNER_E:
	case ASN_SELF_SIGNED_E:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return "certificate signed by unknown authority";
	case DOMAIN_NAME_MISMATCH:
	case IPADDR_MISMATCH:
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return "certificate name mismatch";
	case CRL_CERT_REVOKED:
	case X509_V_ERR_CERT_REVOKED:
		return "certificate revoked";
	case CRL_MISSING:
		return "no CRL for the certificate's issuer (crl_file)";
	case CRL_CERT_DATE_ERR:
		return "the issuer's CRL is out of date (crl_file)";
	}
	return "certificate rejected";
}

/*
 * Report-only verification (ktls-probe): remember why the chain failed and
 * let the handshake finish, so the chain can be shown with its verdict.
 */
static int record_verify_error(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	struct ktls_session *session;
	WOLFSSL *ssl;
	int idx;

	if (preverify)
		return 1;
	idx = wolfSSL_get_ex_data_X509_STORE_CTX_idx();
	ssl = wolfSSL_X509_STORE_CTX_get_ex_data(store, idx);
	session = ssl ? wolfSSL_get_ex_data(ssl, 0) : NULL;
	if (session && !session->verify_error)
		session->verify_error = wolfSSL_X509_STORE_CTX_get_error(store);
	return 1;
}

static int load_trust_store(WOLFSSL_CTX *wctx, const struct ktls_config *config,
			    const char *ca_file)
{
	uint8_t *pem;
	size_t len;
	int ret;

	ret = __ktls_read_config_file(config, "trust store", ca_file, &pem, &len);
	if (ret)
		return __ktls_blame(ret, KTLS_FIELD_CA_FILE);
	ret = wolfSSL_CTX_load_verify_buffer(wctx, pem, (long)len,
					     WOLFSSL_FILETYPE_PEM);
	ktls_file_free(pem, len);
	if (ret != WOLFSSL_SUCCESS)
		return __ktls_fail_field(KTLS_FIELD_CA_FILE, -EINVAL,
				       "trust store %s holds no PEM certificate",
				       ca_file);
	return 0;
}

/* After the trust store: WolfSSL checks each CRL's signature against it. */
static int read_crls(WOLFSSL_CTX *wctx, const struct ktls_config *config)
{
	uint8_t *pem;
	size_t len;
	int ret;

	if (!config->crl_file)
		return 0;
	ret = __ktls_read_config_file(config, "CRL file", config->crl_file, &pem,
				      &len);
	if (ret)
		return ret;
	ret = wolfSSL_CTX_EnableCRL(wctx, WOLFSSL_CRL_CHECKALL);
	if (ret == WOLFSSL_SUCCESS)
		ret = wolfSSL_CTX_LoadCRLBuffer(wctx, pem, (long)len,
						WOLFSSL_FILETYPE_PEM);
	ktls_file_free(pem, len);
	if (ret == ASN_CRL_NO_SIGNER_E || ret == ASN_CRL_CONFIRM_E)
		return __ktls_fail(-EINVAL,
				 "CRL file %s: a CRL is not signed by a CA of the trust store",
				 config->crl_file);
	if (ret != WOLFSSL_SUCCESS)
		return __ktls_fail(-EINVAL,
				 "CRL file %s holds no PEM CRL WolfSSL can use (error %d)",
				 config->crl_file, ret);
	return 0;
}

static int load_crls(WOLFSSL_CTX *wctx, const struct ktls_config *config)
{
	return __ktls_blame(read_crls(wctx, config), KTLS_FIELD_CRL_FILE);
}

int __ktls_verify_setup(WOLFSSL_CTX *wctx, const struct ktls_config *config)
{
	const char *ca_file = config->ca_file ? config->ca_file :
						SYSTEM_CA_BUNDLE;
	int ret;

	if (!config->server_name)
		return __ktls_fail_field(KTLS_FIELD_SERVER_NAME, -EINVAL,
				       "a TLS client needs the server name to verify its certificate");
	ret = load_trust_store(wctx, config, ca_file);
	if (!ret)
		ret = load_crls(wctx, config);
	if (ret)
		return ret;
	wolfSSL_CTX_set_verify(wctx, WOLFSSL_VERIFY_PEER,
			       config->verify_report_only ? record_verify_error :
							    NULL);
	return 0;
}

int __ktls_verify_client_setup(WOLFSSL_CTX *wctx,
			       const struct ktls_config *config)
{
	const char *ca_file = config->ca_file;
	int ret;

	/*
	 * Never the system bundle: it would let in a client certificate
	 * from any public CA, which says nothing about who may connect.
	 */
	if (!ca_file)
		return __ktls_fail_field(KTLS_FIELD_CA_FILE, -EINVAL,
				       "verify_client needs ca_file, the CA certificates client certificates must chain to (the system bundle would accept any publicly trusted certificate)");
	ret = load_trust_store(wctx, config, ca_file);
	if (!ret)
		ret = load_crls(wctx, config);
	if (ret)
		return ret;
	/*
	 * A client without a certificate fails the handshake (NO_PEER_CERT),
	 * unless it is optional: then only one that does not verify fails.
	 */
	wolfSSL_CTX_set_verify(wctx,
			       config->client_cert_optional ?
				       WOLFSSL_VERIFY_PEER :
				       WOLFSSL_VERIFY_PEER |
					       WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			       NULL);
	return 0;
}

static bool is_ip_address(const char *name)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, addr) == 1 ||
	       inet_pton(AF_INET6, name, addr) == 1;
}

int __ktls_verify_name(WOLFSSL *ssl, const char *name, bool report_only)
{
	bool ip = is_ip_address(name);

	/*
	 * Report-only (ktls-probe) checks the name itself after the
	 * handshake: WolfSSL 5.9 lets a verify callback override a chain
	 * error but not a name mismatch on an otherwise good chain.
	 */
	if (report_only)
		return ip || wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, name,
					    (unsigned short)strlen(name)) ==
				     WOLFSSL_SUCCESS ?
			       0 :
			       __ktls_fail(-EINVAL, "cannot use server name %s",
					   name);
	if (ip) {
		/* An IP is matched against IP SANs and never sent as SNI. */
		if (wolfSSL_X509_VERIFY_PARAM_set1_ip_asc(wolfSSL_get0_param(ssl),
							  name) !=
		    WOLFSSL_SUCCESS)
			return __ktls_fail(-EINVAL, "cannot verify against IP %s",
					 name);
		return 0;
	}
	if (wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, name,
			   (unsigned short)strlen(name)) != WOLFSSL_SUCCESS ||
	    wolfSSL_check_domain_name(ssl, name) != WOLFSSL_SUCCESS)
		return __ktls_fail(-EINVAL, "cannot use server name %s", name);
	return 0;
}

void __ktls_verify_report_name(struct ktls_session *session, const char *name)
{
	WOLFSSL_X509_CHAIN *chain = wolfSSL_get_peer_chain(session->ssl);
	WOLFSSL_X509 *leaf;
	int ok;

	if (session->verify_error || !chain ||
	    wolfSSL_get_chain_count(chain) < 1)
		return;
	leaf = wolfSSL_get_chain_X509(chain, 0);
	if (!leaf)
		return;
	if (is_ip_address(name))
		ok = wolfSSL_X509_check_ip_asc(leaf, name, 0) == WOLFSSL_SUCCESS;
	else
		ok = wolfSSL_X509_check_host(leaf, name, strlen(name), 0,
					     NULL) == WOLFSSL_SUCCESS;
	wolfSSL_X509_free(leaf);
	if (!ok)
		session->verify_error = is_ip_address(name) ? IPADDR_MISMATCH :
							      DOMAIN_NAME_MISMATCH;
}

/* The peer told us why it gave up. */
static int peer_alert(int code, const char *name)
{
	switch (code) {
	case TLS_ALERT_DESC_PROTOCOL_VERSION:
	case TLS_ALERT_DESC_HANDSHAKE_FAILURE:
	case TLS_ALERT_DESC_INSUFFICIENT_SECURITY:
		return __ktls_fail(-EPROTONOSUPPORT,
				 PEER_NO_SHARED " (the peer sent alert %s)",
				 name);
	/* WolfSSL sends bad_certificate for a name mismatch. */
	case TLS_ALERT_DESC_BAD_CERTIFICATE:
	case TLS_ALERT_DESC_UNSUPPORTED_CERTIFICATE:
	case TLS_ALERT_DESC_CERTIFICATE_REVOKED:
	case TLS_ALERT_DESC_CERTIFICATE_EXPIRED:
	case TLS_ALERT_DESC_CERTIFICATE_UNKNOWN:
	case TLS_ALERT_DESC_UNKNOWN_CA:
		return __ktls_fail(-EKEYREJECTED,
				 "the peer rejected our certificate (alert %s)",
				 name);
	case TLS_ALERT_DESC_CERTIFICATE_REQUIRED:
		return __ktls_fail(-EKEYREJECTED,
				 "the server requires a client certificate (alert %s): set cert_file and key_file",
				 name);
	}
	return __ktls_fail(-ECONNABORTED,
			 "TLS handshake failed: the peer sent fatal alert %s",
			 name);
}

/* The peer's first bytes are an HTTP request line: it is not speaking TLS. */
static bool plain_http(const struct ktls_record_io *rio)
{
	static const char *const methods[] = {
		"GET /", "HEAD ", "POST ", "PUT /", "DELET", "OPTIO", "PATCH",
		"CONNE",
	};

	if (rio->first_len < TLS_RECORD_HEADER_LEN)
		return false;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!memcmp(rio->first, methods[i], TLS_RECORD_HEADER_LEN))
			return true;
	return false;
}

int __ktls_handshake_failure(struct ktls_session *session, int ret,
			     const char *peer_name)
{
	WOLFSSL *ssl = session->ssl;
	int err = wolfSSL_get_error(ssl, ret);
	int io_errno = session->rio.last_errno;
	WOLFSSL_ALERT_HISTORY alerts;
	char msg[WOLFSSL_MAX_ERROR_SZ];

	if (wolfSSL_get_alert_history(ssl, &alerts) == WOLFSSL_SUCCESS &&
	    alerts.last_rx.level == TLS_ALERT_LEVEL_FATAL)
		return peer_alert(alerts.last_rx.code,
				  __ktls_alert_name(alerts.last_rx.code));
	/* We refused the peer's record or hello, with an alert. */
	if (session->rio.refusal[0] && !plain_http(&session->rio))
		return __ktls_fail(-EPROTO,
				 "TLS handshake failed: %s (we sent alert %s)",
				 session->rio.refusal,
				 __ktls_alert_name(session->rio.alert));
	/* An error WolfSSL sent no alert for gets its alert from us. */
	__ktls_hello_check_failure(&session->rio, err);

	switch (err) {
	case DOMAIN_NAME_MISMATCH:
	case IPADDR_MISMATCH:
		return __ktls_fail(-EKEYREJECTED,
				 "%s: the certificate is not valid for %s",
				 __ktls_cert_error_phrase(err),
				 peer_name ? peer_name : "the requested name");
	case ASN_AFTER_DATE_E:
	case ASN_BEFORE_DATE_E:
	case ASN_NO_SIGNER_E:
	case ASN_SELF_SIGNED_E:
	case CRL_CERT_REVOKED:
	case CRL_MISSING:
	case CRL_CERT_DATE_ERR:
		return __ktls_fail(-EKEYREJECTED, "%s", __ktls_cert_error_phrase(err));
	case VERSION_ERROR:
	case MATCH_SUITE_ERROR:
		return __ktls_fail(-EPROTONOSUPPORT, NO_SHARED);
	case NO_PEER_CERT:
		return __ktls_fail(-EKEYREJECTED,
				 "the client sent no certificate, and this server requires one");
	}

	/*
	 * WolfSSL 5.9 (OPENSSL_EXTRA) reports MATCH_SUITE_ERROR as
	 * SSL_ERROR_SYSCALL; the alert it sent tells it from a closed peer.
	 */
	if (err == WOLFSSL_ERROR_SYSCALL && !session->rio.peer_closed &&
	    alerts.last_tx.level == TLS_ALERT_LEVEL_FATAL &&
	    (alerts.last_tx.code == TLS_ALERT_DESC_HANDSHAKE_FAILURE ||
	     alerts.last_tx.code == TLS_ALERT_DESC_PROTOCOL_VERSION))
		return __ktls_fail(-EPROTONOSUPPORT, NO_SHARED);

	if (plain_http(&session->rio))
		return __ktls_fail(-EPROTO,
				 "TLS handshake failed: the peer sent a plain HTTP request, not TLS (http:// instead of https://?)");
	if (session->rio.peer_closed)
		return __ktls_fail(-ECONNRESET,
				 "TLS handshake failed: the peer closed the connection");
	if (io_errno && io_errno != EAGAIN)
		return __ktls_fail(-io_errno, "TLS handshake failed: %s",
				 strerror(io_errno));
	wolfSSL_ERR_error_string_n((unsigned long)err, msg, sizeof(msg));
	return __ktls_fail(-ECONNABORTED, "TLS handshake failed: %s (%d)", msg,
			 err);
}
