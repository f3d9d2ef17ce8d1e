// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The handoff's access policy. Without [allow] sections every client that
 * can connect to the socket may run any handshake (the socket's mode and
 * group are the only gate; ktlsd warns about that at start); with them,
 * what no rule grants is refused with EACCES.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

const struct ktlsd_allow *ktlsd_policy_match(const struct ktlsd_config *c,
					     uid_t uid, gid_t gid,
					     const gid_t *groups,
					     int nr_groups)
{
	for (int i = 0; i < c->nr_allow; i++)
		if (!c->allow[i].is_gid && c->allow[i].id == uid)
			return &c->allow[i];
	for (int i = 0; i < c->nr_allow; i++) {
		const struct ktlsd_allow *a = &c->allow[i];

		if (!a->is_gid)
			continue;
		if (a->id == gid)
			return a;
		for (int g = 0; g < nr_groups; g++)
			if (a->id == groups[g])
				return a;
	}
	return NULL;
}

/* One name against one pattern, case-insensitively (DNS names). */
static bool name_matches(const char *pattern, size_t len, const char *name)
{
	const char *dot;

	if (len > 2 && !strncmp(pattern, "*.", 2)) {
		/* "*.example.com": exactly one label before the suffix. */
		dot = strchr(name, '.');
		return dot && dot != name && strlen(dot) == len - 1 &&
		       !strncasecmp(dot, pattern + 1, len - 1);
	}
	return strlen(name) == len && !strncasecmp(pattern, name, len);
}

bool ktlsd_policy_name_listed(const char *list, const char *name)
{
	while (*list) {
		size_t len = strcspn(list, ",");

		if (name_matches(list, len, name))
			return true;
		list += len;
		if (*list == ',')
			list++;
	}
	return false;
}

int ktlsd_policy_check(const struct ktlsd_config *c,
		       const struct ktlsd_allow *rule, uid_t uid, bool server,
		       const char *server_name, char *why, size_t why_len)
{
	unsigned int role = server ? KTLSD_ALLOW_SERVER : KTLSD_ALLOW_CLIENT;

	if (!c->nr_allow)
		return 0;
	if (!rule) {
		snprintf(why, why_len,
			 "uid %u matches no [allow] rule in %.120s: handoffs refused",
			 (unsigned int)uid, c->path);
		return -EACCES;
	}
	if (!(rule->roles & role)) {
		snprintf(why, why_len,
			 "uid %u may not run %s handshakes: [%s] (line %d) has roles = %s",
			 (unsigned int)uid, server ? "server" : "client",
			 rule->label, rule->line,
			 server ? "client" : "server");
		return -EACCES;
	}
	/* A server's SNI comes with the ClientHello: checked when it does. */
	if (!server && rule->server_names[0] &&
	    !ktlsd_policy_name_listed(rule->server_names, server_name)) {
		snprintf(why, why_len,
			 "uid %u may not connect to \"%.64s\": not in server_names of [%s] (line %d)",
			 (unsigned int)uid, server_name, rule->label,
			 rule->line);
		return -EACCES;
	}
	return 0;
}

bool ktlsd_policy_wants_sni(const struct ktlsd_allow *rule)
{
	return rule && rule->server_names[0];
}

int ktlsd_policy_check_sni(const struct ktlsd_allow *rule, uid_t uid,
			   const char *sni, char *why, size_t why_len)
{
	char shown[68];
	size_t i;

	if (!ktlsd_policy_wants_sni(rule) ||
	    (sni[0] && ktlsd_policy_name_listed(rule->server_names, sni)))
		return 0;
	if (!sni[0]) {
		snprintf(why, why_len,
			 "uid %u may not serve a peer that sends no server name: [%s] (line %d) has server_names",
			 (unsigned int)uid, rule->label, rule->line);
		return -EACCES;
	}
	/* The peer chose these bytes: show them harmless. */
	for (i = 0; sni[i] && i < sizeof(shown) - 1; i++)
		shown[i] = sni[i] > ' ' && sni[i] < 0x7f ? sni[i] : '?';
	shown[i] = '\0';
	snprintf(why, why_len,
		 "uid %u may not serve \"%s\": not in server_names of [%s] (line %d)",
		 (unsigned int)uid, shown, rule->label, rule->line);
	return -EACCES;
}
