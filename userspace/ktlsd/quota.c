// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-uid counters in a small hash of lists under one mutex: taken and put
 * once per handoff state change, far from the handshake's own cost. An
 * entry goes when its uid holds nothing, so the table stays as small as
 * the set of applications with something in flight.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "quota.h"

#define BUCKETS 256

struct uid_count {
	struct uid_count *next;
	uid_t uid;
	int count[KTLSD_QUOTA_KINDS];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct uid_count *buckets[BUCKETS];
static int totals[KTLSD_QUOTA_KINDS];

static const char *const what[KTLSD_QUOTA_KINDS] = {
	"connections without a request",
	"handoffs waiting for the TLS peer's first byte",
	"handoffs in flight",
};

static struct uid_count **find(uid_t uid)
{
	struct uid_count **e = &buckets[uid % BUCKETS];

	while (*e && (*e)->uid != uid)
		e = &(*e)->next;
	return e;
}

static void drop_if_empty(struct uid_count **e)
{
	struct uid_count *u = *e;

	for (int k = 0; k < KTLSD_QUOTA_KINDS; k++)
		if (u->count[k])
			return;
	*e = u->next;
	free(u);
}

int ktlsd_quota_take(enum ktlsd_quota_kind kind, uid_t uid,
		     const struct ktlsd_quota_limit *limit, char *why,
		     size_t why_len)
{
	struct uid_count **e, *u;
	int ret = 0;

	pthread_mutex_lock(&lock);
	if (totals[kind] >= limit->total) {
		snprintf(why, why_len,
			 "ktlsd is at its limit of %d %s (%s); try again later",
			 limit->total, what[kind], limit->total_key);
		ret = -EBUSY;
		goto unlock;
	}
	e = find(uid);
	if (!*e) {
		*e = calloc(1, sizeof(**e));
		if (!*e) {
			snprintf(why, why_len, "out of memory");
			ret = -ENOMEM;
			goto unlock;
		}
		(*e)->uid = uid;
	}
	u = *e;
	if (u->count[kind] >= limit->per_uid) {
		snprintf(why, why_len,
			 "uid %u is at its limit of %d %s (%s); try again later",
			 (unsigned int)uid, limit->per_uid, what[kind],
			 limit->per_uid_key);
		drop_if_empty(e);
		ret = -EBUSY;
		goto unlock;
	}
	u->count[kind]++;
	totals[kind]++;
unlock:
	pthread_mutex_unlock(&lock);
	return ret;
}

void ktlsd_quota_put(enum ktlsd_quota_kind kind, uid_t uid)
{
	struct uid_count **e;

	pthread_mutex_lock(&lock);
	e = find(uid);
	if (*e && (*e)->count[kind] > 0) {
		(*e)->count[kind]--;
		totals[kind]--;
		drop_if_empty(e);
	}
	pthread_mutex_unlock(&lock);
}
