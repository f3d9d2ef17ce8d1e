// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Session ticket keys, the holder's side (ktls/tickets.h): ktls-serve's
 * own, each of ktlsd's key process's, and a 0-RTT server's that has no
 * sealer. Anything we cannot open gets a full handshake, never an error.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ktls_internal.h"
#include "ktls/tickets.h"

#include <wolfssl/wolfcrypt/chacha20_poly1305.h>

#define KEY_LEN CHACHA20_POLY1305_AEAD_KEYSIZE
#define TAG_LEN CHACHA20_POLY1305_AEAD_AUTHTAG_SIZE
#define AAD_LEN (KTLS_TICKET_NAME_LEN + KTLS_TICKET_IV_LEN + 4)

struct ticket_key {
	uint8_t name[KTLS_TICKET_NAME_LEN];
	uint8_t key[KEY_LEN];
	bool live;
};

struct ktls_ticket_keys {
	pthread_mutex_t lock;
	unsigned int period_s;
	int64_t start_s;	/* CLOCK_MONOTONIC at set-up */
	int64_t epoch;		/* the period current was drawn for */
	struct ticket_key current, previous;
	struct ktls_ticket_stats stats;
	size_t map_len;
};

static int64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void key_wipe(struct ticket_key *k)
{
	explicit_bzero(k, sizeof(*k));
}

static int key_draw(struct ticket_key *k)
{
	if (getrandom(k->name, sizeof(k->name), 0) != sizeof(k->name) ||
	    getrandom(k->key, sizeof(k->key), 0) != sizeof(k->key)) {
		key_wipe(k);
		return -EIO;
	}
	k->live = true;
	return 0;
}

/* Move to the period we are in; the lock is held. */
static int rotate_locked(struct ktls_ticket_keys *keys)
{
	int64_t epoch = (now_s() - keys->start_s) / keys->period_s;

	if (epoch == keys->epoch)
		return 0;
	if (epoch == keys->epoch + 1)
		keys->previous = keys->current;
	else
		key_wipe(&keys->previous);	/* idle for two periods */
	key_wipe(&keys->current);
	keys->epoch = epoch;
	keys->stats.rotations++;
	return key_draw(&keys->current);
}

/* Constant time: how many bytes of @a and @b differ is not told. */
static bool same_name(const uint8_t *a, const uint8_t *b)
{
	uint8_t diff = 0;

	for (size_t i = 0; i < KTLS_TICKET_NAME_LEN; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

static void ticket_aad(const uint8_t *name, const uint8_t *iv, size_t len,
		       uint8_t aad[AAD_LEN])
{
	memcpy(aad, name, KTLS_TICKET_NAME_LEN);
	memcpy(aad + KTLS_TICKET_NAME_LEN, iv, KTLS_TICKET_IV_LEN);
	aad[AAD_LEN - 4] = (uint8_t)(len >> 24);
	aad[AAD_LEN - 3] = (uint8_t)(len >> 16);
	aad[AAD_LEN - 2] = (uint8_t)(len >> 8);
	aad[AAD_LEN - 1] = (uint8_t)len;
}

int __ktls_ticket_keys_seal(struct ktls_ticket_keys *keys,
			    uint8_t name[KTLS_TICKET_NAME_LEN],
			  uint8_t iv[KTLS_TICKET_IV_LEN],
			  uint8_t mac[KTLS_TICKET_MAC_LEN], uint8_t *ticket,
			  size_t len)
{
	uint8_t aad[AAD_LEN];
	int ret = KTLS_TICKET_FATAL;

	if (!len || len > KTLS_TICKET_MAX_LEN)
		return KTLS_TICKET_FATAL;
	/* A random nonce: a key seals at most two periods of tickets. */
	if (getrandom(iv, KTLS_TICKET_IV_LEN, 0) != KTLS_TICKET_IV_LEN)
		return KTLS_TICKET_FATAL;
	pthread_mutex_lock(&keys->lock);
	if (rotate_locked(keys) || !keys->current.live)
		goto unlock;
	memcpy(name, keys->current.name, KTLS_TICKET_NAME_LEN);
	ticket_aad(name, iv, len, aad);
	if (wc_ChaCha20Poly1305_Encrypt(keys->current.key, iv, aad,
					sizeof(aad), ticket, (word32)len,
					ticket, mac))
		goto unlock;
	memset(mac + TAG_LEN, 0, KTLS_TICKET_MAC_LEN - TAG_LEN);
	keys->stats.sealed++;
	ret = KTLS_TICKET_OK;
unlock:
	pthread_mutex_unlock(&keys->lock);
	return ret;
}

int __ktls_ticket_keys_open(struct ktls_ticket_keys *keys,
			    const uint8_t name[KTLS_TICKET_NAME_LEN],
			  const uint8_t iv[KTLS_TICKET_IV_LEN],
			  const uint8_t mac[KTLS_TICKET_MAC_LEN],
			  uint8_t *ticket, size_t len)
{
	static const uint8_t zeros[KTLS_TICKET_MAC_LEN - TAG_LEN];
	struct ticket_key *k = NULL;
	uint8_t aad[AAD_LEN];
	bool cur, prev;
	int ret = KTLS_TICKET_REJECT;

	if (!len || len > KTLS_TICKET_MAX_LEN)
		return KTLS_TICKET_REJECT;
	pthread_mutex_lock(&keys->lock);
	rotate_locked(keys);
	/* Both compared whatever the first says. */
	cur = keys->current.live && same_name(name, keys->current.name);
	prev = keys->previous.live && same_name(name, keys->previous.name);
	if (cur)
		k = &keys->current;
	else if (prev)
		k = &keys->previous;
	/* Not ours (another process, a retired key), or not a ticket. */
	if (!k || memcmp(mac + TAG_LEN, zeros, sizeof(zeros)))
		goto unlock;
	ticket_aad(name, iv, len, aad);
	if (wc_ChaCha20Poly1305_Decrypt(k->key, iv, aad, sizeof(aad), ticket,
					(word32)len, mac, ticket)) {
		explicit_bzero(ticket, len);
		goto unlock;
	}
	ret = cur ? KTLS_TICKET_OK : KTLS_TICKET_RENEW;
unlock:
	if (ret == KTLS_TICKET_OK)
		keys->stats.opened++;
	else if (ret == KTLS_TICKET_RENEW)
		keys->stats.renewed++;
	else
		keys->stats.rejected++;
	pthread_mutex_unlock(&keys->lock);
	return ret;
}

static int sealer_seal(void *arg, uint32_t key_id, uint8_t *name, uint8_t *iv,
		       uint8_t *mac, uint8_t *ticket, size_t len)
{
	(void)key_id;
	return __ktls_ticket_keys_seal(arg, name, iv, mac, ticket, len);
}

static int sealer_open(void *arg, uint32_t key_id, const uint8_t *name,
		       const uint8_t *iv, const uint8_t *mac, uint8_t *ticket,
		       size_t len)
{
	(void)key_id;
	return __ktls_ticket_keys_open(arg, name, iv, mac, ticket, len);
}

void __ktls_ticket_keys_sealer(struct ktls_ticket_keys *keys,
			       uint32_t lifetime_s,
			     struct ktls_ticket_sealer *sealer)
{
	*sealer = (struct ktls_ticket_sealer){
		.seal = sealer_seal, .open = sealer_open, .arg = keys,
		.lifetime_s = lifetime_s,
	};
}

int __ktls_ticket_keys_new(unsigned int period_s, struct ktls_ticket_keys **out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct ktls_ticket_keys *keys;
	size_t map_len;
	void *map;
	int ret;

	if (!period_s)
		return __ktls_fail(-EINVAL, "a ticket key period of 0 seconds");
	map_len = (sizeof(*keys) + page - 1) / page * page;
	map = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return __ktls_fail(-ENOMEM, "out of memory for ticket keys");
	if (madvise(map, map_len, MADV_DONTDUMP)) {
		ret = -errno;
		munmap(map, map_len);
		return __ktls_fail(ret, "madvise(MADV_DONTDUMP) for ticket keys failed");
	}
	/* Best effort: an unprivileged RLIMIT_MEMLOCK may be too small. */
	(void)mlock(map, map_len);
	keys = map;
	keys->map_len = map_len;
	pthread_mutex_init(&keys->lock, NULL);
	keys->period_s = period_s;
	keys->start_s = now_s();
	ret = key_draw(&keys->current);
	if (ret) {
		__ktls_ticket_keys_free(keys);
		return __ktls_fail(ret, "getrandom failed for a ticket key");
	}
	*out = keys;
	return 0;
}

int __ktls_ticket_keys_tick(struct ktls_ticket_keys *keys, unsigned int *next_s)
{
	int ret;

	pthread_mutex_lock(&keys->lock);
	ret = rotate_locked(keys);
	pthread_mutex_unlock(&keys->lock);
	*next_s = (unsigned int)(keys->period_s -
				 (now_s() - keys->start_s) % keys->period_s);
	return ret ? __ktls_fail(ret, "getrandom failed for a new ticket key") :
		     0;
}

void __ktls_ticket_keys_stats(struct ktls_ticket_keys *keys,
			      struct ktls_ticket_stats *stats)
{
	pthread_mutex_lock(&keys->lock);
	*stats = keys->stats;
	pthread_mutex_unlock(&keys->lock);
	stats->period_s = keys->period_s;
}

void __ktls_ticket_keys_free(struct ktls_ticket_keys *keys)
{
	size_t map_len;

	if (!keys)
		return;
	map_len = keys->map_len;
	pthread_mutex_destroy(&keys->lock);
	explicit_bzero(keys, map_len);
	/* munmap unlocks too (munlock is not in ktls-serve's allow-list). */
	munmap(keys, map_len);
}
