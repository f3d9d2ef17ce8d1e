/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A profile: one loaded configuration with the TLS contexts built from it,
 * reference-counted. New handshakes take the current profile; a reload
 * installs a new one while handshakes in flight finish on the old, which
 * is freed with its last handshake.
 */
#ifndef KTLSD_PROFILE_H
#define KTLSD_PROFILE_H

#include <pthread.h>
#include <stdatomic.h>

#include "config.h"
#include "ktls/ktls.h"
#include "upcall.h"

/* Client contexts kept per server name; past this, one per handshake. */
#define KTLSD_CLIENT_CTX_CACHE 64

struct ktlsd_client_ctx {
	char *server_name;
	struct ktls_ctx *ctx;
};

struct ktlsd_profile {
	atomic_int refs;
	struct ktlsd_config config;
	struct ktls_ctx *server;	/* NULL without [server] */
	/* [upcall]'s files, for requests that name no key serials */
	struct upcall_serve_config upcall;
	/*
	 * their contexts, by role, server name, and whether we present a
	 * certificate (an anonymous and an x509 client differ) or ask one
	 * of the client; guarded by lock
	 */
	struct ktlsd_upcall_ctx {
		enum ktls_role role;
		char *server_name;	/* client; "" for a server */
		bool own_cert, verify_client, client_cert_optional, crl;
		struct ktls_ctx *ctx;
	} upcall_ctxs[KTLSD_CLIENT_CTX_CACHE];
	int nr_upcall_ctxs;
	pthread_mutex_t lock;		/* guards clients */
	struct ktlsd_client_ctx clients[KTLSD_CLIENT_CTX_CACHE];
	int nr_clients;
};

/*
 * Build the contexts @config asks for, so that every error shows now, as
 * "PATH:LINE: reason" in @err. The new profile holds one reference.
 */
int ktlsd_profile_new(const struct ktlsd_config *config,
		      struct ktlsd_profile **profile, char *err,
		      size_t err_len);
void ktlsd_profile_put(struct ktlsd_profile *profile);

/*
 * From now on (in the worker) contexts sign through the key process
 * (key_client.h) and read files from the cache (file_cache.h).
 */
void ktlsd_profile_use_key_process(void);

/* The current profile, with a reference the caller puts. */
struct ktlsd_profile *ktlsd_profile_current(void);
/* Make @profile current (taking over its reference); put the old one. */
void ktlsd_profile_install(struct ktlsd_profile *profile);

/*
 * The client context for @server_name. *@owned says the caller frees it
 * (the cache was full); otherwise it lives as long as the profile.
 */
int ktlsd_profile_client_ctx(struct ktlsd_profile *profile,
			     const char *server_name, struct ktls_ctx **ctx,
			     bool *owned);

#endif /* KTLSD_PROFILE_H */
