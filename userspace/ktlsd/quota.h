/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the handoffs hold, counted in total and per client uid (the uid of
 * the application's handoff connection, SO_PEERCRED), across every loop:
 * so one application cannot take what another needs.
 */
#ifndef KTLSD_QUOTA_H
#define KTLSD_QUOTA_H

#include <stddef.h>
#include <sys/types.h>

enum ktlsd_quota_kind {
	KTLSD_QUOTA_UNREQUESTED,	/* connected, no request yet */
	KTLSD_QUOTA_WAITING,	/* requested, the TLS peer silent so far */
	KTLSD_QUOTA_IN_FLIGHT,	/* a handshake running */
	KTLSD_QUOTA_KINDS,
};

/* One limit and the configuration key that sets it, for the reason. */
struct ktlsd_quota_limit {
	int total, per_uid;
	const char *total_key;	/* "[handoff] max_in_flight" */
	const char *per_uid_key;	/* "[handoff] max_in_flight_per_uid" */
};

/*
 * Take one @kind for @uid: 0, or -EBUSY with a reason naming the limit
 * that was reached and its key.
 */
int ktlsd_quota_take(enum ktlsd_quota_kind kind, uid_t uid,
		     const struct ktlsd_quota_limit *limit, char *why,
		     size_t why_len);
void ktlsd_quota_put(enum ktlsd_quota_kind kind, uid_t uid);

#endif /* KTLSD_QUOTA_H */
