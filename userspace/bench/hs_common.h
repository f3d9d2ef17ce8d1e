/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the handshake and round-trip benchmark programs: clocks,
 * latency samples and their percentiles, HOST:PORT parsing.
 */
#ifndef KTLSD_BENCH_HS_COMMON_H
#define KTLSD_BENCH_HS_COMMON_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in microseconds. */
int64_t hs_now_us(void);

/* A growing array of latencies in microseconds. */
struct hs_samples {
	int64_t *us;
	size_t len, cap;
};

int hs_samples_add(struct hs_samples *samples, int64_t us);
/* Append all of @from to @to. */
int hs_samples_merge(struct hs_samples *to, const struct hs_samples *from);
/* The @pct percentile (0..100) in milliseconds; sorts; 0 when empty. */
double hs_samples_pct_ms(struct hs_samples *samples, double pct);
void hs_samples_free(struct hs_samples *samples);

/* "A.B.C.D:PORT" into @addr; 0 or -EINVAL. */
int hs_parse_addr(const char *text, struct sockaddr_in *addr);

#endif /* KTLSD_BENCH_HS_COMMON_H */
