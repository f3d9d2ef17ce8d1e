// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TLS 1.3 0-RTT early data (RFC 8446 §2.3, §4.2.10), off unless both ends
 * set max_early_data.
 *
 * Client: the bytes queued with ktls_session_set_early_data() are the first
 * bytes of the stream. As many as the ticket and the configuration allow go
 * out as 0-RTT right behind the ClientHello; whatever the server did not
 * accept is written after the handshake, through WolfSSL, before the
 * switch. The server reads the same bytes exactly once either way.
 *
 * Server: WolfSSL stops after sending its Finished when the client may send
 * early data; we read that data then and keep it in the session.
 *
 * Replay guard (RFC 8446 §8.1): with early data on, a server's tickets are
 * single use. Every ticket passes through our ticket callback (tickets.c:
 * the context's ticket sealer, or keys of its own, ticket_keys.c), and we
 * remember each ticket opened, by its iv, for a ticket's lifetime. A
 * ticket seen again is refused, and its holder gets a full handshake: its
 * 0-RTT records fail to decrypt and are skipped unread. The guard holds
 * no key: with a sealer (ktlsd's key process) the key is elsewhere.
 * WolfSSL 5.5 cannot accept a ticket while refusing only its early data, so
 * the whole ticket goes. When the set of used tickets is full, tickets are
 * refused (full handshakes) until entries expire: never unguarded 0-RTT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ktls_internal.h"

/* Without a sealer's lifetime, a ticket is good for this long. */
#define TICKET_LIFETIME_S 300
/* Used tickets remembered at once: buckets of a few slots each. */
#define GUARD_BUCKETS 8192
#define GUARD_WAYS 8
/* A ticket's id: its 16-byte "iv" field, unique per ticket. */
#define TICKET_ID_LEN WOLFSSL_TICKET_IV_SZ

struct ticket_slot {
	uint8_t id[TICKET_ID_LEN];
	uint32_t expires;	/* guard clock; 0: free */
};

struct ktls_ticket_guard {
	int64_t start;		/* CLOCK_MONOTONIC seconds at creation */
	pthread_mutex_t lock;
	struct ticket_slot slots[GUARD_BUCKETS][GUARD_WAYS];
};

enum client_phase {
	EARLY_WRITE,		/* 0-RTT data behind the ClientHello */
	CONNECT,		/* the rest of the handshake */
	RESEND,			/* what the server did not accept */
	DONE,
};

struct ktls_early_data {
	bool accepted;
	/* client: the queued bytes; the first zero_rtt of them go as 0-RTT */
	uint8_t *queued;
	size_t queued_len, zero_rtt, sent, resend_from, resent;
	enum client_phase phase;
	/* server: the 0-RTT bytes read so far */
	uint8_t *received;
	size_t received_len;
	bool primed, paused, read_done;
	/* server: the ticket this connection claimed in the guard */
	bool claimed;
	uint8_t ticket_id[TICKET_ID_LEN];
};

static uint32_t guard_now(const struct ktls_ticket_guard *guard)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* +1: 0 marks a free slot. */
	return (uint32_t)(ts.tv_sec - guard->start + 1);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Remember @id as used until it expires. 0 if it was not used before (or
 * this connection claimed it already: WolfSSL decrypts a ticket once per
 * cipher suite it tries, and again after a HelloRetryRequest), -EEXIST for
 * a replay, -ENOSPC when its bucket is full.
 */
static int claim_ticket(struct ktls_ticket_guard *guard,
			struct ktls_session *session, const uint8_t *id,
			uint32_t expires, uint32_t now)
{
	struct ticket_slot *bucket, *free_slot = NULL;
	int ret = 0;

	if (session && session->early && session->early->claimed)
		return memcmp(session->early->ticket_id, id, TICKET_ID_LEN) ?
			       -EEXIST : 0;
	/* The iv is random: a fair bucket index. */
	bucket = guard->slots[get_be32(id) % GUARD_BUCKETS];
	pthread_mutex_lock(&guard->lock);
	for (int i = 0; i < GUARD_WAYS; i++) {
		struct ticket_slot *slot = &bucket[i];

		if (slot->expires && slot->expires < now)
			slot->expires = 0;
		if (!slot->expires) {
			if (!free_slot)
				free_slot = slot;
			continue;
		}
		if (!memcmp(slot->id, id, TICKET_ID_LEN)) {
			ret = -EEXIST;
			break;
		}
	}
	if (!ret && !free_slot)
		ret = -ENOSPC;
	if (!ret) {
		memcpy(free_slot->id, id, TICKET_ID_LEN);
		free_slot->expires = expires;
	}
	pthread_mutex_unlock(&guard->lock);
	if (!ret && session && session->early) {
		session->early->claimed = true;
		memcpy(session->early->ticket_id, id, TICKET_ID_LEN);
	}
	return ret;
}

/* tickets.c: @session's ticket @id opened; 0, or refuse it (a replay). */
int __ktls_early_data_claim(struct ktls_ctx *ctx, struct ktls_session *session,
			    const uint8_t *id)
{
	struct ktls_ticket_guard *guard = ctx->ticket_guard;
	uint32_t now = guard_now(guard);

	/* A ticket opens only within its lifetime: remember it that long. */
	return claim_ticket(guard, session, id, now + ctx->ticket_lifetime_s,
			    now);
}

/*
 * WolfSSL 5.9 takes 0-RTT only if evicting the ticket's session from a
 * session cache found it (RFC 8446 §8: single use), and our servers keep
 * no WolfSSL cache (a session would cross contexts). The guard is that
 * cache: tickets.c's callback already refused a ticket seen before, so a remove
 * callback, which WolfSSL takes as "the external cache had it", is right.
 */
static void guard_consumed(WOLFSSL_CTX *wctx, WOLFSSL_SESSION *session)
{
	(void)wctx;
	(void)session;
}

static int guard_new(struct ktls_ctx *ctx)
{
	struct ktls_ticket_guard *guard;
	struct timespec ts;
	int ret;

	/* Every ticket through our callback: the sealer's, or our keys. */
	ret = __ktls_tickets_own_keys(ctx, TICKET_LIFETIME_S);
	if (ret)
		return ret;
	guard = calloc(1, sizeof(*guard));
	if (!guard)
		return __ktls_fail(-ENOMEM, "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	guard->start = ts.tv_sec;
	pthread_mutex_init(&guard->lock, NULL);
	ctx->ticket_guard = guard;
	wolfSSL_CTX_sess_set_remove_cb(ctx->wolfssl, guard_consumed);
	return 0;
}

int __ktls_early_data_ctx_setup(struct ktls_ctx *ctx,
				const struct ktls_config *config)
{
	uint16_t max = config->max_version ? config->max_version : KTLS_TLS_1_3;

	ctx->max_early_data = config->max_early_data;
	if (config->role == KTLS_ROLE_CLIENT) {
		if (config->max_early_data && !config->resumption)
			return __ktls_fail(-EINVAL,
					 "max_early_data needs resumption: 0-RTT data rides on a resumed session");
		return 0;
	}
	if (max < KTLS_TLS_1_3) {
		/* No TLS 1.3, no 0-RTT (WolfSSL 5.9 refuses even a 0 then). */
		if (config->max_early_data)
			return __ktls_fail(-EINVAL,
					 "max_early_data needs TLS 1.3 (max_version is TLS 1.2)");
		return 0;
	}
	/* WolfSSL's own default is 4096 bytes: 0-RTT stays off unless asked. */
	if (wolfSSL_CTX_set_max_early_data(ctx->wolfssl,
					   config->max_early_data) !=
	    WOLFSSL_SUCCESS)
		return __ktls_fail(-EINVAL, "WolfSSL rejected max_early_data %u",
				 config->max_early_data);
	if (!config->max_early_data)
		return 0;
	if (!config->session_tickets)
		return __ktls_fail(-EINVAL,
				 "max_early_data needs session_tickets: 0-RTT data rides on a ticket");
	return guard_new(ctx);
}

void __ktls_early_data_ctx_free(struct ktls_ctx *ctx)
{
	struct ktls_ticket_guard *guard = ctx->ticket_guard;

	if (!guard)
		return;
	pthread_mutex_destroy(&guard->lock);
	free(guard);
	ctx->ticket_guard = NULL;
}

int __ktls_early_data_session_init(struct ktls_session *session)
{
	if (session->role != KTLS_ROLE_SERVER || !session->ctx->max_early_data)
		return 0;
	session->early = calloc(1, sizeof(*session->early));
	if (!session->early)
		return __ktls_fail(-ENOMEM, "out of memory");
	return 0;
}

void __ktls_early_data_session_free(struct ktls_session *session)
{
	struct ktls_early_data *early = session->early;

	if (!early)
		return;
	if (early->queued)
		explicit_bzero(early->queued, early->queued_len);
	if (early->received)
		explicit_bzero(early->received, early->received_len);
	free(early->queued);
	free(early->received);
	free(early);
	session->early = NULL;
}

/* From the secret callback: the server accepted 0-RTT data. */
void __ktls_early_data_secret(struct ktls_session *session, int id)
{
	if (id == CLIENT_EARLY_TRAFFIC_SECRET && session->early &&
	    session->role == KTLS_ROLE_SERVER)
		session->early->accepted = true;
}

/* How much of @len may go as 0-RTT: the ticket's and our limit. */
static size_t zero_rtt_budget(struct ktls_session *session, size_t len)
{
	WOLFSSL_SESSION *resume = wolfSSL_get_session(session->ssl);
	size_t budget = session->ctx->max_early_data;
	unsigned int ticket_max;

	if (!resume || !wolfSSL_SESSION_has_ticket(resume))
		return 0;
	ticket_max = wolfSSL_SESSION_get_max_early_data(resume);
	if (ticket_max < budget)
		budget = ticket_max;
	return len < budget ? len : budget;
}

int ktls_session_set_early_data(struct ktls_session *session, const void *buf,
				size_t len)
{
	struct ktls_early_data *early;

	if (session->role != KTLS_ROLE_CLIENT)
		return __ktls_fail(-EINVAL,
				 "only a client sends early data; a server reads it with ktls_session_early_data()");
	if (session->early || session->rio.sent || session->rio.first_len)
		return __ktls_fail(-EALREADY,
				 "queue early data once, before the first ktls_handshake_step()");
	if (!len || len > INT32_MAX)
		return __ktls_fail(-EINVAL, "early data of %zu bytes", len);
	early = calloc(1, sizeof(*early));
	if (!early)
		return __ktls_fail(-ENOMEM, "out of memory");
	early->queued = malloc(len);
	if (!early->queued) {
		free(early);
		return __ktls_fail(-ENOMEM, "out of memory");
	}
	memcpy(early->queued, buf, len);
	early->queued_len = len;
	early->zero_rtt = zero_rtt_budget(session, len);
	early->phase = early->zero_rtt ? EARLY_WRITE : CONNECT;
	session->early = early;
	return 0;
}

size_t ktls_session_early_data(const struct ktls_session *session,
			       const uint8_t **data)
{
	const struct ktls_early_data *early = session->early;

	*data = NULL;
	if (!early)
		return 0;
	if (session->role == KTLS_ROLE_SERVER) {
		*data = early->received;
		return early->received_len;
	}
	if (!early->accepted)
		return 0;
	*data = early->queued;
	return early->resend_from;
}

bool ktls_session_early_data_accepted(const struct ktls_session *session)
{
	return session->early && session->early->accepted;
}

/* A WolfSSL call's result, for a step that is not over yet. */
static int step_result(struct ktls_session *session, int ret)
{
	/* __ktls_handshake_progress() would take success for the end. */
	if (ret == WOLFSSL_SUCCESS)
		return -EAGAIN;
	return __ktls_handshake_progress(session, ret);
}

static int client_step(struct ktls_session *session)
{
	struct ktls_early_data *early = session->early;
	WOLFSSL *ssl = session->ssl;
	int ret, n;

	while (early->phase == EARLY_WRITE) {
		/* The first call sends the ClientHello too. */
		ret = wolfSSL_write_early_data(ssl, early->queued + early->sent,
					       (int)(early->zero_rtt -
						     early->sent), &n);
		if (ret > 0) {
			early->sent += (size_t)n;
			if (early->sent == early->zero_rtt)
				early->phase = CONNECT;
			continue;
		}
		/* WolfSSL went on without early data (no usable ticket). */
		if (wolfSSL_get_error(ssl, ret) == WOLFSSL_ERROR_WANT_READ &&
		    !early->sent) {
			early->phase = CONNECT;
			break;
		}
		return step_result(session, ret);
	}
	if (early->phase == CONNECT) {
		ret = wolfSSL_connect(ssl);
		if (ret != WOLFSSL_SUCCESS)
			return step_result(session, ret);
		early->accepted = early->sent &&
				  wolfSSL_get_early_data_status(ssl) ==
					  WOLFSSL_EARLY_DATA_ACCEPTED;
		early->resend_from = early->accepted ? early->sent : 0;
		early->phase = RESEND;
	}
	/*
	 * WolfSSL 5.5 leaves a client in early-data mode (and counts the
	 * server's data against the early data limit) until its first
	 * wolfSSL_write(): write nothing if nothing is left to resend.
	 */
	if (early->phase == RESEND && early->resend_from == early->queued_len) {
		ret = wolfSSL_write(ssl, early->queued, 0);
		if (ret < 0)
			return step_result(session, ret);
	}
	/* What the server did not take as 0-RTT: first application data. */
	while (early->phase == RESEND &&
	       early->resend_from + early->resent < early->queued_len) {
		size_t left = early->queued_len - early->resend_from -
			      early->resent;

		ret = wolfSSL_write(ssl, early->queued + early->resend_from +
						 early->resent, (int)left);
		if (ret <= 0)
			return step_result(session, ret);
		early->resent += (size_t)ret;
	}
	early->phase = DONE;
	return __ktls_handshake_progress(session, WOLFSSL_SUCCESS);
}

static int keep_received(struct ktls_session *session, const uint8_t *buf,
			 size_t len)
{
	struct ktls_early_data *early = session->early;

	/* WolfSSL enforces the limit too; never keep more than we allowed. */
	if (len > session->ctx->max_early_data - early->received_len)
		return __ktls_fail(-EPROTO,
				 "the client sent more than max_early_data (%u bytes) of 0-RTT data",
				 session->ctx->max_early_data);
	if (!early->received) {
		early->received = malloc(session->ctx->max_early_data);
		if (!early->received)
			return __ktls_fail(-ENOMEM, "out of memory");
	}
	memcpy(early->received + early->received_len, buf, len);
	early->received_len += len;
	return 0;
}

/* Our IO callback for one call: pretend nothing has arrived yet. */
static int refuse_read(WOLFSSL *ssl, char *buf, int len, void *ctx)
{
	(void)ssl;
	(void)buf;
	(void)len;
	(void)ctx;
	return WOLFSSL_CBIO_ERR_WANT_READ;
}

/*
 * wolfSSL_read_early_data() is the only way to tell WolfSSL to expect early
 * data, but when called again before the handshake pauses it resets its
 * state. So it is called once with reads refused (WolfSSL only notes that
 * early data may come), then wolfSSL_accept() runs the handshake, which
 * returns success but unfinished when it pauses after our Finished; only
 * then is the early data read, until the client's Finished.
 */
static int server_step(struct ktls_session *session)
{
	struct ktls_early_data *early = session->early;
	WOLFSSL *ssl = session->ssl;
	uint8_t buf[4096];
	int ret, n;

	if (!early->primed) {
		wolfSSL_SSLSetIORecv(ssl, refuse_read);
		ret = wolfSSL_read_early_data(ssl, buf, sizeof(buf), &n);
		wolfSSL_SSLSetIORecv(ssl, __ktls_record_io_recv);
		if (ret >= 0 ||
		    wolfSSL_get_error(ssl, ret) != WOLFSSL_ERROR_WANT_READ)
			return __ktls_fail(-EIO,
					 "WolfSSL did not wait for the ClientHello (%d)",
					 wolfSSL_get_error(ssl, ret));
		early->primed = true;
	}
	for (;;) {
		if (early->paused && !early->read_done) {
			ret = wolfSSL_read_early_data(ssl, buf, sizeof(buf),
						      &n);
			if (ret > 0) {
				ret = keep_received(session, buf, (size_t)n);
				if (ret)
					return ret;
				continue;
			}
			if (ret < 0)
				return step_result(session, ret);
			/* 0: the client's Finished came, or the peer left. */
			early->read_done = true;
			if (!wolfSSL_is_init_finished(ssl))
				return __ktls_handshake_progress(session,
							       WOLFSSL_FATAL_ERROR);
		}
		ret = wolfSSL_accept(ssl);
		if (ret != WOLFSSL_SUCCESS || wolfSSL_is_init_finished(ssl))
			return __ktls_handshake_progress(session, ret);
		if (early->paused)
			return __ktls_fail(-EPROTO,
					 "WolfSSL stopped twice for early data");
		early->paused = true;
	}
}

/*
 * A server without 0-RTT, or one that refused this client's ticket for it,
 * skips the early data it cannot decrypt (RFC 8446 §4.2.10) up to this
 * many record bytes: 16 KiB of data, as OpenSSL skips, plus the type byte,
 * tag and padding of a few records.
 */
#define EARLY_DATA_SKIP (16384 + 1024)

/*
 * The client sent early data to a server that takes none (max_early_data
 * 0): WolfSSL's accept stopped after our Finished as if to read it, and
 * would skip undecryptable records only up to its max_early_data, 0, then
 * close with unexpected_message. So the rest of this handshake runs with
 * the skip limit, and without a ticket: WolfSSL would write that limit
 * into the ticket (and its early_data extension) and later accept 0-RTT
 * on it unguarded. The client resumes again after its next handshake.
 */
int __ktls_early_data_skip(struct ktls_session *session)
{
	WOLFSSL *ssl = session->ssl;
	int ret;

	wolfSSL_no_ticket_TLSv13(ssl);
	wolfSSL_set_max_early_data(ssl, EARLY_DATA_SKIP);
	ret = wolfSSL_accept(ssl);
	if (ret == WOLFSSL_SUCCESS && !wolfSSL_is_init_finished(ssl))
		return __ktls_fail(-EPROTO, "WolfSSL stopped twice for early data");
	return __ktls_handshake_progress(session, ret);
}

int __ktls_early_data_step(struct ktls_session *session)
{
	if (session->role == KTLS_ROLE_CLIENT)
		return client_step(session);
	return server_step(session);
}
