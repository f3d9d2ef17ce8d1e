// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Session ticket keys (TLS 1.3 and 1.2 resumption), this process's own:
 * drawn at random, never written out, never shared with another
 * ktls-serve. Every --ticket-rotate seconds a new key seals the tickets;
 * the one before still opens them for one more period (so a ticket lives
 * its whole lifetime, one period, even if issued just before a rotation),
 * then it is wiped. libktls's key holder (ktls/tickets.h) keeps them:
 * ChaCha20-Poly1305, the 16-byte name compared in constant time, a page
 * out of core dumps and locked where RLIMIT_MEMLOCK allows; anything we
 * cannot open gets a full handshake, never an error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ktls/tickets.h"
#include "serve.h"

static struct ktls_ticket_keys *keys;
static struct ktls_ticket_sealer sealer;

int tickets_init(const struct serve_config *cfg, struct ktls_config *config)
{
	int ret;

	if (cfg->no_tickets)
		return 0;
	ret = __ktls_ticket_keys_new(cfg->ticket_rotate_s, &keys);
	if (ret)
		return ret;
	__ktls_ticket_keys_sealer(keys, cfg->ticket_rotate_s, &sealer);
	config->session_tickets = true;
	config->ticket_sealer = &sealer;
	return 0;
}

/* Rotate on the schedule even when no handshake asks (the old key goes). */
int tickets_tick(void)
{
	unsigned int next_s;

	if (!keys)
		return -1;
	if (__ktls_ticket_keys_tick(keys, &next_s))
		fprintf(stderr, "ktls-serve: cannot draw a new ticket key: %s\n",
			strerror(EIO));
	/* Seconds to the next rotation. */
	return (int)next_s;
}

void tickets_status(char *buf, size_t len)
{
	struct ktls_ticket_stats st;

	if (!keys) {
		snprintf(buf, len, "tickets off");
		return;
	}
	__ktls_ticket_keys_stats(keys, &st);
	snprintf(buf, len,
		 "tickets: issued %llu, opened %llu (old key %llu), not taken %llu, key rotations %llu every %us",
		 (unsigned long long)st.sealed,
		 (unsigned long long)(st.opened + st.renewed),
		 (unsigned long long)st.renewed,
		 (unsigned long long)st.rejected,
		 (unsigned long long)st.rotations, st.period_s);
}

void tickets_free(void)
{
	__ktls_ticket_keys_free(keys);
	keys = NULL;
}
