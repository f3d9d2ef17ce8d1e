// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * How many connections may be in their handshake at once: in all (each
 * costs a WolfSSL session, ~60 KiB, and a descriptor) and per source. A
 * connection over either cap is closed at accept, before any TLS state
 * exists, so silent clients from one address cannot starve the others.
 *
 * Sources are counted in a fixed table of buckets indexed by a keyed hash
 * of the address (IPv4: the address; IPv6: its /64, what one site gets):
 * bounded memory whatever the number of sources. Two sources sharing a
 * bucket share its cap; the key is random per process, so a client cannot
 * aim for another's bucket.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "serve.h"

#define SOURCE_BUCKETS 65536

static uint32_t source_count[SOURCE_BUCKETS];
static uint32_t handshaking;
static uint64_t hash_key[2];
static uint32_t max_handshakes, max_per_source;

int limits_init(const struct serve_config *cfg)
{
	max_handshakes = cfg->max_handshakes;
	max_per_source = cfg->max_per_source;
	if (getrandom(hash_key, sizeof(hash_key), 0) != sizeof(hash_key))
		return -errno;
	return 0;
}

/* A keyed mix of the source bytes (splitmix64 finaliser per word). */
static uint32_t source_bucket(const uint8_t *src, size_t len)
{
	uint64_t h = hash_key[0];
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t word = 0;

		memcpy(&word, src + i, len - i < 8 ? len - i : 8);
		h ^= word + hash_key[1];
		h ^= h >> 30;
		h *= 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 27;
		h *= 0x94d049bb133111ebULL;
		h ^= h >> 31;
	}
	return (uint32_t)(h % SOURCE_BUCKETS);
}

static int peer_bucket(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&ss;

		return source_bucket((const uint8_t *)&in->sin_addr, 4);
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&ss;
		const uint8_t *a = in6->sin6_addr.s6_addr;

		/* An IPv4-mapped address is that IPv4 address. */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return source_bucket(a + 12, 4);
		return source_bucket(a, 8);
	}
	return source_bucket(NULL, 0);
}

/* Add one to @counter unless it is at @max; true if added. */
static bool take(uint32_t *counter, uint32_t max)
{
	uint32_t n = __atomic_load_n(counter, __ATOMIC_RELAXED);

	do {
		if (n >= max)
			return false;
	} while (!__atomic_compare_exchange_n(counter, &n, n + 1, true,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

int limits_take(struct conn *c)
{
	int bucket = peer_bucket(c->fd);

	if (bucket < 0)
		return bucket;
	if (!take(&source_count[bucket], max_per_source)) {
		STAT_ADD(c->w, refused_per_source, 1);
		return -EMLINK;
	}
	if (!take(&handshaking, max_handshakes)) {
		__atomic_fetch_sub(&source_count[bucket], 1, __ATOMIC_RELAXED);
		STAT_ADD(c->w, refused_busy, 1);
		return -EBUSY;
	}
	c->source_bucket = bucket;
	return 0;
}

void limits_release(struct conn *c)
{
	if (c->source_bucket < 0)
		return;
	__atomic_fetch_sub(&source_count[c->source_bucket], 1,
			   __ATOMIC_RELAXED);
	__atomic_fetch_sub(&handshaking, 1, __ATOMIC_RELAXED);
	c->source_bucket = -1;
}
