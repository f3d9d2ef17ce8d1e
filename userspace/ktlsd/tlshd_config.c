// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlshd's configuration file (tlshd.conf(5), ktls-utils), read as a
 * drop-in: a deployment moves from tlshd to ktlsd by changing the service
 * unit, not the file. Key-file syntax: [group] lines, key=value lines,
 * '#' comments. What we take:
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

static int take_file(struct tlshd_parser *p, const char *key,
		     const char *value, char *out, size_t out_len, int *line)
{
	int fd;

	if (strlen(value) >= out_len)
		return tlshd_fail(p, "%s: path too long", key);
	fd = open(value, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tlshd_fail(p, "[%s] %s = \"%s\": cannot read it: %s",
				  p->section, key, value, strerror(errno));
	close(fd);
	snprintf(out, out_len, "%s", value);
	if (line)
		*line = p->line;
	return 0;
}

static int set_x509(struct tlshd_parser *p, bool server, const char *key,
		    const char *value)
{
	struct ktlsd_upcall_config *u = &p->config->upcall;

	if (!strcmp(key, "x509.truststore") && server) {
		/*
		 * As tlshd does: ask every client for a certificate, verify
		 * one that comes against this store, let in one without.
		 */
		u->verify_client = true;
		u->client_cert_optional = true;
		return take_file(p, key, value, u->client_trust_store,
				 sizeof(u->client_trust_store), NULL);
	}
	if (!strcmp(key, "x509.truststore"))
		return take_file(p, key, value, u->trust_store,
				 sizeof(u->trust_store), &u->trust_store_line);
	/* Revocation: of the client certificates a server verifies, or of
	 * the servers a client verifies.
	 */
	if (!strcmp(key, "x509.crl"))
		return server ?
		       take_file(p, key, value, u->client_crl,
				 sizeof(u->client_crl), &u->client_crl_line) :
		       take_file(p, key, value, u->crl, sizeof(u->crl),
				 &u->crl_line);
	if (!strcmp(key, "x509.certificate"))
		return server ?
		       take_file(p, key, value, u->certificate,
				 sizeof(u->certificate), &u->certificate_line) :
		       take_file(p, key, value, u->client_certificate,
				 sizeof(u->client_certificate),
				 &u->client_certificate_line);
	if (!strcmp(key, "x509.private_key"))
		return server ?
		       take_file(p, key, value, u->private_key,
				 sizeof(u->private_key), &u->private_key_line) :
		       take_file(p, key, value, u->client_private_key,
				 sizeof(u->client_private_key),
				 &u->client_private_key_line);
	note_ignored(p, key);
	return 0;
}

static int set_tlshd_key(struct tlshd_parser *p, const char *key,
			 const char *value)
{
	struct ktlsd_config *c = p->config;
	char *end;
	long n;

	if (!strcmp(p->section, "debug") && !strcmp(key, "loglevel")) {
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno || end == value || *end || n < 0)
			return tlshd_fail(p, "loglevel = \"%s\": expected a number, 0 or more",
					  value);
		c->log_level = n ? KTLSD_LOG_DEBUG : KTLSD_LOG_INFO;
		return 0;
	}
	if (!strcmp(p->section, "authenticate") && !strcmp(key, "keyrings")) {
		if (strlen(value) >= sizeof(c->upcall.keyrings))
			return tlshd_fail(p, "keyrings: value too long");
		snprintf(c->upcall.keyrings, sizeof(c->upcall.keyrings), "%s",
			 value);
		return 0;
	}
	if (!strcmp(p->section, "authenticate.client"))
		return set_x509(p, false, key, value);
	if (!strcmp(p->section, "authenticate.server"))
		return set_x509(p, true, key, value);
	note_ignored(p, key);
	return 0;
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
		if (strcmp(p->section, "debug") &&
		    strcmp(p->section, "authenticate") &&
		    strcmp(p->section, "authenticate.client") &&
		    strcmp(p->section, "authenticate.server")) {
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
