// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd.conf: INI sections of "key = value" lines, '#' or ';' comment lines.
 *
 * Our own parser rather than Debian's libinih: its build (55-1) gives the
 * handler no line number and stops at 200-byte lines, and every error here
 * must say file, line and reason. Values are checked as they are read
 * (numbers, names, files readable by this process); the TLS contexts built
 * from them (profile.c) check the rest.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ktls/handoff.h"
#include "ktls/ktls.h"
#include "log.h"

struct parser {
	struct ktlsd_config *config;
	const char *path;
	int line;
	const char *section;	/* NULL before the first [section] */
	char label[80];		/* the section as written: "allow uid 33" */
	struct ktlsd_allow *allow;	/* in an [allow ...] section */
	char seen[256][112];	/* "section.key" read so far, for duplicates */
	int nr_seen;
	char *err;
	size_t err_len;
};

int ktlsd_config_error(char *err, size_t err_len, const char *path,
		       int line, const char *fmt, ...)
{
	int n = snprintf(err, err_len, "%s:%d: ", path, line);
	va_list ap;

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < err_len)
		vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define fail(p, ...) \
	ktlsd_config_error((p)->err, (p)->err_len, (p)->path, (p)->line, \
			   __VA_ARGS__)

static const char *const sections[] = { "global", "handoff", "server",
					"client", "upcall" };

/*
 * One key of one section. The parser gets the value's field: @offset
 * bytes into struct ktlsd_config or, in an [allow ...] section, into that
 * rule's struct ktlsd_allow. With KEY_LINE, the int @line bytes into the
 * same struct gets the key's line, so later checks blame the right one.
 */
struct key {
	const char *section;	/* as in sections[], or "allow" */
	const char *name;
	int (*parse)(struct parser *p, const struct key *k, const char *value,
		     void *field);
	size_t offset;
	size_t size;		/* of a string's buffer */
	size_t line;
	unsigned int flags;
	long min, max;		/* of a number */
};

#define KEY_LINE 1u

#define CFG(member) offsetof(struct ktlsd_config, member)
/* A member's size from the type alone: sizeof evaluates nothing. */
#define CFG_SIZE(member) sizeof(((const struct ktlsd_config *)NULL)[0].member)
#define ALLOW(member) offsetof(struct ktlsd_allow, member)

static int parse_threads(struct parser *p, const struct key *k,
			 const char *value, void *field);
static int parse_log(struct parser *p, const struct key *k,
		     const char *value, void *field);
static int parse_loglevel(struct parser *p, const struct key *k,
			  const char *value, void *field);
static int parse_duration(struct parser *p, const struct key *k,
			  const char *value, void *field);
static int parse_string(struct parser *p, const struct key *k,
			const char *value, void *field);
static int parse_socket_path(struct parser *p, const struct key *k,
			     const char *value, void *field);
static int parse_mode(struct parser *p, const struct key *k,
		      const char *value, void *field);
static int parse_group(struct parser *p, const struct key *k,
		       const char *value, void *field);
static int parse_number(struct parser *p, const struct key *k,
			const char *value, void *field);
static int parse_file(struct parser *p, const struct key *k,
		      const char *value, void *field);
static int parse_version(struct parser *p, const struct key *k,
			 const char *value, void *field);
static int parse_bool(struct parser *p, const struct key *k,
		      const char *value, void *field);
static int parse_enable(struct parser *p, const struct key *k,
			const char *value, void *field);
static int parse_verify_client(struct parser *p, const struct key *k,
			       const char *value, void *field);
static int parse_roles(struct parser *p, const struct key *k,
		       const char *value, void *field);
static int parse_names(struct parser *p, const struct key *k,
		       const char *value, void *field);

#define NUMBER(sec, key, member, lo, hi) \
	{ .section = sec, .name = key, .parse = parse_number, \
	  .offset = CFG(member), .min = lo, .max = hi }
#define DURATION(sec, key, member) \
	{ .section = sec, .name = key, .parse = parse_duration, \
	  .offset = CFG(member) }
/* A string or a readable file, and the line it was set on. */
#define STRING(sec, key, member, member_line) \
	{ .section = sec, .name = key, .parse = parse_string, \
	  .offset = CFG(member), .size = CFG_SIZE(member), \
	  .line = CFG(member_line), .flags = KEY_LINE }
#define FILE_KEY(sec, key, member, member_line) \
	{ .section = sec, .name = key, .parse = parse_file, \
	  .offset = CFG(member), .size = CFG_SIZE(member), \
	  .line = CFG(member_line), .flags = KEY_LINE }
/* [server] and [client] share these; each role has its own fields. */
#define VERSION(role, key, member) \
	{ .section = #role, .name = key, .parse = parse_version, \
	  .offset = CFG(role.member), .line = CFG(role.version_line), \
	  .flags = KEY_LINE }
#define ROLE_STRING(role, key) \
	STRING(#role, #key, role.key, role.key##_line)
#define ROLE_FILE(role, key) \
	FILE_KEY(#role, #key, role.key, role.key##_line)
#define ALLOW_NUMBER(key) \
	{ .section = "allow", .name = #key, .parse = parse_number, \
	  .offset = ALLOW(key), .min = 1, .max = 1000000 }

/*
 * Every key ktlsd.conf has, grouped by section in the order an unknown
 * key's "known:" list gives them (and suggest() prefers them). A key no
 * row names is an error: no parser ever sees a key it was not written
 * for, whatever the section's last key is.
 */
static const struct key key_table[] = {
	{ .section = "global", .name = "threads", .parse = parse_threads,
	  .offset = CFG(threads), .min = 1, .max = 1024 },
	{ .section = "global", .name = "log", .parse = parse_log,
	  .offset = CFG(log_target) },
	{ .section = "global", .name = "loglevel", .parse = parse_loglevel,
	  .offset = CFG(log_level) },
	DURATION("global", "handshake_timeout", handshake_timeout_ms),
	STRING("global", "user", user, user_line),

	{ .section = "handoff", .name = "path", .parse = parse_socket_path,
	  .offset = CFG(handoff_path), .size = CFG_SIZE(handoff_path) },
	{ .section = "handoff", .name = "mode", .parse = parse_mode,
	  .offset = CFG(handoff_mode), .min = 0, .max = 0777 },
	{ .section = "handoff", .name = "group", .parse = parse_group,
	  .offset = CFG(handoff_group) },
	NUMBER("handoff", "max_in_flight", handoff_max_in_flight, 1, 1000000),
	NUMBER("handoff", "max_in_flight_per_uid",
	       handoff_max_in_flight_per_uid, 1, 1000000),
	NUMBER("handoff", "max_waiting", handoff_max_waiting, 1, 1000000),
	NUMBER("handoff", "max_waiting_per_uid", handoff_max_waiting_per_uid,
	       1, 1000000),
	NUMBER("handoff", "max_unrequested", handoff_max_unrequested,
	       1, 1000000),
	NUMBER("handoff", "max_unrequested_per_uid",
	       handoff_max_unrequested_per_uid, 1, 1000000),
	DURATION("handoff", "first_byte_timeout",
		 handoff_first_byte_timeout_ms),
	DURATION("handoff", "request_timeout", handoff_request_timeout_ms),

	ROLE_FILE(server, certificate),
	ROLE_FILE(server, private_key),
	VERSION(server, "min_version", min_version),
	VERSION(server, "max_version", max_version),
	ROLE_STRING(server, ciphers),
	ROLE_STRING(server, groups),
	{ .section = "server", .name = "session_tickets", .parse = parse_bool,
	  .offset = CFG(server.session_tickets) },

	ROLE_FILE(client, trust_store),
	ROLE_FILE(client, crl),
	VERSION(client, "min_version", min_version),
	VERSION(client, "max_version", max_version),
	ROLE_STRING(client, ciphers),
	ROLE_STRING(client, groups),

	{ .section = "upcall", .name = "enable", .parse = parse_enable,
	  .offset = CFG(upcall.enable) },
	FILE_KEY("upcall", "certificate", upcall.certificate,
		 upcall.certificate_line),
	FILE_KEY("upcall", "private_key", upcall.private_key,
		 upcall.private_key_line),
	FILE_KEY("upcall", "trust_store", upcall.trust_store,
		 upcall.trust_store_line),
	FILE_KEY("upcall", "client_certificate", upcall.client_certificate,
		 upcall.client_certificate_line),
	FILE_KEY("upcall", "client_private_key", upcall.client_private_key,
		 upcall.client_private_key_line),
	/* check_whole() blames [upcall] for a missing one */
	FILE_KEY("upcall", "client_trust_store", upcall.client_trust_store,
		 upcall.client_trust_store_line),
	FILE_KEY("upcall", "crl", upcall.crl, upcall.crl_line),
	FILE_KEY("upcall", "client_crl", upcall.client_crl,
		 upcall.client_crl_line),
	{ .section = "upcall", .name = "keyrings", .parse = parse_string,
	  .offset = CFG(upcall.keyrings), .size = CFG_SIZE(upcall.keyrings) },
	DURATION("upcall", "handshake_timeout", upcall.handshake_timeout_ms),
	{ .section = "upcall", .name = "verify_client",
	  .parse = parse_verify_client, .offset = CFG(upcall.verify_client) },

	{ .section = "allow", .name = "roles", .parse = parse_roles,
	  .offset = ALLOW(roles) },
	{ .section = "allow", .name = "server_names", .parse = parse_names,
	  .offset = ALLOW(server_names),
	  .size = sizeof(((struct ktlsd_allow *)0)->server_names) },
	ALLOW_NUMBER(max_in_flight),
	ALLOW_NUMBER(max_waiting),
};

#define NR_KEYS (sizeof(key_table) / sizeof(key_table[0]))

static const struct key *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < NR_KEYS; i++)
		if (!strcmp(key_table[i].section, section) &&
		    !strcmp(key_table[i].name, name))
			return &key_table[i];
	return NULL;
}

/* Edit distance, for "did you mean"; names here are short. */
static int distance(const char *a, const char *b)
{
	int row[64], la = (int)strlen(a), lb = (int)strlen(b);

	if (la >= 63 || lb >= 63)
		return 99;
	for (int j = 0; j <= lb; j++)
		row[j] = j;
	for (int i = 1; i <= la; i++) {
		int diag = row[0];

		row[0] = i;
		for (int j = 1; j <= lb; j++) {
			int up = row[j];
			int best = diag + (a[i - 1] != b[j - 1]);

			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * The key of @section closest to @key: one it is a prefix of, or at most
 * 3 edits away; the first in the table of those equally close.
 */
static const char *suggest(const char *section, const char *key)
{
	const char *best = NULL;
	int best_d = 4;

	for (size_t i = 0; i < NR_KEYS; i++) {
		const char *name = key_table[i].name;
		int d;

		if (strcmp(key_table[i].section, section))
			continue;
		d = distance(key, name);
		if (strlen(key) >= 3 && !strncmp(name, key, strlen(key)))
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = name;
		}
	}
	return best;
}

static int unknown_key(struct parser *p, const char *key)
{
	const char *hint = suggest(p->section, key);
	char known[256] = "";
	size_t used = 0;

	if (hint)
		return fail(p, "unknown key \"%s\" in [%s] (did you mean %s?)",
			    key, p->label, hint);
	for (size_t i = 0; i < NR_KEYS && used < sizeof(known); i++) {
		if (strcmp(key_table[i].section, p->section))
			continue;
		used += (size_t)snprintf(known + used, sizeof(known) - used,
					 "%s%s", used ? ", " : "",
					 key_table[i].name);
	}
	return fail(p, "unknown key \"%s\" in [%s] (known: %s)", key,
		    p->label, known);
}

static int parse_int(struct parser *p, const char *key, const char *value,
		     int base, long min, long max, long *out)
{
	char *end;
	long n;
	int err;

	errno = 0;
	n = strtol(value, &end, base);
	err = errno;
	if (err || end == value || *end || n < min || n > max)
		return fail(p, "%s = \"%s\": expected a number from %ld to %ld",
			    key, value, min, max);
	*out = n;
	return 0;
}

/* An int from k->min to k->max. */
static int parse_number(struct parser *p, const struct key *k,
			const char *value, void *field)
{
	long n;
	int ret;

	ret = parse_int(p, k->name, value, 10, k->min, k->max, &n);
	if (!ret)
		*(int *)field = (int)n;
	return ret;
}

/* A number of threads, or auto: one per online CPU (0). */
static int parse_threads(struct parser *p, const struct key *k,
			 const char *value, void *field)
{
	if (!strcmp(value, "auto")) {
		*(int *)field = 0;
		return 0;
	}
	return parse_number(p, k, value, field);
}

static int parse_log(struct parser *p, const struct key *k,
		     const char *value, void *field)
{
	enum ktlsd_log_target *target = field;

	if (!strcmp(value, "stderr"))
		*target = KTLSD_LOG_STDERR;
	else if (!strcmp(value, "syslog"))
		*target = KTLSD_LOG_SYSLOG;
	else
		return fail(p, "%s = \"%s\": expected stderr or syslog",
			    k->name, value);
	return 0;
}

static int parse_loglevel(struct parser *p, const struct key *k,
			  const char *value, void *field)
{
	int level = ktlsd_log_level_parse(value);

	if (level < 0)
		return fail(p,
			    "%s = \"%s\": expected error, warning, info or debug",
			    k->name, value);
	*(int *)field = level;
	return 0;
}

/* "10", "10s" or "1500ms", into an int of milliseconds. */
static int parse_duration(struct parser *p, const struct key *k,
			  const char *value, void *field)
{
	long n, scale = 1000;
	char *end;
	int err;

	errno = 0;
	n = strtol(value, &end, 10);
	err = errno;
	if (!strcmp(end, "ms"))
		scale = 1;
	else if (*end && strcmp(end, "s"))
		end = NULL;
	if (err || !end || end == value || n <= 0 || n > 3600 * 1000 / scale)
		return fail(p,
			    "%s = \"%s\": expected a duration such as 10s or 1500ms (at most an hour)",
			    k->name, value);
	*(int *)field = (int)(n * scale);
	return 0;
}

static int parse_bool(struct parser *p, const struct key *k,
		      const char *value, void *field)
{
	bool *out = field;

	if (!strcmp(value, "yes") || !strcmp(value, "true") ||
	    !strcmp(value, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(value, "no") || !strcmp(value, "false") ||
	    !strcmp(value, "0")) {
		*out = false;
		return 0;
	}
	return fail(p, "%s = \"%s\": expected yes or no", k->name, value);
}

static int parse_version(struct parser *p, const struct key *k,
			 const char *value, void *field)
{
	uint16_t *out = field;

	if (!strcmp(value, "1.2") || !strcmp(value, "TLSv1.2")) {
		*out = KTLS_TLS_1_2;
		return 0;
	}
	if (!strcmp(value, "1.3") || !strcmp(value, "TLSv1.3")) {
		*out = KTLS_TLS_1_3;
		return 0;
	}
	return fail(p, "%s = \"%s\": expected 1.2 or 1.3", k->name, value);
}

/* A file this process can open for reading, checked now, not mid-handshake. */
static int parse_file(struct parser *p, const struct key *k,
		      const char *value, void *field)
{
	int fd, err;

	if (strlen(value) >= k->size)
		return fail(p, "%s: path too long", k->name);
	fd = open(value, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;	/* before anything else can change it */
		return fail(p, "%s = \"%s\": cannot read it: %s", k->name,
			    value, strerror(err));
	}
	close(fd);
	snprintf(field, k->size, "%s", value);
	return 0;
}

static int parse_string(struct parser *p, const struct key *k,
			const char *value, void *field)
{
	if (strlen(value) >= k->size)
		return fail(p, "%s: value longer than %zu bytes", k->name,
			    k->size - 1);
	snprintf(field, k->size, "%s", value);
	return 0;
}

/* The handoff socket: absolute, so it does not depend on our cwd. */
static int parse_socket_path(struct parser *p, const struct key *k,
			     const char *value, void *field)
{
	if (value[0] != '/')
		return fail(p, "%s = \"%s\": expected an absolute path",
			    k->name, value);
	return parse_string(p, k, value, field);
}

/* Octal, as chmod takes it. */
static int parse_mode(struct parser *p, const struct key *k,
		      const char *value, void *field)
{
	long n;
	int ret;

	ret = parse_int(p, k->name, value, 8, k->min, k->max, &n);
	if (!ret)
		*(mode_t *)field = (mode_t)n;
	return ret;
}

/* A group name, or a gid number no group needs to have. */
static int parse_group(struct parser *p, const struct key *k,
		       const char *value, void *field)
{
	struct group *gr = getgrnam(value);
	gid_t *gid = field;
	long n;

	if (gr) {
		*gid = gr->gr_gid;
	} else {
		if (parse_int(p, k->name, value, 10, 0, 65535 * 65536L, &n))
			return fail(p, "%s = \"%s\": no such group", k->name,
				    value);
		*gid = (gid_t)n;
	}
	/* a gid of 0 is a group too: the flag, not the value, says "set" */
	p->config->handoff_group_set = true;
	return 0;
}

static int parse_enable(struct parser *p, const struct key *k,
			const char *value, void *field)
{
	enum ktlsd_upcall_enable *enable = field;

	if (!strcmp(value, "auto"))
		*enable = KTLSD_UPCALL_AUTO;
	else if (!strcmp(value, "yes"))
		*enable = KTLSD_UPCALL_YES;
	else if (!strcmp(value, "no"))
		*enable = KTLSD_UPCALL_NO;
	else
		return fail(p, "%s = \"%s\": expected auto, yes or no",
			    k->name, value);
	return 0;
}

/* yes, no, or optional: ask, verify what comes, let in a client without. */
static int parse_verify_client(struct parser *p, const struct key *k,
			       const char *value, void *field)
{
	struct ktlsd_upcall_config *u = &p->config->upcall;

	u->client_cert_optional = !strcmp(value, "optional");
	if (u->client_cert_optional) {
		*(bool *)field = true;
		return 0;
	}
	return parse_bool(p, k, value, field);
}

/* "server", "client" or both, comma-separated. */
static int parse_roles(struct parser *p, const struct key *k,
		       const char *value, void *field)
{
	char buf[64], *save = NULL, *tok;
	unsigned int *roles = field;

	if (strlen(value) >= sizeof(buf))
		return fail(p, "%s = \"%.40s\": expected server, client or server,client",
			    k->name, value);
	snprintf(buf, sizeof(buf), "%s", value);
	*roles = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok = ktlsd_config_trim(tok);
		if (!strcmp(tok, "server"))
			*roles |= KTLSD_ALLOW_SERVER;
		else if (!strcmp(tok, "client"))
			*roles |= KTLSD_ALLOW_CLIENT;
		else
			return fail(p, "%s = \"%s\": unknown role \"%s\" (expected server, client or server,client)",
				    k->name, value, tok);
	}
	if (!*roles)
		return fail(p, "%s = \"%s\": expected server, client or server,client",
			    k->name, value);
	return 0;
}

/* Host names, comma-separated, stored without the blanks around them. */
static int parse_names(struct parser *p, const struct key *k,
		       const char *value, void *field)
{
	char buf[1024], *save = NULL, *tok, *out = field;
	size_t used = 0;

	if (strlen(value) >= sizeof(buf) || strlen(value) >= k->size)
		return fail(p, "%s: value longer than %zu bytes", k->name,
			    k->size - 1);
	snprintf(buf, sizeof(buf), "%s", value);
	out[0] = '\0';
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok = ktlsd_config_trim(tok);
		if (!*tok || strpbrk(tok, " \t") ||
		    (strchr(tok, '*') && strncmp(tok, "*.", 2)) ||
		    strchr(tok + 1, '*'))
			return fail(p, "%s: \"%s\" is not a host name (a leading \"*.\" is the only wildcard)",
				    k->name, tok);
		used += (size_t)snprintf(out + used, k->size - used, "%s%s",
					 used ? "," : "", tok);
	}
	if (!out[0])
		return fail(p, "%s has no name", k->name);
	return 0;
}

static int set_key(struct parser *p, const char *key, const char *value)
{
	const struct key *k;
	char id[112], *base;
	int ret;

	if (!p->section)
		return fail(p, "\"%s\" before any [section]", key);
	k = find_key(p->section, key);
	if (!k)
		return unknown_key(p, key);
	snprintf(id, sizeof(id), "%s.%s", p->label, key);
	for (int i = 0; i < p->nr_seen; i++)
		if (!strcmp(p->seen[i], id))
			return fail(p, "%s is set twice in [%s]", key,
				    p->label);
	if (p->nr_seen < (int)(sizeof(p->seen) / sizeof(p->seen[0])))
		snprintf(p->seen[p->nr_seen++], sizeof(p->seen[0]), "%s",
			 id);
	if (!*value)
		return fail(p, "%s has no value", key);

	/* [allow ...] keys are the current rule's; the others the file's */
	base = strcmp(k->section, "allow") ? (char *)p->config :
					     (char *)p->allow;
	ret = k->parse(p, k, value, base + k->offset);
	if (!ret && (k->flags & KEY_LINE))
		*(int *)(base + k->line) = p->line;
	return ret;
}

char *ktlsd_config_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* [allow uid NAME|NUM] or [allow gid NAME|NUM]: a new rule. */
static int parse_allow(struct parser *p, char *name)
{
	struct ktlsd_config *c = p->config;
	char kind[8] = "", who[64] = "", extra[2] = "";
	struct ktlsd_allow *a;
	struct passwd *pw;
	struct group *gr;
	long n;

	if (sscanf(name, "allow %7s %63s %1s", kind, who, extra) != 2 ||
	    (strcmp(kind, "uid") && strcmp(kind, "gid")))
		return fail(p, "expected [allow uid NAME|NUMBER] or [allow gid NAME|NUMBER], got [%.60s]",
			    name);
	if (c->nr_allow == KTLSD_MAX_ALLOW)
		return fail(p, "more than %d [allow] sections", KTLSD_MAX_ALLOW);
	a = &c->allow[c->nr_allow];
	memset(a, 0, sizeof(*a));
	a->is_gid = kind[0] == 'g';
	gr = a->is_gid ? getgrnam(who) : NULL;
	pw = a->is_gid ? NULL : getpwnam(who);
	if (gr) {
		a->id = gr->gr_gid;
	} else if (pw) {
		a->id = pw->pw_uid;
	} else {
		if (parse_int(p, kind, who, 10, 0, 65535 * 65536L - 1, &n))
			return fail(p, "[allow %s %s]: no such %s", kind, who,
				    a->is_gid ? "group" : "user");
		a->id = (uint32_t)n;
	}
	for (int i = 0; i < c->nr_allow; i++)
		if (c->allow[i].is_gid == a->is_gid && c->allow[i].id == a->id)
			return fail(p, "[allow %s %u] appears twice (first at line %d)",
				    kind, a->id, c->allow[i].line);
	snprintf(a->label, sizeof(a->label), "allow %s %s", kind, who);
	a->line = p->line;
	a->roles = KTLSD_ALLOW_SERVER | KTLSD_ALLOW_CLIENT;
	c->nr_allow++;
	p->section = "allow";
	p->allow = a;
	snprintf(p->label, sizeof(p->label), "%s", a->label);
	return 0;
}

static int parse_section(struct parser *p, char *line)
{
	char *close = strchr(line, ']');
	char *name;

	if (!close || *ktlsd_config_trim(close + 1))
		return fail(p, "expected [section] on this line");
	*close = '\0';
	name = ktlsd_config_trim(line + 1);
	p->allow = NULL;
	if (!strncmp(name, "allow ", 6) || !strcmp(name, "allow"))
		return parse_allow(p, name);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (strcmp(name, sections[i]))
			continue;
		p->section = sections[i];
		snprintf(p->label, sizeof(p->label), "%s", sections[i]);
		if (!strcmp(name, "server")) {
			if (p->config->server.enabled)
				return fail(p, "[server] appears twice");
			p->config->server.enabled = true;
			p->config->server.line = p->line;
		} else if (!strcmp(name, "client")) {
			if (p->config->client.enabled)
				return fail(p, "[client] appears twice");
			p->config->client.enabled = true;
			p->config->client.line = p->line;
		} else if (!strcmp(name, "upcall")) {
			if (p->config->upcall.line)
				return fail(p, "[upcall] appears twice");
			p->config->upcall.enable = KTLSD_UPCALL_AUTO;
			p->config->upcall.line = p->line;
		}
		return 0;
	}
	if (!strncmp(name, "authenticate", 12) || !strcmp(name, "debug"))
		return fail(p,
			    "[%s] is a section of tlshd's configuration, and this file also has ktlsd's: keep them in separate files (ktlsd --tlshd-config FILE reads tlshd's)",
			    name);
	return fail(p,
		    "unknown section [%s] (sections: global, handoff, server, client, upcall, allow uid|gid NAME)",
		    name);
}

static int parse_line(struct parser *p, char *raw)
{
	char *line = ktlsd_config_trim(raw), *eq;

	if (!*line || *line == '#' || *line == ';')
		return 0;
	if (*line == '[')
		return parse_section(p, line);
	eq = strchr(line, '=');
	if (!eq)
		return fail(p, "expected \"key = value\" or [section], got \"%.40s\"",
			    line);
	*eq = '\0';
	return set_key(p, ktlsd_config_trim(line), ktlsd_config_trim(eq + 1));
}

/* What the sections need as a whole, once every line is read. */
static int check_whole(struct parser *p)
{
	struct ktlsd_config *c = p->config;

	if (c->server.enabled) {
		p->line = c->server.line;
		if (!*c->server.certificate)
			return fail(p, "[server] needs certificate = FILE");
		if (!*c->server.private_key)
			return fail(p, "[server] needs private_key = FILE");
	}
	if (c->upcall.line) {
		p->line = c->upcall.line;
		if (!*c->upcall.certificate != !*c->upcall.private_key)
			return fail(p, "[upcall] needs certificate and private_key together");
		if (!*c->upcall.client_certificate !=
		    !*c->upcall.client_private_key)
			return fail(p, "[upcall] needs client_certificate and %s",
				    "client_private_key together");
		if (c->upcall.verify_client && !*c->upcall.client_trust_store)
			return fail(p, "[upcall] verify_client = %s needs "
				    "client_trust_store = FILE, the CA "
				    "certificates client certificates must "
				    "chain to (never the system bundle)",
				    c->upcall.client_cert_optional ?
				    "optional" : "yes");
		if (*c->upcall.client_crl && !c->upcall.verify_client) {
			p->line = c->upcall.client_crl_line;
			return fail(p, "[upcall] client_crl checks client certificates: it needs verify_client = yes or optional");
		}
	}
	if (!c->server.enabled && !c->client.enabled &&
	    c->upcall.enable == KTLSD_UPCALL_NO) {
		snprintf(p->err, p->err_len,
			 "%s: no [server], [client] or [upcall]: ktlsd would have no handshake to run",
			 p->path);
		return -EINVAL;
	}
	return 0;
}

void ktlsd_config_defaults(const char *path, struct ktlsd_config *config)
{
	memset(config, 0, sizeof(*config));
	snprintf(config->path, sizeof(config->path), "%s", path);
	config->log_level = KTLSD_LOG_INFO;
	config->handshake_timeout_ms = KTLSD_DEFAULT_TIMEOUT_MS;
	snprintf(config->handoff_path, sizeof(config->handoff_path), "%s",
		 KTLS_HANDOFF_DEFAULT_PATH);
	config->handoff_mode = 0660;
	config->handoff_max_in_flight = KTLSD_DEFAULT_MAX_IN_FLIGHT;
	config->handoff_max_in_flight_per_uid =
		KTLSD_DEFAULT_MAX_IN_FLIGHT_PER_UID;
	config->handoff_max_waiting = KTLSD_DEFAULT_MAX_WAITING;
	config->handoff_max_waiting_per_uid = KTLSD_DEFAULT_MAX_WAITING_PER_UID;
	config->handoff_max_unrequested = KTLSD_DEFAULT_MAX_UNREQUESTED;
	config->handoff_max_unrequested_per_uid =
		KTLSD_DEFAULT_MAX_UNREQUESTED_PER_UID;
	config->handoff_first_byte_timeout_ms =
		KTLSD_DEFAULT_FIRST_BYTE_TIMEOUT_MS;
	config->handoff_request_timeout_ms = KTLSD_DEFAULT_REQUEST_TIMEOUT_MS;
}

int ktlsd_config_load(const char *path, struct ktlsd_config *config,
		      char *err, size_t err_len)
{
	struct parser *p;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int ret = 0;

	ret = ktlsd_config_is_tlshd(path);
	if (ret > 0)
		return ktlsd_config_load_tlshd(path, config, err, err_len);
	ret = 0;
	ktlsd_config_defaults(path, config);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;	/* before snprintf can change it */
		snprintf(err, err_len, "%s: cannot read the configuration: %s",
			 path, strerror(-ret));
		return ret;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		fclose(f);
		snprintf(err, err_len, "%s: out of memory", path);
		return -ENOMEM;
	}
	p->config = config;
	p->path = path;
	p->err = err;
	p->err_len = err_len;
	while (getline(&line, &cap, f) >= 0) {
		p->line++;
		ret = parse_line(p, line);
		if (ret)
			break;
	}
	if (!ret && ferror(f))
		ret = fail(p, "read error");
	if (!ret)
		ret = check_whole(p);
	free(line);
	free(p);
	fclose(f);
	return ret;
}
