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

static const char *const keys_global[] = { "threads", "log", "loglevel",
					   "handshake_timeout", "user", NULL };

static const char *const keys_handoff[] = {
	"path", "mode", "group", "max_in_flight", "max_in_flight_per_uid",
	"max_waiting", "max_waiting_per_uid", "max_unrequested",
	"max_unrequested_per_uid", "first_byte_timeout", "request_timeout",
	NULL
};

static const char *const keys_server[] = {
	"certificate", "private_key", "min_version", "max_version",
	"ciphers", "groups", "session_tickets", NULL
};

static const char *const keys_client[] = {
	"trust_store", "crl", "min_version", "max_version", "ciphers", "groups",
	NULL
};

static const char *const keys_upcall[] = {
	"enable", "certificate", "private_key", "trust_store",
	"client_certificate", "client_private_key", "client_trust_store",
	"crl", "client_crl", "keyrings", "handshake_timeout", "verify_client",
	NULL
};

static const char *const keys_allow[] = {
	"roles", "server_names", "max_in_flight", "max_waiting", NULL
};

static const char *const *keys_of(const char *section)
{
	if (!strcmp(section, "allow"))
		return keys_allow;
	if (!strcmp(section, "upcall"))
		return keys_upcall;
	if (!strcmp(section, "global"))
		return keys_global;
	if (!strcmp(section, "handoff"))
		return keys_handoff;
	if (!strcmp(section, "server"))
		return keys_server;
	return keys_client;
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

/* The known key closest to @key: a prefix of it, or at most 3 edits away. */
static const char *suggest(const char *const *keys, const char *key)
{
	const char *best = NULL;
	int best_d = 4;

	for (; *keys; keys++) {
		int d = distance(key, *keys);

		if (strlen(key) >= 3 && !strncmp(*keys, key, strlen(key)))
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = *keys;
		}
	}
	return best;
}

static int unknown_key(struct parser *p, const char *key)
{
	const char *const *keys = keys_of(p->section);
	const char *hint = suggest(keys, key);
	char known[256] = "";

	if (hint)
		return fail(p, "unknown key \"%s\" in [%s] (did you mean %s?)",
			    key, p->label, hint);
	for (; *keys; keys++) {
		strncat(known, *keys, sizeof(known) - strlen(known) - 3);
		if (keys[1])
			strcat(known, ", ");
	}
	return fail(p, "unknown key \"%s\" in [%s] (known: %s)", key,
		    p->label, known);
}

static int parse_int(struct parser *p, const char *key, const char *value,
		     int base, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, base);
	if (errno || end == value || *end || n < min || n > max)
		return fail(p, "%s = \"%s\": expected a number from %ld to %ld",
			    key, value, min, max);
	*out = n;
	return 0;
}

/* "10", "10s" or "1500ms". */
static int parse_duration(struct parser *p, const char *key,
			  const char *value, int *ms)
{
	long n, scale = 1000;
	char *end;

	errno = 0;
	n = strtol(value, &end, 10);
	if (!strcmp(end, "ms"))
		scale = 1;
	else if (*end && strcmp(end, "s"))
		end = NULL;
	if (errno || !end || end == value || n <= 0 || n > 3600 * 1000 / scale)
		return fail(p,
			    "%s = \"%s\": expected a duration such as 10s or 1500ms (at most an hour)",
			    key, value);
	*ms = (int)(n * scale);
	return 0;
}

static int parse_bool(struct parser *p, const char *key, const char *value,
		      bool *out)
{
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
	return fail(p, "%s = \"%s\": expected yes or no", key, value);
}

static int parse_version(struct parser *p, const char *key, const char *value,
			 uint16_t *out)
{
	if (!strcmp(value, "1.2") || !strcmp(value, "TLSv1.2")) {
		*out = KTLS_TLS_1_2;
		return 0;
	}
	if (!strcmp(value, "1.3") || !strcmp(value, "TLSv1.3")) {
		*out = KTLS_TLS_1_3;
		return 0;
	}
	return fail(p, "%s = \"%s\": expected 1.2 or 1.3", key, value);
}

/* A file this process can open for reading, checked now, not mid-handshake. */
static int parse_file(struct parser *p, const char *key, const char *value,
		      char *out, size_t out_len, int *line)
{
	int fd;

	if (strlen(value) >= out_len)
		return fail(p, "%s: path too long", key);
	fd = open(value, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(p, "%s = \"%s\": cannot read it: %s", key, value,
			    strerror(errno));
	close(fd);
	snprintf(out, out_len, "%s", value);
	*line = p->line;
	return 0;
}

static int copy_value(struct parser *p, const char *key, const char *value,
		      char *out, size_t out_len)
{
	if (strlen(value) >= out_len)
		return fail(p, "%s: value longer than %zu bytes", key,
			    out_len - 1);
	snprintf(out, out_len, "%s", value);
	return 0;
}

static int set_global(struct parser *p, const char *key, const char *value)
{
	struct ktlsd_config *c = p->config;
	long n;
	int ret;

	if (!strcmp(key, "threads")) {
		if (!strcmp(value, "auto")) {
			c->threads = 0;
			return 0;
		}
		ret = parse_int(p, key, value, 10, 1, 1024, &n);
		c->threads = (int)n;
		return ret;
	}
	if (!strcmp(key, "log")) {
		if (!strcmp(value, "stderr"))
			c->log_target = KTLSD_LOG_STDERR;
		else if (!strcmp(value, "syslog"))
			c->log_target = KTLSD_LOG_SYSLOG;
		else
			return fail(p, "log = \"%s\": expected stderr or syslog",
				    value);
		return 0;
	}
	if (!strcmp(key, "loglevel")) {
		c->log_level = ktlsd_log_level_parse(value);
		if (c->log_level < 0)
			return fail(p,
				    "loglevel = \"%s\": expected error, warning, info or debug",
				    value);
		return 0;
	}
	if (!strcmp(key, "user")) {
		c->user_line = p->line;
		return copy_value(p, key, value, c->user, sizeof(c->user));
	}
	return parse_duration(p, key, value, &c->handshake_timeout_ms);
}

static int *handoff_limit(struct ktlsd_config *c, const char *key)
{
	if (!strcmp(key, "max_in_flight_per_uid"))
		return &c->handoff_max_in_flight_per_uid;
	if (!strcmp(key, "max_waiting"))
		return &c->handoff_max_waiting;
	if (!strcmp(key, "max_waiting_per_uid"))
		return &c->handoff_max_waiting_per_uid;
	if (!strcmp(key, "max_unrequested"))
		return &c->handoff_max_unrequested;
	if (!strcmp(key, "max_unrequested_per_uid"))
		return &c->handoff_max_unrequested_per_uid;
	return &c->handoff_max_in_flight;
}

static int set_handoff(struct parser *p, const char *key, const char *value)
{
	struct ktlsd_config *c = p->config;
	struct group *gr;
	long n;
	int ret;

	if (!strcmp(key, "path")) {
		if (value[0] != '/')
			return fail(p, "path = \"%s\": expected an absolute path",
				    value);
		return copy_value(p, key, value, c->handoff_path,
				  sizeof(c->handoff_path));
	}
	if (!strcmp(key, "mode")) {
		ret = parse_int(p, key, value, 8, 0, 0777, &n);
		c->handoff_mode = (mode_t)n;
		return ret;
	}
	if (!strcmp(key, "first_byte_timeout"))
		return parse_duration(p, key, value,
				      &c->handoff_first_byte_timeout_ms);
	if (!strcmp(key, "request_timeout"))
		return parse_duration(p, key, value,
				      &c->handoff_request_timeout_ms);
	if (!strncmp(key, "max_", 4)) {
		ret = parse_int(p, key, value, 10, 1, 1000000, &n);
		*handoff_limit(c, key) = (int)n;
		return ret;
	}
	gr = getgrnam(value);
	if (gr) {
		c->handoff_group = gr->gr_gid;
	} else {
		if (parse_int(p, key, value, 10, 0, 65535 * 65536L, &n))
			return fail(p, "group = \"%s\": no such group", value);
		c->handoff_group = (gid_t)n;
	}
	c->handoff_group_set = true;
	return 0;
}

static int set_role(struct parser *p, struct ktlsd_role_config *r,
		    const char *key, const char *value)
{
	if (!strcmp(key, "certificate"))
		return parse_file(p, key, value, r->certificate,
				  sizeof(r->certificate), &r->certificate_line);
	if (!strcmp(key, "private_key"))
		return parse_file(p, key, value, r->private_key,
				  sizeof(r->private_key), &r->private_key_line);
	if (!strcmp(key, "trust_store"))
		return parse_file(p, key, value, r->trust_store,
				  sizeof(r->trust_store), &r->trust_store_line);
	if (!strcmp(key, "crl"))
		return parse_file(p, key, value, r->crl, sizeof(r->crl),
				  &r->crl_line);
	if (!strcmp(key, "min_version") || !strcmp(key, "max_version")) {
		r->version_line = p->line;
		return parse_version(p, key, value,
				     key[1] == 'i' ? &r->min_version :
						     &r->max_version);
	}
	if (!strcmp(key, "ciphers")) {
		r->ciphers_line = p->line;
		return copy_value(p, key, value, r->ciphers,
				  sizeof(r->ciphers));
	}
	if (!strcmp(key, "groups")) {
		r->groups_line = p->line;
		return copy_value(p, key, value, r->groups, sizeof(r->groups));
	}
	return parse_bool(p, key, value, &r->session_tickets);
}

static int set_upcall(struct parser *p, const char *key, const char *value)
{
	struct ktlsd_upcall_config *u = &p->config->upcall;
	int unused;

	if (!strcmp(key, "enable")) {
		if (!strcmp(value, "auto"))
			u->enable = KTLSD_UPCALL_AUTO;
		else if (!strcmp(value, "yes"))
			u->enable = KTLSD_UPCALL_YES;
		else if (!strcmp(value, "no"))
			u->enable = KTLSD_UPCALL_NO;
		else
			return fail(p, "enable = \"%s\": expected auto, yes or no",
				    value);
		return 0;
	}
	if (!strcmp(key, "certificate"))
		return parse_file(p, key, value, u->certificate,
				  sizeof(u->certificate), &u->certificate_line);
	if (!strcmp(key, "private_key"))
		return parse_file(p, key, value, u->private_key,
				  sizeof(u->private_key), &u->private_key_line);
	if (!strcmp(key, "trust_store"))
		return parse_file(p, key, value, u->trust_store,
				  sizeof(u->trust_store), &u->trust_store_line);
	if (!strcmp(key, "client_certificate"))
		return parse_file(p, key, value, u->client_certificate,
				  sizeof(u->client_certificate),
				  &u->client_certificate_line);
	if (!strcmp(key, "client_private_key"))
		return parse_file(p, key, value, u->client_private_key,
				  sizeof(u->client_private_key),
				  &u->client_private_key_line);
	if (!strcmp(key, "client_trust_store"))
		return parse_file(p, key, value, u->client_trust_store,
				  sizeof(u->client_trust_store), &unused);
	if (!strcmp(key, "crl"))
		return parse_file(p, key, value, u->crl, sizeof(u->crl),
				  &u->crl_line);
	if (!strcmp(key, "client_crl"))
		return parse_file(p, key, value, u->client_crl,
				  sizeof(u->client_crl), &u->client_crl_line);
	if (!strcmp(key, "keyrings"))
		return copy_value(p, key, value, u->keyrings,
				  sizeof(u->keyrings));
	if (!strcmp(key, "verify_client")) {
		/* optional: ask, verify what comes, let in a client without */
		u->client_cert_optional = !strcmp(value, "optional");
		if (u->client_cert_optional) {
			u->verify_client = true;
			return 0;
		}
		return parse_bool(p, key, value, &u->verify_client);
	}
	return parse_duration(p, key, value, &u->handshake_timeout_ms);
}

/* "server", "client" or both, comma-separated. */
static int parse_roles(struct parser *p, const char *value,
		       unsigned int *roles)
{
	char buf[64], *save = NULL, *tok;

	if (strlen(value) >= sizeof(buf))
		return fail(p, "roles = \"%.40s\": expected server, client or server,client",
			    value);
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
			return fail(p, "roles = \"%s\": unknown role \"%s\" (expected server, client or server,client)",
				    value, tok);
	}
	if (!*roles)
		return fail(p, "roles = \"%s\": expected server, client or server,client",
			    value);
	return 0;
}

/* Host names, comma-separated, stored without the blanks around them. */
static int parse_names(struct parser *p, const char *value, char *out,
		       size_t out_len)
{
	char buf[1024], *save = NULL, *tok;
	size_t used = 0;

	if (strlen(value) >= sizeof(buf) || strlen(value) >= out_len)
		return fail(p, "server_names: value longer than %zu bytes",
			    out_len - 1);
	snprintf(buf, sizeof(buf), "%s", value);
	out[0] = '\0';
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok = ktlsd_config_trim(tok);
		if (!*tok || strpbrk(tok, " \t") ||
		    (strchr(tok, '*') && strncmp(tok, "*.", 2)) ||
		    strchr(tok + 1, '*'))
			return fail(p, "server_names: \"%s\" is not a host name (a leading \"*.\" is the only wildcard)",
				    tok);
		used += (size_t)snprintf(out + used, out_len - used, "%s%s",
					 used ? "," : "", tok);
	}
	if (!out[0])
		return fail(p, "server_names has no name");
	return 0;
}

static int set_allow(struct parser *p, const char *key, const char *value)
{
	struct ktlsd_allow *a = p->allow;
	long n;
	int ret;

	if (!strcmp(key, "roles"))
		return parse_roles(p, value, &a->roles);
	if (!strcmp(key, "server_names"))
		return parse_names(p, value, a->server_names,
				   sizeof(a->server_names));
	ret = parse_int(p, key, value, 10, 1, 1000000, &n);
	if (!strcmp(key, "max_in_flight"))
		a->max_in_flight = (int)n;
	else
		a->max_waiting = (int)n;
	return ret;
}

static int set_key(struct parser *p, const char *key, const char *value)
{
	const char *const *keys;
	char id[112];

	if (!p->section)
		return fail(p, "\"%s\" before any [section]", key);
	for (keys = keys_of(p->section); *keys; keys++)
		if (!strcmp(*keys, key))
			break;
	if (!*keys)
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

	if (!strcmp(p->section, "global"))
		return set_global(p, key, value);
	if (!strcmp(p->section, "handoff"))
		return set_handoff(p, key, value);
	if (!strcmp(p->section, "server"))
		return set_role(p, &p->config->server, key, value);
	if (!strcmp(p->section, "upcall"))
		return set_upcall(p, key, value);
	if (!strcmp(p->section, "allow"))
		return set_allow(p, key, value);
	return set_role(p, &p->config->client, key, value);
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
