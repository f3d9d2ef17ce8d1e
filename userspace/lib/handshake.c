// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS handshake, run by WolfSSL over record-exact IO. What the kernel
 * will need afterwards (traffic secrets, suite) is captured here; the keys
 * themselves are derived at install time (install.c).
 */
#include <errno.h>
#include <linux/tls.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ktls_internal.h"

static pthread_once_t wolfssl_once = PTHREAD_ONCE_INIT;
static int wolfssl_init_ret;

static void wolfssl_init(void)
{
	wolfssl_init_ret = wolfSSL_Init();
}

/*
 * The private key, read into memory that is wiped once WolfSSL has it: from
 * the file into pages of their own (secret_file.c), or from the caller's
 * read_file hook.
 */
static int load_private_key(WOLFSSL_CTX *wctx, const struct ktls_config *config)
{
	uint8_t *pem;
	size_t len;
	int ret;

	if (config->read_file)
		ret = __ktls_read_config_file(config, "private key file",
					      config->key_file, &pem, &len);
	else
		ret = __ktls_read_secret_file("private key file",
					      config->key_file, &pem, &len);
	if (ret)
		return ret;
	ret = wolfSSL_CTX_use_PrivateKey_buffer(wctx, pem, (long)len,
						WOLFSSL_FILETYPE_PEM);
	if (config->read_file)
		ktls_file_free(pem, len);
	else
		__ktls_secret_free(pem, len);
	if (ret != WOLFSSL_SUCCESS)
		return __ktls_fail(-EINVAL, "%s is not a PEM private key",
				 config->key_file);
	return __ktls_check_key_pair(wctx, config->key_file, config->cert_file);
}

/*
 * Our certificate chain and key: a server's, or a client's for mutual TLS.
 * With a signer the key stays in its own process (signer.c).
 */
static int load_identity(struct ktls_ctx *ctx, const struct ktls_config *config)
{
	WOLFSSL_CTX *wctx = ctx->wolfssl;
	uint8_t *pem;
	size_t len;
	int ret;

	ret = __ktls_read_config_file(config, "certificate file",
				      config->cert_file, &pem, &len);
	if (ret)
		return __ktls_blame(ret, KTLS_FIELD_CERT_FILE);
	ret = wolfSSL_CTX_use_certificate_chain_buffer(wctx, pem, (long)len);
	ktls_file_free(pem, len);
	if (ret != WOLFSSL_SUCCESS)
		return __ktls_fail_field(KTLS_FIELD_CERT_FILE, -EINVAL,
				       "%s is not a PEM certificate chain",
				       config->cert_file);
	/* The signer reads the certificate's public key. */
	if (config->signer)
		return __ktls_blame(__ktls_signer_setup(ctx, config),
				  KTLS_FIELD_CERT_FILE);
	/* Unreadable, not a key, or not the certificate's key. */
	return __ktls_blame(load_private_key(wctx, config), KTLS_FIELD_KEY_FILE);
}

/* A certificate goes with its key, or with a signer that holds it. */
static bool has_key(const struct ktls_config *config)
{
	return config->key_file || config->signer;
}

static int setup_server(struct ktls_ctx *ctx, const struct ktls_config *config)
{
	WOLFSSL_CTX *wctx = ctx->wolfssl;
	int ret;

	if (!config->cert_file && !has_key(config) && !ctx->psk)
		return __ktls_fail_field(KTLS_FIELD_CERT_FILE, -EINVAL,
				       "a TLS server needs a certificate and a private key, or a PSK");
	if (!config->cert_file || !has_key(config)) {
		if (config->cert_file || has_key(config))
			return __ktls_fail_field(config->cert_file ?
					       KTLS_FIELD_KEY_FILE :
					       KTLS_FIELD_CERT_FILE, -EINVAL,
					       "cert_file and key_file go together");
		/* PSK only: no certificate to present. */
	} else {
		ret = load_identity(ctx, config);
		if (ret)
			return ret;
	}
	if (config->verify_client) {
		if (ctx->psk && !config->cert_file)
			return __ktls_fail(-EINVAL,
					 "verify_client is for certificate handshakes; a PSK-only server has none");
		ret = __ktls_verify_client_setup(wctx, config);
		if (ret)
			return ret;
		ctx->verify_client = true;
	} else if (config->client_cert_optional) {
		return __ktls_fail(-EINVAL,
				 "client_cert_optional goes with verify_client (it makes the client certificate optional)");
	} else if (config->crl_file) {
		return __ktls_fail_field(KTLS_FIELD_CRL_FILE, -EINVAL,
				       "crl_file checks client certificates: a server needs verify_client for it");
	}
	/*
	 * WolfSSL's session cache is one for the whole process, and its
	 * server-side lookup ignores the session-ID context: a session made
	 * on one context would resume on any other (past verify_client, or
	 * with a client certificate from a CA a reload dropped). So no
	 * session-ID resumption: a server resumes from tickets only, whose
	 * key WolfSSL draws at random for each context (DefTicketEncCb), or
	 * a ticket sealer keeps apart (tickets.c).
	 */
	if (wolfSSL_CTX_set_session_cache_mode(wctx, WOLFSSL_SESS_CACHE_OFF) !=
	    WOLFSSL_SUCCESS)
		return __ktls_fail(-EINVAL, "cannot turn the session cache off");
	/*
	 * A TLS 1.3 ticket goes out under the application key at the end of
	 * the handshake; the client meets it inside kernel TLS (ktls_recv
	 * reads past it). Off unless asked for: in TLS 1.2 too, where
	 * WolfSSL answers a client's session_ticket extension by default.
	 */
	if (!config->session_tickets) {
		wolfSSL_CTX_no_ticket_TLSv13(wctx);
		wolfSSL_CTX_set_options(wctx, WOLFSSL_OP_NO_TICKET);
	} else if (wolfSSL_CTX_UseSessionTicket(wctx) != WOLFSSL_SUCCESS) {
		return __ktls_fail(-EINVAL, "cannot enable session tickets");
	}
	return __ktls_tickets_ctx_setup(ctx, config);
}

static int setup_client(struct ktls_ctx *ctx, const struct ktls_config *config)
{
	int ret;

	if (config->verify_client || config->client_cert_optional)
		return __ktls_fail(-EINVAL,
				 "verify_client is for a server (a client always verifies the server)");
	if (config->cert_file || has_key(config)) {
		if (!config->cert_file || !has_key(config))
			return __ktls_fail_field(config->cert_file ?
					       KTLS_FIELD_KEY_FILE :
					       KTLS_FIELD_CERT_FILE, -EINVAL,
					       "cert_file and key_file go together");
		ret = load_identity(ctx, config);
		if (ret)
			return ret;
	}
	/*
	 * The PSK authenticates the server: psk.c refuses a handshake that
	 * did not use it, so without a name there are no certificates to
	 * check.
	 */
	if (ctx->psk && !config->server_name) {
		if (config->crl_file)
			return __ktls_fail_field(KTLS_FIELD_CRL_FILE, -EINVAL,
					       "crl_file checks the server's certificate: a PSK client without server_name checks none");
		wolfSSL_CTX_set_verify(ctx->wolfssl, WOLFSSL_VERIFY_NONE, NULL);
		return 0;
	}
	return __ktls_verify_setup(ctx->wolfssl, config);
}

static int set_versions(struct ktls_ctx *ctx, const struct ktls_config *config)
{
	uint16_t min = config->min_version ? config->min_version : KTLS_TLS_1_2;
	uint16_t max = config->max_version ? config->max_version : KTLS_TLS_1_3;

	if (min < KTLS_TLS_1_2 || max > KTLS_TLS_1_3 || min > max)
		return __ktls_fail_field(KTLS_FIELD_VERSIONS, -EINVAL,
				       "TLS versions %#x..%#x: only TLS 1.2 and 1.3 are supported",
				       min, max);
	if (wolfSSL_CTX_SetMinVersion(ctx->wolfssl,
				      min == KTLS_TLS_1_3 ? WOLFSSL_TLSV1_3 :
							    WOLFSSL_TLSV1_2) !=
		    WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_max_proto_version(ctx->wolfssl, max) !=
		    WOLFSSL_SUCCESS)
		return __ktls_fail_field(KTLS_FIELD_VERSIONS, -EINVAL,
				       "WolfSSL rejected the TLS versions");
	ctx->min_version = min;
	ctx->max_version = max;
	return 0;
}

/* ECDHE only, and only suites the kernel can take over. */
static int set_suites_and_groups(struct ktls_ctx *ctx,
				 const struct ktls_config *config)
{
	char list[1024];
	int ret;

	ret = __ktls_suites_to_wolfssl(config->ciphers, ctx->min_version,
				       ctx->max_version, list, sizeof(list));
	if (!ret && wolfSSL_CTX_set_cipher_list(ctx->wolfssl, list) !=
			    WOLFSSL_SUCCESS)
		ret = __ktls_fail(-EINVAL, "WolfSSL rejected cipher list %s",
				  list);
	if (ret)
		return __ktls_blame(ret, KTLS_FIELD_CIPHERS);
	ret = __ktls_groups_parse(config->groups, ctx->groups, &ctx->nr_groups);
	if (ret)
		return __ktls_blame(ret, KTLS_FIELD_GROUPS);
	/*
	 * The groups list (not just set_groups) also disables every other
	 * curve, which is what restricts a TLS 1.2 server's choice; the
	 * curves list would refuse the hybrids. Its order is the server's
	 * preference and the client's supported_groups order; key shares
	 * are groups.c's.
	 */
	if (wolfSSL_CTX_set1_groups_list(ctx->wolfssl,
					 config->groups ? config->groups :
							  KTLS_DEFAULT_GROUPS) !=
	    WOLFSSL_SUCCESS)
		return __ktls_fail_field(KTLS_FIELD_GROUPS, -EINVAL,
				       "WolfSSL rejected the groups");
	return 0;
}

int ktls_ctx_new(const struct ktls_config *config, struct ktls_ctx **out)
{
	struct ktls_ctx *ctx;
	WOLFSSL_METHOD *method;
	int ret;

	__ktls_blame_clear();
	pthread_once(&wolfssl_once, wolfssl_init);
	if (wolfssl_init_ret != WOLFSSL_SUCCESS)
		return __ktls_fail(-EIO, "wolfSSL_Init failed");

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return __ktls_fail(-ENOMEM, "out of memory");
	ctx->role = config->role;
	ctx->resumption = config->resumption && config->role == KTLS_ROLE_CLIENT;
	ctx->verify_report_only = config->verify_report_only &&
				  config->role == KTLS_ROLE_CLIENT;
	pthread_mutex_init(&ctx->resume_lock, NULL);
	ctx->key_update_records = config->key_update_records ?
					  config->key_update_records :
					  KTLS_KEY_UPDATE_RECORDS;
	ctx->timeout_ms = config->handshake_timeout_ms > 0 ?
				  config->handshake_timeout_ms :
				  KTLS_DEFAULT_TIMEOUT_MS;
	if (config->server_name) {
		ctx->server_name = strdup(config->server_name);
		if (!ctx->server_name) {
			ret = __ktls_fail(-ENOMEM, "out of memory");
			goto free_ctx;
		}
	}

	method = config->role == KTLS_ROLE_SERVER ? wolfSSLv23_server_method() :
						    wolfSSLv23_client_method();
	ctx->wolfssl = method ? wolfSSL_CTX_new(method) : NULL;
	if (!ctx->wolfssl) {
		ret = __ktls_fail(-ENOMEM, "cannot create a WolfSSL context");
		goto free_name;
	}
	ret = set_versions(ctx, config);
	if (!ret)
		ret = set_suites_and_groups(ctx, config);
	if (ret)
		goto free_wolfssl;
	wolfSSL_CTX_SetIORecv(ctx->wolfssl, __ktls_record_io_recv);
	wolfSSL_CTX_SetIOSend(ctx->wolfssl, __ktls_record_io_send);
	/*
	 * Our callers wait (poll, epoll): WolfSSL's OpenSSL-compatible default
	 * would read an empty socket ten more times before "want read", ten
	 * system calls per wait of every handshake.
	 */
	wolfSSL_CTX_clear_mode(ctx->wolfssl, WOLFSSL_MODE_AUTO_RETRY);

	/* First: it narrows the versions and replaces the read callback. */
	if (config->signer && config->key_file) {
		ret = __ktls_fail_field(KTLS_FIELD_KEY_FILE, -EINVAL,
					"key_file and a signer exclude each other: the key is in one place");
		goto free_wolfssl;
	}
	ret = __ktls_psk_ctx_setup(ctx, config);
	if (ret)
		goto free_wolfssl;
	if (config->role == KTLS_ROLE_SERVER)
		ret = setup_server(ctx, config);
	else
		ret = setup_client(ctx, config);
	if (!ret)
		ret = __ktls_early_data_ctx_setup(ctx, config);
	if (ret)
		goto free_psk;

	*out = ctx;
	return 0;

free_psk:
	__ktls_early_data_ctx_free(ctx);
	__ktls_tickets_ctx_free(ctx);
	__ktls_psk_ctx_free(ctx);
	__ktls_signer_free(ctx);
free_wolfssl:
	wolfSSL_CTX_free(ctx->wolfssl);
free_name:
	free(ctx->server_name);
free_ctx:
	free(ctx);
	return ret;
}

void ktls_ctx_free(struct ktls_ctx *ctx)
{
	if (!ctx)
		return;
	wolfSSL_SESSION_free(ctx->resume);
	pthread_mutex_destroy(&ctx->resume_lock);
	wolfSSL_CTX_free(ctx->wolfssl);
	__ktls_early_data_ctx_free(ctx);
	__ktls_tickets_ctx_free(ctx);
	__ktls_psk_ctx_free(ctx);
	__ktls_signer_free(ctx);
	free(ctx->server_name);
	free(ctx);
}

/* Keep the session (with its ticket) for the next handshake on ctx. */
void __ktls_save_resumption(struct ktls_session *session)
{
	struct ktls_ctx *ctx = session->ctx;
	WOLFSSL_SESSION *saved;

	if (!ctx->resumption)
		return;
	saved = wolfSSL_get1_session(session->ssl);
	if (!saved)
		return;
	if (session->version == KTLS_TLS_1_3 &&
	    !wolfSSL_SESSION_has_ticket(saved)) {
		wolfSSL_SESSION_free(saved);
		return;
	}
	pthread_mutex_lock(&ctx->resume_lock);
	wolfSSL_SESSION_free(ctx->resume);
	ctx->resume = saved;
	pthread_mutex_unlock(&ctx->resume_lock);
}

static int offer_resumption(struct ktls_ctx *ctx, WOLFSSL *ssl)
{
	if (wolfSSL_UseSessionTicket(ssl) != WOLFSSL_SUCCESS)
		return __ktls_fail(-EINVAL, "cannot ask for session tickets");
	/* An unusable old session only costs a full handshake. */
	pthread_mutex_lock(&ctx->resume_lock);
	if (ctx->resume)
		wolfSSL_set_session(ssl, ctx->resume);
	pthread_mutex_unlock(&ctx->resume_lock);
	return 0;
}

/* WolfSSL's secret callback: keep the application traffic secrets. */
static int capture_secret(WOLFSSL *ssl, int id, const unsigned char *secret,
			  int len, void *arg)
{
	struct ktls_session *session = arg;
	struct ktls_secret *dst;

	(void)ssl;
	__ktls_early_data_secret(session, id);
	__ktls_hs_alerts_secret(session, id, secret, len);
	if (id == CLIENT_TRAFFIC_SECRET)
		dst = &session->client_traffic;
	else if (id == SERVER_TRAFFIC_SECRET)
		dst = &session->server_traffic;
	else
		return 0;
	if (len <= 0 || len > KTLS_MAX_HASH_LEN)
		return -1;
	memcpy(dst->bytes, secret, (size_t)len);
	dst->len = (size_t)len;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the socket can make progress, or the deadline passes. */
static int wait_socket(struct ktls_session *session, short events,
		       int64_t deadline, int timeout_ms)
{
	struct pollfd pfd = { .fd = session->fd, .events = events };
	int64_t left;
	int n;

	do {
		left = deadline - now_ms();
		if (left <= 0)
			return __ktls_fail(-ETIMEDOUT,
					 "TLS handshake timed out after %d ms",
					 timeout_ms);
		n = poll(&pfd, 1, (int)left);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return __ktls_fail(-errno, "poll: %s", strerror(errno));
	if (n == 0)
		return __ktls_fail(-ETIMEDOUT, "TLS handshake timed out after %d ms",
				 timeout_ms);
	return 0;
}

/* The session's state once WolfSSL reports the handshake complete. */
static int handshake_done(struct ktls_session *session)
{
	uint16_t suite_id;

	/* Reads after this (tickets) are not the handshake's. */
	session->round_trips = session->rio.round_trips;

	suite_id = (uint16_t)wolfSSL_get_current_cipher_suite(session->ssl);
	session->suite = __ktls_suite_find(suite_id);
	if (!session->suite)
		return __ktls_fail(-EPROTO, "negotiated cipher suite %s cannot be offloaded",
				 wolfSSL_get_cipher_name(session->ssl));
	session->version = (uint16_t)wolfSSL_version(session->ssl);
	if (session->ctx->verify_report_only && session->ctx->server_name)
		__ktls_verify_report_name(session, session->ctx->server_name);
	/* A TLS 1.2 ticket came within the handshake; 1.3's come later. */
	if (session->version == KTLS_TLS_1_2)
		__ktls_save_resumption(session);
	/* RFC 8446 §5.5: AES-GCM/CCM keys wear out; ChaCha20 keys do not. */
	if (session->version == KTLS_TLS_1_3 &&
	    session->suite->cipher->kernel_cipher !=
	    TLS_CIPHER_CHACHA20_POLY1305)
		session->key_update_records = session->ctx->key_update_records;
	if (session->version == KTLS_TLS_1_3 &&
	    (!session->client_traffic.len || !session->server_traffic.len))
		return __ktls_fail(-EPROTO,
				 "WolfSSL did not report the traffic secrets");
	return __ktls_psk_check_done(session);
}

/* One non-blocking pass of WolfSSL's handshake state machine. */
int ktls_handshake_step(struct ktls_session *session)
{
	int ret;

	session->rio.last_errno = 0;
	session->wants = 0;
	if (session->role == KTLS_ROLE_SERVER) {
		ret = __ktls_groups_server_peek(session);
		if (ret)
			return ret;
	}
	/* 0-RTT drives WolfSSL differently (early_data.c). */
	if (session->early)
		return __ktls_early_data_step(session);
	if (session->role == KTLS_ROLE_CLIENT) {
		ret = wolfSSL_connect(session->ssl);
	} else {
		ret = wolfSSL_accept(session->ssl);
		/* Paused for early data we take none of (early_data.c). */
		if (ret == WOLFSSL_SUCCESS &&
		    !wolfSSL_is_init_finished(session->ssl))
			return __ktls_early_data_skip(session);
	}
	return __ktls_handshake_progress(session, ret);
}

int __ktls_handshake_progress(struct ktls_session *session, int ret)
{
	int err;

	if (ret == WOLFSSL_SUCCESS)
		return handshake_done(session);

	err = wolfSSL_get_error(session->ssl, ret);
	if (err == WOLFSSL_ERROR_WANT_READ) {
		session->wants = POLLIN;
		return -EAGAIN;
	}
	if (err == WOLFSSL_ERROR_WANT_WRITE) {
		session->wants = POLLOUT;
		return -EAGAIN;
	}
	ret = __ktls_psk_failure(session, err);
	if (ret)
		return ret;
	return __ktls_handshake_failure(session, ret, session->ctx->server_name);
}

short ktls_session_wants(const struct ktls_session *session)
{
	return session->wants;
}

int ktls_ctx_timeout_ms(const struct ktls_ctx *ctx)
{
	return ctx->timeout_ms;
}

int ktls_handshake_start(struct ktls_ctx *ctx, int fd,
			 struct ktls_session **out)
{
	struct ktls_session *session;
	int ret;

	session = calloc(1, sizeof(*session));
	if (!session)
		return __ktls_fail(-ENOMEM, "out of memory");
	session->fd = fd;
	session->role = ctx->role;
	session->ctx = ctx;
	__ktls_record_io_init(&session->rio, fd);

	session->ssl = wolfSSL_new(ctx->wolfssl);
	if (!session->ssl) {
		ret = __ktls_fail(-ENOMEM, "cannot create a WolfSSL session");
		goto free_session;
	}
	wolfSSL_set_ex_data(session->ssl, 0, session);
	wolfSSL_SetIOReadCtx(session->ssl, &session->rio);
	wolfSSL_SetIOWriteCtx(session->ssl, &session->rio);
	if (wolfSSL_set_tls13_secret_cb(session->ssl, capture_secret,
					session) != WOLFSSL_SUCCESS) {
		ret = __ktls_fail(-EIO, "cannot set WolfSSL's secret callback");
		goto free_session;
	}
	ret = __ktls_psk_session_init(session);
	if (ret)
		goto free_session;
	if (ctx->role == KTLS_ROLE_CLIENT) {
		/* A PSK client may have no name to check (psk.c). */
		ret = ctx->server_name ?
			      __ktls_verify_name(session->ssl, ctx->server_name,
						 ctx->verify_report_only) :
			      0;
		if (!ret && ctx->resumption)
			ret = offer_resumption(ctx, session->ssl);
		if (!ret)
			ret = __ktls_groups_client_shares(session);
		if (ret)
			goto free_session;
	}
	ret = __ktls_early_data_session_init(session);
	if (ret)
		goto free_session;
	*out = session;
	return 0;

free_session:
	ktls_session_free(session);
	return ret;
}

int ktls_handshake(struct ktls_ctx *ctx, int fd,
		   struct ktls_session **out)
{
	int timeout_ms = ctx->timeout_ms;
	int64_t deadline = now_ms() + timeout_ms;
	struct ktls_session *session;
	int ret;

	ret = ktls_handshake_start(ctx, fd, &session);
	if (ret)
		return ret;
	while ((ret = ktls_handshake_step(session)) == -EAGAIN) {
		ret = wait_socket(session, session->wants, deadline,
				  timeout_ms);
		if (ret)
			break;
	}
	if (ret) {
		ktls_session_free(session);
		return ret;
	}
	*out = session;
	return 0;
}

const char *ktls_session_version(const struct ktls_session *session)
{
	return session->version == KTLS_TLS_1_3 ? "TLSv1.3" : "TLSv1.2";
}

const char *ktls_session_cipher(const struct ktls_session *session)
{
	/* No suite before the ServerHello: say so, as the group does. */
	return session->suite ? session->suite->name : "none";
}

int ktls_session_fd(const struct ktls_session *session)
{
	return session->fd;
}

const char *ktls_session_group(const struct ktls_session *session)
{
	return __ktls_group_name(wolfSSL_get_curve_name(session->ssl));
}

int ktls_session_drop_handshake(struct ktls_session *session)
{
	if ((session->installed & (KTLS_TX | KTLS_RX)) != (KTLS_TX | KTLS_RX))
		return __ktls_fail(-EINVAL,
				 "the handshake state is still needed before kernel TLS has both directions");
	wolfSSL_free(session->ssl);
	session->ssl = NULL;
	__ktls_psk_session_free(session);
	return 0;
}

void ktls_session_free(struct ktls_session *session)
{
	if (!session)
		return;
	/* Never wolfSSL_shutdown: after the switch the kernel owns the
	 * records, and before it the caller decides how to close.
	 */
	wolfSSL_free(session->ssl);
	__ktls_record_io_free(&session->rio);
	__ktls_early_data_session_free(session);
	__ktls_psk_session_free(session);
	explicit_bzero(session, sizeof(*session));
	free(session);
}
