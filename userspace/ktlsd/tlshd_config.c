// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlshd's configuration file (tlshd.conf(5), ktls-utils), read as a
 * drop-in: a deployment moves from tlshd to ktlsd by changing the service
 * unit, not the file. Key-file syntax: [group] lines, key=value lines,
 * '#' comments. What we take (tlshd_keys[] below):
 *
 *   [debug]                loglevel (0: info, more: debug)
 *   [authenticate]         keyrings (';'-separated names, linked to ours)
 *   [authenticate.client]  x509.truststore, x509.crl, x509.certificate,
 *                          x509.private_key
 *   [authenticate.server]  the same, the trust store and CRL for client
 *                          certificates
 *
 * Everything else is noted in tlshd_ignored and logged at start, never
 * silently dropped. Values are checked as ktlsd.conf's are: numbers,
 * readable files, errors as "PATH:LINE: reason".
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

struct tlshd_parser {
	struct ktlsd_config *config;
	const char *path;
	int line;
	char section[64];
	char *err;
	size_t err_len;
};

#define tlshd_fail(p, ...) \
	ktlsd_config_error((p)->err, (p)->err_len, (p)->path, (p)->line, \
			   __VA_ARGS__)

static void note_ignored(struct tlshd_parser *p, const char *what)
{
	char *list = p->config->upcall.tlshd_ignored;
	size_t used = strlen(list);

	snprintf(list + used, sizeof(p->config->upcall.tlshd_ignored) - used,
		 "%sline %d: %s", used ? ", " : "", p->line, what);
}

/*
 * One key tlshd has that we take: its field is @offset bytes into struct
 * ktlsd_config and, with TLSHD_LINE, the int @line bytes into it records
 * the key's line, for the errors of later checks.
 */
struct tlshd_key {
	const char *section;
	const char *name;
	int (*take)(struct tlshd_parser *p, const struct tlshd_key *k,
		    const char *value, void *field);
	size_t offset;
	size_t size;		/* of a string's buffer */
	size_t line;
	unsigned int flags;
};

#define TLSHD_LINE 1u

#define CFG(member) offsetof(struct ktlsd_config, member)
/* A member's size from the type alone: sizeof evaluates nothing. */
#define CFG_SIZE(member) sizeof(((const struct ktlsd_config *)NULL)[0].member)

static int take_loglevel(struct tlshd_parser *p, const struct tlshd_key *k,
			 const char *value, void *field);
static int take_string(struct tlshd_parser *p, const struct tlshd_key *k,
		       const char *value, void *field);
static int take_file(struct tlshd_parser *p, const struct tlshd_key *k,
		     const char *value, void *field);
static int take_client_trust_store(struct tlshd_parser *p,
				   const struct tlshd_key *k,
				   const char *value, void *field);

#define X509(sec, key, member) \
	{ .section = sec, .name = key, .take = take_file, \
	  .offset = CFG(upcall.member), .size = CFG_SIZE(upcall.member), \
	  .line = CFG(upcall.member##_line), .flags = TLSHD_LINE }

/*
 * What we take of tlshd's keys. tlshd reads the keys it knows and passes
 * over the rest; so do we, but a key no row names is only noted as
 * ignored (note_ignored()), never taken for another.
 */
static const struct tlshd_key tlshd_keys[] = {
	{ .section = "debug", .name = "loglevel", .take = take_loglevel,
	  .offset = CFG(log_level) },
	{ .section = "authenticate", .name = "keyrings", .take = take_string,
	  .offset = CFG(upcall.keyrings), .size = CFG_SIZE(upcall.keyrings) },
	/* as a client: the servers' CAs and CRLs, our identity */
	X509("authenticate.client", "x509.truststore", trust_store),
	X509("authenticate.client", "x509.crl", crl),
	X509("authenticate.client", "x509.certificate", client_certificate),
	X509("authenticate.client", "x509.private_key", client_private_key),
	/* as a server: the clients' CAs and CRLs, our identity */
	{ .section = "authenticate.server", .name = "x509.truststore",
	  .take = take_client_trust_store,
	  .offset = CFG(upcall.client_trust_store),
	  .size = CFG_SIZE(upcall.client_trust_store),
	  .line = CFG(upcall.client_trust_store_line), .flags = TLSHD_LINE },
	X509("authenticate.server", "x509.crl", client_crl),
	X509("authenticate.server", "x509.certificate", certificate),
	X509("authenticate.server", "x509.private_key", private_key),
};

#define NR_TLSHD_KEYS (sizeof(tlshd_keys) / sizeof(tlshd_keys[0]))

static int take_loglevel(struct tlshd_parser *p, const struct tlshd_key *k,
			 const char *value, void *field)
{
	char *end;
	long n;
	int err;

	errno = 0;
	n = strtol(value, &end, 10);
	err = errno;
	if (err || end == value || *end || n < 0)
		return tlshd_fail(p, "%s = \"%s\": expected a number, 0 or more",
				  k->name, value);
	/* tlshd's levels are verbosity; ours stop at debug */
	*(int *)field = n ? KTLSD_LOG_DEBUG : KTLSD_LOG_INFO;
	return 0;
}

static int take_string(struct tlshd_parser *p, const struct tlshd_key *k,
		       const char *value, void *field)
{
	if (strlen(value) >= k->size)
		return tlshd_fail(p, "%s: value too long", k->name);
	snprintf(field, k->size, "%s", value);
	return 0;
}

static int take_file(struct tlshd_parser *p, const struct tlshd_key *k,
		     const char *value, void *field)
{
	int fd, err;

	if (strlen(value) >= k->size)
		return tlshd_fail(p, "%s: path too long", k->name);
	fd = open(value, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;	/* before anything else can change it */
		return tlshd_fail(p, "[%s] %s = \"%s\": cannot read it: %s",
				  p->section, k->name, value, strerror(err));
	}
	close(fd);
	snprintf(field, k->size, "%s", value);
	return 0;
}

/*
 * As tlshd does with a server's trust store: ask every client for a
 * certificate, verify one that comes against this store, let in one
 * without.
 */
static int take_client_trust_store(struct tlshd_parser *p,
				   const struct tlshd_key *k,
				   const char *value, void *field)
{
	struct ktlsd_upcall_config *u = &p->config->upcall;

	u->verify_client = true;
	u->client_cert_optional = true;
	return take_file(p, k, value, field);
}

static int set_tlshd_key(struct tlshd_parser *p, const char *key,
			 const char *value)
{
	const struct tlshd_key *k = NULL;
	char *base = (char *)p->config;
	int ret;

	for (size_t i = 0; i < NR_TLSHD_KEYS && !k; i++)
		if (!strcmp(tlshd_keys[i].section, p->section) &&
		    !strcmp(tlshd_keys[i].name, key))
			k = &tlshd_keys[i];
	if (!k) {
		note_ignored(p, key);
		return 0;
	}
	ret = k->take(p, k, value, base + k->offset);
	if (!ret && (k->flags & TLSHD_LINE))
		*(int *)(base + k->line) = p->line;
	return ret;
}

/* A section we take a key of; the others are noted as ignored whole. */
static bool known_section(const char *section)
{
	for (size_t i = 0; i < NR_TLSHD_KEYS; i++)
		if (!strcmp(tlshd_keys[i].section, section))
			return true;
	return false;
}

static int tlshd_line(struct tlshd_parser *p, char *raw)
{
	char *line = ktlsd_config_trim(raw), *eq, *close;

	if (!*line || *line == '#')
		return 0;
	if (*line == '[') {
		close = strchr(line, ']');
		if (!close || *ktlsd_config_trim(close + 1))
			return tlshd_fail(p, "expected [group] on this line");
		*close = '\0';
		snprintf(p->section, sizeof(p->section), "%s",
			 ktlsd_config_trim(line + 1));
		if (!known_section(p->section)) {
			char what[80];

			snprintf(what, sizeof(what), "[%.60s]", p->section);
			note_ignored(p, what);
		}
		return 0;
	}
	eq = strchr(line, '=');
	if (!eq)
		return tlshd_fail(p, "expected \"key=value\" or [group], got \"%.40s\"",
				  line);
	if (!p->section[0])
		return tlshd_fail(p, "\"%.40s\" before any [group]", line);
	*eq = '\0';
	line = ktlsd_config_trim(line);
	eq = ktlsd_config_trim(eq + 1);
	/* An empty value is tlshd's way of leaving a key unset. */
	if (!*eq)
		return 0;
	return set_tlshd_key(p, line, eq);
}

int ktlsd_config_load_tlshd(const char *path, struct ktlsd_config *config,
			    char *err, size_t err_len)
{
	struct tlshd_parser p = {
		.config = config,
		.path = path,
		.err = err,
		.err_len = err_len,
	};
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	ktlsd_config_defaults(path, config);
	config->upcall.enable = KTLSD_UPCALL_YES;
	config->upcall.from_tlshd = true;
	config->upcall.line = 1;
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;	/* before snprintf can change it */
		snprintf(err, err_len, "%s: cannot read tlshd's configuration: %s",
			 path, strerror(-ret));
		return ret;
	}
	while (getline(&line, &cap, f) >= 0) {
		p.line++;
		ret = tlshd_line(&p, line);
		if (ret)
			break;
	}
	if (!ret && ferror(f))
		ret = tlshd_fail(&p, "read error");
	free(line);
	fclose(f);
	if (ret)
		return ret;
	p.line = 0;
	if (!*config->upcall.certificate != !*config->upcall.private_key) {
		snprintf(err, err_len,
			 "%s: [authenticate.server] needs x509.certificate and x509.private_key together",
			 path);
		return -EINVAL;
	}
	if (!*config->upcall.client_certificate !=
	    !*config->upcall.client_private_key) {
		snprintf(err, err_len,
			 "%s: [authenticate.client] needs x509.certificate and x509.private_key together",
			 path);
		return -EINVAL;
	}
	return 0;
}

static bool tlshd_section(const char *name)
{
	return !strcmp(name, "debug") || !strcmp(name, "main") ||
	       !strncmp(name, "authenticate", 12);
}

static bool ktlsd_section(const char *name)
{
	return !strcmp(name, "global") || !strcmp(name, "handoff") ||
	       !strcmp(name, "server") || !strcmp(name, "client") ||
	       !strcmp(name, "upcall");
}

int ktlsd_config_is_tlshd(const char *path)
{
	bool theirs = false, ours = false;
	char *line = NULL, *name, *close;
	size_t cap = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		name = ktlsd_config_trim(line);
		if (*name != '[')
			continue;
		close = strchr(name, ']');
		if (!close)
			continue;
		*close = '\0';
		name = ktlsd_config_trim(name + 1);
		theirs |= tlshd_section(name);
		ours |= ktlsd_section(name);
	}
	free(line);
	fclose(f);
	return theirs && !ours;
}
