/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may use the handoff for what: the [allow uid|gid ...] rules of
 * ktlsd.conf(5) against a client's credentials (SO_PEERCRED,
 * SO_PEERGROUPS) and its request.
 */
#ifndef KTLSD_POLICY_H
#define KTLSD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/*
 * The rule for a client: its [allow uid] section, else the first
 * [allow gid] section (in file order) naming @gid or one of @groups.
 * NULL if none matches (or there are no rules).
 */
const struct ktlsd_allow *ktlsd_policy_match(const struct ktlsd_config *c,
					     uid_t uid, gid_t gid,
					     const gid_t *groups,
					     int nr_groups);

/*
 * May @uid, whose rule is @rule, run a handshake in the @server role (else
 * client) for @server_name? 0, or -EACCES and a reason naming the uid and
 * the rule. Without rules in @c everything is allowed.
 */
int ktlsd_policy_check(const struct ktlsd_config *c,
		       const struct ktlsd_allow *rule, uid_t uid, bool server,
		       const char *server_name, char *why, size_t why_len);

/* Must a server handoff under @rule wait for the peer's SNI? */
bool ktlsd_policy_wants_sni(const struct ktlsd_allow *rule);

/*
 * May @uid serve a peer asking for @sni ("" for none) under @rule? 0, or
 * -EACCES and why.
 */
int ktlsd_policy_check_sni(const struct ktlsd_allow *rule, uid_t uid,
			   const char *sni, char *why, size_t why_len);

/* Is @name in the comma-separated @list ("*.example.com" matches a label)? */
bool ktlsd_policy_name_listed(const char *list, const char *name);

#endif /* KTLSD_POLICY_H */
