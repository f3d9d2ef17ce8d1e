// SPDX-License-Identifier: GPL-2.0-or-later
/* Configurations turned into TLS contexts, and which one is current. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_cache.h"
#include "key_client.h"
#include "keyproc_wire.h"
#include "profile.h"

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ktlsd_profile *current;
/* In the worker: keys are the key process's, files come from the cache. */
static bool privsep;

void ktlsd_profile_use_key_process(void)
{
	privsep = true;
}

/*
 * With privilege separation, sign with key @id instead of reading a key,
 * and seal a server's tickets with the key process's ticket key @ticket_id.
 */
static void use_key_process(struct ktls_config *k, uint32_t id,
			    uint32_t ticket_id)
{
	if (!privsep)
		return;
	k->read_file = ktlsd_file_cache_read;
	if (k->key_file) {
		k->key_file = NULL;
		k->signer = ktlsd_key_client_signer(id);
	}
	if (k->session_tickets)
		k->ticket_sealer = ktlsd_key_client_sealer(ticket_id);
}

static void role_to_ktls(const struct ktlsd_config *config,
			 const struct ktlsd_role_config *r, enum ktls_role role,
			 struct ktls_config *k)
{
	memset(k, 0, sizeof(*k));
	k->role = role;
	k->min_version = r->min_version;
	k->max_version = r->max_version;
	k->ciphers = *r->ciphers ? r->ciphers : NULL;
	k->groups = *r->groups ? r->groups : NULL;
	k->handshake_timeout_ms = config->handshake_timeout_ms;
	if (role == KTLS_ROLE_SERVER) {
		k->cert_file = r->certificate;
		k->key_file = r->private_key;
		k->session_tickets = r->session_tickets;
	} else {
		k->ca_file = *r->trust_store ? r->trust_store : NULL;
		k->crl_file = *r->crl ? r->crl : NULL;
		/* Client handoffs never resume: see ktlsd.conf(5). */
		k->resumption = false;
	}
	use_key_process(k, KEYPROC_KEY_SERVER, KEYPROC_TICKET_SERVER);
}

/*
 * The line to blame for a context libktls refused: the key of the member
 * it names (ktls_reason_field()), else the section header.
 */
static int blame_line(const struct ktlsd_role_config *r)
{
	int line = 0;

	switch (ktls_reason_field()) {
	case KTLS_FIELD_CERT_FILE:
		line = r->certificate_line;
		break;
	case KTLS_FIELD_KEY_FILE:
		line = r->private_key_line;
		break;
	case KTLS_FIELD_CA_FILE:
		line = r->trust_store_line;
		break;
	case KTLS_FIELD_CRL_FILE:
		line = r->crl_line;
		break;
	case KTLS_FIELD_VERSIONS:
		line = r->version_line;
		break;
	case KTLS_FIELD_CIPHERS:
		line = r->ciphers_line;
		break;
	case KTLS_FIELD_GROUPS:
		line = r->groups_line;
		break;
	default:	/* not a key of the section */
		break;
	}
	return line ? line : r->line;
}

static int new_ctx(const struct ktlsd_config *config,
		   const struct ktlsd_role_config *r, enum ktls_role role,
		   const char *server_name, struct ktls_ctx **ctx, char *err,
		   size_t err_len)
{
	struct ktls_config k;
	int ret;

	role_to_ktls(config, r, role, &k);
	k.server_name = server_name;
	ret = ktls_ctx_new(&k, ctx);
	if (ret && err)
		snprintf(err, err_len, "%s:%d: [%s]: %s", config->path,
			 blame_line(r),
			 role == KTLS_ROLE_SERVER ? "server" : "client",
			 ktls_reason());
	return ret;
}

static int cache_client(struct ktlsd_profile *profile, const char *name,
			struct ktls_ctx *ctx)
{
	struct ktlsd_client_ctx *slot = &profile->clients[profile->nr_clients];

	slot->server_name = strdup(name);
	if (!slot->server_name)
		return -ENOMEM;
	slot->ctx = ctx;
	profile->nr_clients++;
	return 0;
}

/*
 * upcall_serve_config.get_ctx: one context per kind of request (role,
 * server name, our certificate or none, client certificates asked or not),
 * made from [upcall]'s files on first use and kept with the profile.
 */
static int upcall_get_ctx(void *arg, const struct ktls_config *k,
			  struct ktls_ctx **ctx, bool *owned)
{
	struct ktlsd_profile *profile = arg;
	const char *name = k->server_name ? k->server_name : "";
	struct ktlsd_upcall_ctx *slot;
	int ret = 0;

	*owned = false;
	pthread_mutex_lock(&profile->lock);
	for (int i = 0; i < profile->nr_upcall_ctxs; i++) {
		slot = &profile->upcall_ctxs[i];
		if (slot->role == k->role && !strcmp(slot->server_name, name) &&
		    slot->own_cert == !!k->cert_file &&
		    slot->verify_client == k->verify_client &&
		    slot->client_cert_optional == k->client_cert_optional &&
		    slot->crl == !!k->crl_file) {
			*ctx = slot->ctx;
			goto unlock;
		}
	}
	ret = ktls_ctx_new(k, ctx);
	if (ret)
		goto unlock;
	slot = &profile->upcall_ctxs[profile->nr_upcall_ctxs];
	if (profile->nr_upcall_ctxs < KTLSD_CLIENT_CTX_CACHE)
		slot->server_name = strdup(name);
	if (profile->nr_upcall_ctxs == KTLSD_CLIENT_CTX_CACHE ||
	    !slot->server_name) {
		*owned = true;	/* full: this one is the handshake's */
		goto unlock;
	}
	slot->role = k->role;
	slot->own_cert = k->cert_file;
	slot->verify_client = k->verify_client;
	slot->client_cert_optional = k->client_cert_optional;
	slot->crl = k->crl_file;
	slot->ctx = *ctx;
	profile->nr_upcall_ctxs++;
unlock:
	pthread_mutex_unlock(&profile->lock);
	return ret;
}

static const char *or_null(const char *path)
{
	return *path ? path : NULL;
}

/* [upcall]: point at the profile's own strings; check the server identity. */
static int upcall_setup(struct ktlsd_profile *profile, char *err,
			size_t err_len)
{
	const struct ktlsd_upcall_config *u = &profile->config.upcall;
	struct upcall_serve_config *cfg = &profile->upcall;
	struct ktls_config k = { .role = KTLS_ROLE_SERVER };
	struct ktls_ctx *ctx;
	int ret;

	cfg->ca_file = or_null(u->trust_store);
	cfg->cert_file = or_null(u->certificate);
	cfg->key_file = or_null(u->private_key);
	cfg->client_cert_file = or_null(u->client_certificate);
	cfg->client_key_file = or_null(u->client_private_key);
	cfg->verify_client = u->verify_client;
	cfg->client_cert_optional = u->client_cert_optional;
	cfg->client_ca_file = or_null(u->client_trust_store);
	cfg->crl_file = or_null(u->crl);
	cfg->client_crl_file = or_null(u->client_crl);
	cfg->timeout_ms = u->handshake_timeout_ms ? u->handshake_timeout_ms :
			  profile->config.handshake_timeout_ms;
	cfg->get_ctx = upcall_get_ctx;
	cfg->get_ctx_arg = profile;
	if (privsep) {
		cfg->read_file = ktlsd_file_cache_read;
		cfg->signer = ktlsd_key_client_signer(KEYPROC_KEY_UPCALL_SERVER);
		cfg->client_signer =
			ktlsd_key_client_signer(KEYPROC_KEY_UPCALL_CLIENT);
	}
	if (!cfg->cert_file)
		return 0;
	/* Now, not at the first request: a bad key shows at start. */
	k.cert_file = cfg->cert_file;
	k.key_file = cfg->key_file;
	use_key_process(&k, KEYPROC_KEY_UPCALL_SERVER, 0);
	ret = ktls_ctx_new(&k, &ctx);
	if (ret) {
		snprintf(err, err_len, "%s:%d: [%s]: %s", profile->config.path,
			 ktls_reason_field() == KTLS_FIELD_KEY_FILE ?
			 u->private_key_line : u->certificate_line,
			 u->from_tlshd ? "authenticate.server" : "upcall",
			 ktls_reason());
		return ret;
	}
	ktls_ctx_free(ctx);
	return 0;
}

/* The [upcall] client key a refused client context was about. */
static int upcall_client_line(const struct ktlsd_upcall_config *u)
{
	switch (ktls_reason_field()) {
	case KTLS_FIELD_KEY_FILE:
		return u->client_private_key_line;
	case KTLS_FIELD_CA_FILE:
		return u->trust_store_line;
	default:
		return u->client_certificate_line;
	}
}

/* [upcall]'s client identity (mutual TLS), checked at start too. */
static int upcall_client_check(struct ktlsd_profile *profile, char *err,
			       size_t err_len)
{
	const struct ktlsd_upcall_config *u = &profile->config.upcall;
	struct ktls_config k = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "localhost",
		.cert_file = profile->upcall.client_cert_file,
		.key_file = profile->upcall.client_key_file,
		.ca_file = profile->upcall.ca_file,
	};
	struct ktls_ctx *ctx;
	int ret;

	if (!k.cert_file)
		return 0;
	use_key_process(&k, KEYPROC_KEY_UPCALL_CLIENT, 0);
	ret = ktls_ctx_new(&k, &ctx);
	if (ret) {
		snprintf(err, err_len, "%s:%d: [%s]: %s", profile->config.path,
			 upcall_client_line(u), u->from_tlshd ?
			 "authenticate.client" : "upcall", ktls_reason());
		return ret;
	}
	ktls_ctx_free(ctx);
	return 0;
}

/*
 * [upcall]'s CRLs, loaded at start against their trust stores: a CRL file
 * that is not one, or not from those CAs, shows now, blamed on its line.
 */
static int upcall_crl_check(struct ktlsd_profile *profile, char *err,
			    size_t err_len)
{
	const struct ktlsd_upcall_config *u = &profile->config.upcall;
	const struct upcall_serve_config *cfg = &profile->upcall;
	const struct {
		const char *crl, *ca_file;
		int line, ca_line;
	} crls[] = {
		{ cfg->crl_file, cfg->ca_file, u->crl_line,
		  u->trust_store_line },
		{ cfg->client_crl_file, cfg->client_ca_file, u->client_crl_line,
		  u->client_trust_store_line },
	};
	struct ktls_ctx *ctx;
	int ret;

	for (size_t i = 0; i < sizeof(crls) / sizeof(crls[0]); i++) {
		struct ktls_config k = {
			.role = KTLS_ROLE_CLIENT, .server_name = "localhost",
			.ca_file = crls[i].ca_file, .crl_file = crls[i].crl,
			.read_file = cfg->read_file,
		};

		if (!k.crl_file)
			continue;
		ret = ktls_ctx_new(&k, &ctx);
		if (ret) {
			/* The trust store the CRL is checked against, or it. */
			snprintf(err, err_len, "%s:%d: [%s]: %s",
				 profile->config.path,
				 ktls_reason_field() == KTLS_FIELD_CA_FILE &&
				 crls[i].ca_line ? crls[i].ca_line :
				 crls[i].line,
				 u->from_tlshd ? (i ? "authenticate.server" :
						      "authenticate.client") :
						 "upcall",
				 ktls_reason());
			return ret;
		}
		ktls_ctx_free(ctx);
	}
	return 0;
}

int ktlsd_profile_new(const struct ktlsd_config *config,
		      struct ktlsd_profile **out, char *err, size_t err_len)
{
	struct ktlsd_profile *profile;
	struct ktls_ctx *probe;
	int ret;

	profile = calloc(1, sizeof(*profile));
	if (!profile) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	atomic_init(&profile->refs, 1);
	pthread_mutex_init(&profile->lock, NULL);
	profile->config = *config;
	if (config->server.enabled) {
		ret = new_ctx(config, &config->server, KTLS_ROLE_SERVER, NULL,
			      &profile->server, err, err_len);
		if (ret)
			goto put_profile;
	}
	if (config->upcall.enable != KTLSD_UPCALL_NO) {
		ret = upcall_setup(profile, err, err_len);
		if (!ret)
			ret = upcall_client_check(profile, err, err_len);
		if (!ret)
			ret = upcall_crl_check(profile, err, err_len);
		if (ret)
			goto put_profile;
	}
	if (config->client.enabled) {
		/* Any name will do to check the trust store, suites, groups. */
		ret = new_ctx(config, &config->client, KTLS_ROLE_CLIENT,
			      "localhost", &probe, err, err_len);
		if (ret)
			goto put_profile;
		ret = cache_client(profile, "localhost", probe);
		if (ret) {
			ktls_ctx_free(probe);
			snprintf(err, err_len, "out of memory");
			goto put_profile;
		}
	}
	*out = profile;
	return 0;

put_profile:
	ktlsd_profile_put(profile);
	return ret;
}

void ktlsd_profile_put(struct ktlsd_profile *profile)
{
	if (!profile || atomic_fetch_sub(&profile->refs, 1) != 1)
		return;
	for (int i = 0; i < profile->nr_clients; i++) {
		ktls_ctx_free(profile->clients[i].ctx);
		free(profile->clients[i].server_name);
	}
	for (int i = 0; i < profile->nr_upcall_ctxs; i++) {
		ktls_ctx_free(profile->upcall_ctxs[i].ctx);
		free(profile->upcall_ctxs[i].server_name);
	}
	ktls_ctx_free(profile->server);
	pthread_mutex_destroy(&profile->lock);
	free(profile);
}

struct ktlsd_profile *ktlsd_profile_current(void)
{
	struct ktlsd_profile *profile;

	pthread_mutex_lock(&current_lock);
	profile = current;
	if (profile)
		atomic_fetch_add(&profile->refs, 1);
	pthread_mutex_unlock(&current_lock);
	return profile;
}

void ktlsd_profile_install(struct ktlsd_profile *profile)
{
	struct ktlsd_profile *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = profile;
	pthread_mutex_unlock(&current_lock);
	ktlsd_profile_put(old);
}

int ktlsd_profile_client_ctx(struct ktlsd_profile *profile,
			     const char *server_name, struct ktls_ctx **ctx,
			     bool *owned)
{
	const struct ktlsd_config *config = &profile->config;
	int ret = 0;

	*owned = false;
	pthread_mutex_lock(&profile->lock);
	for (int i = 0; i < profile->nr_clients; i++) {
		if (!strcmp(profile->clients[i].server_name, server_name)) {
			*ctx = profile->clients[i].ctx;
			goto unlock;
		}
	}
	/*
	 * libktls verifies the name a context was made with, so a new name
	 * needs a new context; building it under the lock keeps one per name.
	 */
	ret = new_ctx(config, &config->client, KTLS_ROLE_CLIENT, server_name,
		      ctx, NULL, 0);
	if (ret)
		goto unlock;
	if (profile->nr_clients == KTLSD_CLIENT_CTX_CACHE ||
	    cache_client(profile, server_name, *ctx))
		*owned = true;
unlock:
	pthread_mutex_unlock(&profile->lock);
	return ret;
}
