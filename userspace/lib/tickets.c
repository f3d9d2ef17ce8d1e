// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Where a server context's session tickets are sealed (ktls/tickets.h):
 *  - with a ticket sealer: WolfSSL's ticket callback hands every ticket
 *    to it, and the context holds no ticket key;
 *  - with 0-RTT and no sealer: keys of the context's own (ticket_keys.c),
 *    so that the single-use guard (early_data.c) sees every ticket;
 *  - otherwise WolfSSL's random key per context;
 *  - without session_tickets every ticket offered is refused unopened,
 *    so no key is ever drawn (WolfSSL would make one to try).
 * With 0-RTT the guard takes each opened ticket once, by its iv.
 */
#include <errno.h>
#include <string.h>

#include "ktls_internal.h"
#include "ktls/tickets.h"

static int to_wolfssl(int verdict, bool tls13)
{
	switch (verdict) {
	case KTLS_TICKET_OK:
		return WOLFSSL_TICKET_RET_OK;
	case KTLS_TICKET_RENEW:
		/* TLS 1.2: resume, send a new ticket; TLS 1.3 takes only OK. */
		return tls13 ? WOLFSSL_TICKET_RET_OK : WOLFSSL_TICKET_RET_CREATE;
	case KTLS_TICKET_REJECT:
		return WOLFSSL_TICKET_RET_REJECT;
	default:
		return WOLFSSL_TICKET_RET_FATAL;
	}
}

/* WolfSSL's SessionTicketEncCb, passed on to the sealer. */
static int sealer_cb(WOLFSSL *ssl, unsigned char name[WOLFSSL_TICKET_NAME_SZ],
		     unsigned char iv[WOLFSSL_TICKET_IV_SZ],
		     unsigned char mac[WOLFSSL_TICKET_MAC_SZ], int enc,
		     unsigned char *ticket, int len, int *out_len, void *arg)
{
	struct ktls_ctx *ctx = arg;
	const struct ktls_ticket_sealer *s = &ctx->sealer;
	bool tls13 = wolfSSL_version(ssl) == TLS1_3_VERSION;
	int ret;

	if (len <= 0 || len > KTLS_TICKET_MAX_LEN)
		return enc ? WOLFSSL_TICKET_RET_FATAL :
			     WOLFSSL_TICKET_RET_REJECT;
	if (enc) {
		ret = s->seal(s->arg, s->key_id, name, iv, mac, ticket,
			      (size_t)len);
		if (ret != KTLS_TICKET_OK)
			return WOLFSSL_TICKET_RET_FATAL;
		*out_len = len;
		return WOLFSSL_TICKET_RET_OK;
	}
	ret = s->open(s->arg, s->key_id, name, iv, mac, ticket, (size_t)len);
	if (ret != KTLS_TICKET_OK && ret != KTLS_TICKET_RENEW)
		return to_wolfssl(ret, tls13);
	/* Single use with 0-RTT: a replayed ticket means a full handshake. */
	if (ctx->ticket_guard &&
	    __ktls_early_data_claim(ctx, wolfSSL_get_ex_data(ssl, 0), iv)) {
		explicit_bzero(ticket, (size_t)len);
		return WOLFSSL_TICKET_RET_REJECT;
	}
	/*
	 * A resumed TLS 1.3 connection gets no new ticket: WolfSSL carries
	 * the ticket nonce over from the old ticket and fails the handshake
	 * (SESSION_TICKET_NONCE_OVERFLOW) once a client has chained 255
	 * resumptions. Without 0-RTT the client may keep its ticket until it
	 * expires, then makes a full handshake; a single-use ticket must be
	 * replaced, so a 0-RTT server sends a new one.
	 */
	if (!ctx->ticket_guard && tls13)
		wolfSSL_no_ticket_TLSv13(ssl);
	*out_len = len;
	return to_wolfssl(ret, tls13);
}

/* No session tickets: nothing offered is opened, and no key is drawn. */
static int refuse_cb(WOLFSSL *ssl, unsigned char name[WOLFSSL_TICKET_NAME_SZ],
		     unsigned char iv[WOLFSSL_TICKET_IV_SZ],
		     unsigned char mac[WOLFSSL_TICKET_MAC_SZ], int enc,
		     unsigned char *ticket, int len, int *out_len, void *arg)
{
	(void)ssl;
	(void)name;
	(void)iv;
	(void)mac;
	(void)ticket;
	(void)len;
	(void)out_len;
	(void)arg;
	return enc ? WOLFSSL_TICKET_RET_FATAL : WOLFSSL_TICKET_RET_REJECT;
}

static int set_cb(struct ktls_ctx *ctx, SessionTicketEncCb cb)
{
	if (wolfSSL_CTX_set_TicketEncCtx(ctx->wolfssl, ctx) !=
		    WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_TicketEncCb(ctx->wolfssl, cb) != WOLFSSL_SUCCESS)
		return __ktls_fail(-EINVAL, "cannot set the ticket callback");
	return 0;
}

static int set_lifetime(struct ktls_ctx *ctx, uint32_t lifetime_s)
{
	ctx->ticket_lifetime_s = lifetime_s;
	if (!lifetime_s)
		return 0;
	/*
	 * The hint (TLS 1.2), and the session timeout: the lifetime a TLS 1.3
	 * ticket carries and the age WolfSSL accepts. (set_timeout returns
	 * the old value in OpenSSL-compatible builds: not an error.)
	 */
	if (wolfSSL_CTX_set_TicketHint(ctx->wolfssl, (int)lifetime_s) !=
	    WOLFSSL_SUCCESS)
		return __ktls_fail(-EINVAL, "cannot set the ticket lifetime");
	wolfSSL_CTX_set_timeout(ctx->wolfssl, lifetime_s);
	return 0;
}

int __ktls_tickets_ctx_setup(struct ktls_ctx *ctx,
			     const struct ktls_config *config)
{
	const struct ktls_ticket_sealer *s = config->ticket_sealer;

	if (!config->session_tickets) {
		if (s)
			return __ktls_fail(-EINVAL,
					 "ticket_sealer needs session_tickets");
		return set_cb(ctx, refuse_cb);
	}
	if (!s)
		return 0;	/* WolfSSL's key, or ours with 0-RTT */
	if (!s->seal || !s->open)
		return __ktls_fail(-EINVAL,
				 "a ticket sealer needs both seal and open");
	ctx->sealer = *s;
	return set_cb(ctx, sealer_cb) ?: set_lifetime(ctx, s->lifetime_s);
}

int __ktls_tickets_own_keys(struct ktls_ctx *ctx, uint32_t lifetime_s)
{
	int ret;

	if (ctx->sealer.seal) {
		/* The sealer's lifetime bounds how long the guard remembers. */
		if (!ctx->ticket_lifetime_s)
			return set_lifetime(ctx, lifetime_s);
		return 0;
	}
	ret = __ktls_ticket_keys_new(lifetime_s, &ctx->own_ticket_keys);
	if (ret)
		return ret;
	__ktls_ticket_keys_sealer(ctx->own_ticket_keys, lifetime_s, &ctx->sealer);
	return set_cb(ctx, sealer_cb) ?: set_lifetime(ctx, lifetime_s);
}

void __ktls_tickets_ctx_free(struct ktls_ctx *ctx)
{
	__ktls_ticket_keys_free(ctx->own_ticket_keys);
	ctx->own_ticket_keys = NULL;
	memset(&ctx->sealer, 0, sizeof(ctx->sealer));
}
