// SPDX-License-Identifier: GPL-2.0-or-later
/* Clocks, latency samples, addresses (see hs_common.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hs_common.h"

int64_t hs_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int hs_samples_add(struct hs_samples *samples, int64_t us)
{
	if (samples->len == samples->cap) {
		size_t cap = samples->cap ? samples->cap * 2 : 1024;
		int64_t *grown = realloc(samples->us, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		samples->us = grown;
		samples->cap = cap;
	}
	samples->us[samples->len++] = us;
	return 0;
}

int hs_samples_merge(struct hs_samples *to, const struct hs_samples *from)
{
	for (size_t i = 0; i < from->len; i++) {
		int ret = hs_samples_add(to, from->us[i]);

		if (ret)
			return ret;
	}
	return 0;
}

static int cmp_us(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

double hs_samples_pct_ms(struct hs_samples *samples, double pct)
{
	size_t rank;

	if (!samples->len)
		return 0;
	qsort(samples->us, samples->len, sizeof(*samples->us), cmp_us);
	/* Nearest rank: the smallest sample with pct% at or below it. */
	rank = (size_t)(pct / 100.0 * (double)samples->len + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > samples->len)
		rank = samples->len;
	return (double)samples->us[rank - 1] / 1000.0;
}

void hs_samples_free(struct hs_samples *samples)
{
	free(samples->us);
	memset(samples, 0, sizeof(*samples));
}

int hs_parse_addr(const char *text, struct sockaddr_in *addr)
{
	const char *colon = strrchr(text, ':');
	char host[64];
	char *end;
	long port;

	if (!colon || (size_t)(colon - text) >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, colon - text);
	host[colon - text] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &addr->sin_addr) != 1)
		return -EINVAL;
	return 0;
}
