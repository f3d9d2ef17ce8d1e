/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session ticket keys that live outside the handshake: a server context
 * given a ticket sealer sends every ticket it issues or is offered to the
 * sealer, with an opaque key id, and holds no ticket key itself. ktlsd's
 * worker asks its key process (as it asks for signatures, signer.h);
 * ktls-serve seals with keys of its own process. The key holder's side,
 * ktls_ticket_keys, is below.
 *
 * Functions return 0 or a negative errno; ktls_reason() says why.
 */
#ifndef KTLS_TICKETS_H
#define KTLS_TICKETS_H

#include <stddef.h>
#include <stdint.h>

#include "ktls/ktls.h"

/* The most ticket bytes one seal or open carries (WolfSSL's ~2.4 KiB). */
#define KTLS_TICKET_MAX_LEN 4096

struct ktls_ticket_sealer {
	/*
	 * Encrypt the @len bytes of @ticket in place with key @key_id and
	 * fill in @name (which key), @iv (unique per ticket: with 0-RTT it
	 * is the ticket's id in the replay guard) and @mac. KTLS_TICKET_OK,
	 * or KTLS_TICKET_FATAL (no ticket, the handshake fails).
	 */
	int (*seal)(void *arg, uint32_t key_id,
		    uint8_t name[KTLS_TICKET_NAME_LEN],
		    uint8_t iv[KTLS_TICKET_IV_LEN],
		    uint8_t mac[KTLS_TICKET_MAC_LEN], uint8_t *ticket,
		    size_t len);
	/*
	 * Authenticate and decrypt @ticket in place. KTLS_TICKET_OK,
	 * _RENEW (an older key: resume and issue a new ticket), _REJECT
	 * (a full handshake) or _FATAL.
	 */
	int (*open)(void *arg, uint32_t key_id,
		    const uint8_t name[KTLS_TICKET_NAME_LEN],
		    const uint8_t iv[KTLS_TICKET_IV_LEN],
		    const uint8_t mac[KTLS_TICKET_MAC_LEN], uint8_t *ticket,
		    size_t len);
	void *arg;
	uint32_t key_id;
	/* How long a ticket is good for (its lifetime); 0: WolfSSL's. */
	uint32_t lifetime_s;
};

/*
 * The key holder: ChaCha20-Poly1305 keys drawn at random, in a page of
 * their own (out of core dumps, locked where RLIMIT_MEMLOCK allows),
 * never written out. Every @period_s seconds a new key seals; the one
 * before still opens for one more period (KTLS_TICKET_RENEW), then it is
 * wiped. The 16-byte key name picks the key, compared in constant time;
 * AAD is name, iv and length. Safe from many threads.
 */
struct ktls_ticket_keys;

struct ktls_ticket_stats {
	uint64_t sealed, opened, renewed, rejected, rotations;
	unsigned int period_s;
};

int __ktls_ticket_keys_new(unsigned int period_s, struct ktls_ticket_keys **keys);
int __ktls_ticket_keys_seal(struct ktls_ticket_keys *keys,
			    uint8_t name[KTLS_TICKET_NAME_LEN],
			  uint8_t iv[KTLS_TICKET_IV_LEN],
			  uint8_t mac[KTLS_TICKET_MAC_LEN], uint8_t *ticket,
			  size_t len);
int __ktls_ticket_keys_open(struct ktls_ticket_keys *keys,
			    const uint8_t name[KTLS_TICKET_NAME_LEN],
			  const uint8_t iv[KTLS_TICKET_IV_LEN],
			  const uint8_t mac[KTLS_TICKET_MAC_LEN],
			  uint8_t *ticket, size_t len);
/*
 * Rotate on time, so that a retired key goes even if nothing asks; the
 * seconds to the next rotation in *@next_s. -EIO if no key could be drawn.
 */
int __ktls_ticket_keys_tick(struct ktls_ticket_keys *keys, unsigned int *next_s);
void __ktls_ticket_keys_stats(struct ktls_ticket_keys *keys,
			      struct ktls_ticket_stats *stats);
/* A sealer (any key id) that seals and opens with @keys, in this process. */
void __ktls_ticket_keys_sealer(struct ktls_ticket_keys *keys,
			       uint32_t lifetime_s,
			     struct ktls_ticket_sealer *sealer);
/* Wipes the keys (munmap unlocks them). */
void __ktls_ticket_keys_free(struct ktls_ticket_keys *keys);

#endif /* KTLS_TICKETS_H */
