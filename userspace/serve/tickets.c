// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Session ticket keys (TLS 1.3 and 1.2 resumption), this process's own:
 * drawn at random, never written out, never shared with another
 * ktls-serve. Every --ticket-rotate seconds a new key seals the tickets;
 * the one before still opens them for one more period (so a ticket lives
 * its whole lifetime, one period, even if issued just before a rotation),
 * then it is wiped. Tickets are ChaCha20-Poly1305 (wolfCrypt) under the
 * key its 16-byte name picks, compared in constant time; anything we
 * cannot open gets a full handshake, never an error.
 *
 * The keys live in a page of their own: out of core dumps, locked in
 * memory where RLIMIT_MEMLOCK allows, wiped on rotation and at exit.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>

#include "serve.h"

#define KEY_LEN CHACHA20_POLY1305_AEAD_KEYSIZE
#define NONCE_LEN CHACHA20_POLY1305_AEAD_IV_SIZE
#define TAG_LEN CHACHA20_POLY1305_AEAD_AUTHTAG_SIZE
#define AAD_LEN (KTLS_TICKET_NAME_LEN + KTLS_TICKET_IV_LEN + 4)

struct ticket_key {
	uint8_t name[KTLS_TICKET_NAME_LEN];
	uint8_t key[KEY_LEN];
	bool live;
};

struct ticket_keys {
	pthread_mutex_t lock;
	unsigned int period_s;
	int64_t start_s;	/* CLOCK_MONOTONIC at set-up */
	int64_t epoch;		/* the period current was drawn for */
	struct ticket_key current, previous;
	/* counters for the status line */
	uint64_t sealed, opened, renewed, rejected, rotations;
};

static struct ticket_keys *keys;
static size_t keys_map_len;

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
static int rotate_locked(void)
{
	int64_t epoch = (now_s() - keys->start_s) / keys->period_s;
	int ret;

	if (epoch == keys->epoch)
		return 0;
	if (epoch == keys->epoch + 1)
		keys->previous = keys->current;
	else
		key_wipe(&keys->previous);	/* idle for two periods */
	key_wipe(&keys->current);
	keys->epoch = epoch;
	keys->rotations++;
	ret = key_draw(&keys->current);
	return ret;
}

/* Constant time: how many bytes of @a and @b differ is not told. */
static bool same_name(const uint8_t *a, const uint8_t *b)
{
	uint8_t diff = 0;

	for (size_t i = 0; i < KTLS_TICKET_NAME_LEN; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

static void ticket_aad(const uint8_t *name, const uint8_t *iv, int len,
		       uint8_t aad[AAD_LEN])
{
	memcpy(aad, name, KTLS_TICKET_NAME_LEN);
	memcpy(aad + KTLS_TICKET_NAME_LEN, iv, KTLS_TICKET_IV_LEN);
	aad[AAD_LEN - 4] = (uint8_t)(len >> 24);
	aad[AAD_LEN - 3] = (uint8_t)(len >> 16);
	aad[AAD_LEN - 2] = (uint8_t)(len >> 8);
	aad[AAD_LEN - 1] = (uint8_t)len;
}

static int seal(uint8_t *name, uint8_t *iv, uint8_t *mac, uint8_t *ticket,
		int len, int *out_len)
{
	uint8_t aad[AAD_LEN];
	int ret = KTLS_TICKET_FATAL;

	/* A random nonce: a key seals at most two periods of tickets. */
	if (getrandom(iv, KTLS_TICKET_IV_LEN, 0) != KTLS_TICKET_IV_LEN)
		return KTLS_TICKET_FATAL;
	pthread_mutex_lock(&keys->lock);
	if (rotate_locked() || !keys->current.live)
		goto unlock;
	memcpy(name, keys->current.name, KTLS_TICKET_NAME_LEN);
	ticket_aad(name, iv, len, aad);
	if (wc_ChaCha20Poly1305_Encrypt(keys->current.key, iv, aad,
					sizeof(aad), ticket, (word32)len,
					ticket, mac))
		goto unlock;
	memset(mac + TAG_LEN, 0, KTLS_TICKET_MAC_LEN - TAG_LEN);
	*out_len = len;
	keys->sealed++;
	ret = KTLS_TICKET_OK;
unlock:
	pthread_mutex_unlock(&keys->lock);
	return ret;
}

static int open_ticket(const uint8_t *name, const uint8_t *iv,
		       const uint8_t *mac, uint8_t *ticket, int len,
		       int *out_len)
{
	static const uint8_t zeros[KTLS_TICKET_MAC_LEN - TAG_LEN];
	struct ticket_key *k = NULL;
	uint8_t aad[AAD_LEN];
	bool cur, prev;
	int ret = KTLS_TICKET_REJECT;

	pthread_mutex_lock(&keys->lock);
	rotate_locked();
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
		explicit_bzero(ticket, (size_t)len);
		goto unlock;
	}
	*out_len = len;
	ret = cur ? KTLS_TICKET_OK : KTLS_TICKET_RENEW;
unlock:
	if (ret == KTLS_TICKET_OK)
		keys->opened++;
	else if (ret == KTLS_TICKET_RENEW)
		keys->renewed++;
	else
		keys->rejected++;
	pthread_mutex_unlock(&keys->lock);
	return ret;
}

static int ticket_seal(void *arg, bool enc, uint8_t *name, uint8_t *iv,
		       uint8_t *mac, uint8_t *ticket, int len, int *out_len)
{
	(void)arg;
	if (enc)
		return seal(name, iv, mac, ticket, len, out_len);
	return open_ticket(name, iv, mac, ticket, len, out_len);
}

int tickets_init(const struct serve_config *cfg, struct ktls_config *config)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *map;
	int ret;

	if (cfg->no_tickets)
		return 0;
	keys_map_len = (sizeof(*keys) + page - 1) / page * page;
	map = mmap(NULL, keys_map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return -ENOMEM;
	if (madvise(map, keys_map_len, MADV_DONTDUMP)) {
		ret = -errno;
		goto unmap;
	}
	/* Best effort: an unprivileged RLIMIT_MEMLOCK may be too small. */
	(void)mlock(map, keys_map_len);
	keys = map;
	pthread_mutex_init(&keys->lock, NULL);
	keys->period_s = cfg->ticket_rotate_s;
	keys->start_s = now_s();
	ret = key_draw(&keys->current);
	if (ret)
		goto unmap;
	config->session_tickets = true;
	config->ticket_seal = ticket_seal;
	config->ticket_lifetime_s = cfg->ticket_rotate_s;
	return 0;

unmap:
	keys = NULL;
	explicit_bzero(map, keys_map_len);
	munmap(map, keys_map_len);
	return ret;
}

/* Rotate on the schedule even when no handshake asks (the old key goes). */
int tickets_tick(void)
{
	int ret;

	if (!keys)
		return -1;
	pthread_mutex_lock(&keys->lock);
	ret = rotate_locked();
	pthread_mutex_unlock(&keys->lock);
	if (ret)
		fprintf(stderr, "ktls-serve: cannot draw a new ticket key: %s\n",
			strerror(-ret));
	/* Seconds to the next rotation. */
	return (int)(keys->period_s -
		     (now_s() - keys->start_s) % keys->period_s);
}

void tickets_status(char *buf, size_t len)
{
	if (!keys) {
		snprintf(buf, len, "tickets off");
		return;
	}
	pthread_mutex_lock(&keys->lock);
	snprintf(buf, len,
		 "tickets: issued %llu, opened %llu (old key %llu), not taken %llu, key rotations %llu every %us",
		 (unsigned long long)keys->sealed,
		 (unsigned long long)(keys->opened + keys->renewed),
		 (unsigned long long)keys->renewed,
		 (unsigned long long)keys->rejected,
		 (unsigned long long)keys->rotations, keys->period_s);
	pthread_mutex_unlock(&keys->lock);
}

void tickets_free(void)
{
	if (!keys)
		return;
	pthread_mutex_destroy(&keys->lock);
	explicit_bzero(keys, keys_map_len);
	/* munmap unlocks too (munlock is not in the seccomp allow-list). */
	munmap(keys, keys_map_len);
	keys = NULL;
}
