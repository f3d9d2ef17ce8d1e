// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the configured groups (suites.c) mean on the wire: which key
 * shares a client sends, and when a server asks for another share
 * (HelloRetryRequest) or refuses the hello.
 *
 * A client sends a share for its first group and, when that is a hybrid,
 * one for its first classical group too (X25519MLKEM768 + X25519 by
 * default, as OpenSSL 3.5 and browsers do): a hybrid-only hello costs a
 * classical-only server a HelloRetryRequest, one more round trip, while
 * the second share costs 32 bytes and one X25519 key.
 *
 * A server prefers the hybrids enough to pay that round trip itself: when
 * the client lists a hybrid we take but sent shares only for classical
 * groups, WolfSSL would take the classical share; we let it choose among
 * our hybrids instead, and it asks for one. So a recorded connection is
 * never classical when both ends could have had post-quantum protection.
 * The ClientHello is read for that with MSG_PEEK, before WolfSSL reads
 * it: one that has not arrived whole, or spans more than one record (a
 * hybrid share makes a hello long, but so do 30000 signature schemes),
 * is left to WolfSSL's choice. The same read refuses a hello with no
 * group in common, by name; for a longer hello hello_check.c still
 * refuses the HelloRetryRequest that would follow.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "ktls/tls_prot.h"
#include "hello.h"
#include "ktls_internal.h"

int __ktls_groups_client_shares(struct ktls_session *session)
{
	const struct ktls_ctx *ctx = session->ctx;
	uint16_t first = ctx->groups[0];

	/* Key shares are TLS 1.3's; hybrids exist only there. */
	if (ctx->max_version < KTLS_TLS_1_3)
		return 0;
	if (wolfSSL_UseKeyShare(session->ssl, first) != WOLFSSL_SUCCESS)
		return __ktls_fail(-EIO, "cannot make a key share for group %#x",
				 first);
	if (!__ktls_group_is_hybrid(first))
		return 0;
	for (size_t i = 1; i < ctx->nr_groups; i++) {
		if (__ktls_group_is_hybrid(ctx->groups[i]))
			continue;
		if (wolfSSL_UseKeyShare(session->ssl, ctx->groups[i]) !=
		    WOLFSSL_SUCCESS)
			return __ktls_fail(-EIO,
					 "cannot make a key share for group %#x",
					 ctx->groups[i]);
		break;
	}
	return 0;
}

static bool listed(const uint16_t *list, size_t n, uint16_t group)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == group)
			return true;
	return false;
}

/* Our first group the client lists, or 0. */
static uint16_t best_common(const struct ktls_ctx *ctx,
			    const struct ktls_hello *hello)
{
	for (size_t i = 0; i < ctx->nr_groups; i++)
		if (listed(hello->groups, hello->nr_groups, ctx->groups[i]))
			return ctx->groups[i];
	return 0;
}

/* "X25519, 0x0100": the groups of @list, ours by name. */
static void group_names(const uint16_t *list, size_t n, char *out,
			size_t out_len)
{
	size_t pos = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && pos < out_len; i++) {
		const char *name = __ktls_group_iana_name(list[i]);
		int len = name ? snprintf(out + pos, out_len - pos, "%s%s",
					  i ? ", " : "", name) :
				 snprintf(out + pos, out_len - pos, "%s%#06x",
					  i ? ", " : "", list[i]);

		if (len < 0)
			return;
		pos += (size_t)len;
	}
}

/*
 * No group in common: WolfSSL 5.9 would answer with a HelloRetryRequest
 * for a group the client never listed (which the client must refuse with
 * illegal_parameter); RFC 8446 §4.1.1 wants handshake_failure, and the
 * reason should say what was missing. Nothing has been sent, so the
 * alert goes out in plaintext. A PSK hello is psk.c's to judge.
 */
static int no_common_group(struct ktls_session *session,
			   const struct ktls_hello *hello)
{
	const uint8_t alert[] = {
		TLS_RECORD_TYPE_ALERT, 3, 3, 0, 2,
		TLS_ALERT_LEVEL_FATAL, TLS_ALERT_DESC_HANDSHAKE_FAILURE
	};
	const struct ktls_ctx *ctx = session->ctx;
	char theirs[256], ours[128];

	group_names(hello->groups, hello->nr_groups, theirs, sizeof(theirs));
	group_names(ctx->groups, ctx->nr_groups, ours, sizeof(ours));
	/* Best effort: the handshake fails either way. */
	if (send(session->fd, alert, sizeof(alert),
		 MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		session->rio.last_errno = errno;
	return __ktls_fail(-EPROTONOSUPPORT,
			 "handshake failure: no shared group (the client offers %s; we accept %s)",
			 theirs, ours);
}

static int prefer_hybrid(struct ktls_session *session, const uint8_t *rec,
			 size_t len)
{
	const struct ktls_ctx *ctx = session->ctx;
	int hybrids[KTLS_MAX_GROUPS];
	struct ktls_hello hello;
	size_t rec_len, hs_len;
	uint16_t best;
	int n = 0;

	if (len < TLS_RECORD_HEADER_LEN + TLS_HS_HEADER_LEN ||
	    rec[0] != TLS_RECORD_TYPE_HANDSHAKE ||
	    rec[5] != TLS_HS_CLIENT_HELLO)
		return 0;
	rec_len = (size_t)rec[3] << 8 | rec[4];
	hs_len = (size_t)rec[6] << 16 | (size_t)rec[7] << 8 | rec[8];
	/* Not whole in this record, or not all here yet: WolfSSL decides. */
	if (len < TLS_RECORD_HEADER_LEN + rec_len ||
	    TLS_HS_HEADER_LEN + hs_len > rec_len)
		return 0;
	if (__ktls_hello_parse(TLS_HS_CLIENT_HELLO, rec + 9, hs_len, &hello) ||
	    !hello.supported_versions || !hello.key_share)
		return 0;
	best = best_common(ctx, &hello);
	if (!best && hello.supported_groups && !hello.groups_truncated &&
	    !hello.pre_shared_key)
		return no_common_group(session, &hello);
	if (!__ktls_group_is_hybrid(best))
		return 0;
	for (size_t i = 0; i < hello.nr_shares; i++)
		if (__ktls_group_is_hybrid(hello.shares[i]) &&
		    listed(ctx->groups, ctx->nr_groups, hello.shares[i]))
			return 0;
	for (size_t i = 0; i < ctx->nr_groups; i++)
		if (__ktls_group_is_hybrid(ctx->groups[i]))
			hybrids[n++] = ctx->groups[i];
	if (wolfSSL_set_groups(session->ssl, hybrids, n) != WOLFSSL_SUCCESS)
		return __ktls_fail(-EIO, "WolfSSL rejected the hybrid groups");
	return 0;
}

int __ktls_groups_server_peek(struct ktls_session *session)
{
	const size_t max = TLS_RECORD_HEADER_LEN + TLS_MAX_PLAINTEXT;
	uint8_t *buf;
	ssize_t n;
	int ret;

	if (session->groups_peeked || session->ctx->max_version < KTLS_TLS_1_3)
		return 0;
	buf = malloc(max);
	if (!buf)
		return __ktls_fail(-ENOMEM, "out of memory");
	n = recv(session->fd, buf, max, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		free(buf);
		session->wants = POLLIN;
		return -EAGAIN;
	}
	session->groups_peeked = true;
	/* An error or EOF is WolfSSL's to report, as for any read. */
	ret = n > 0 ? prefer_hybrid(session, buf, (size_t)n) : 0;
	free(buf);
	return ret;
}
