// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key process (keyproc.h): load the configuration's private keys,
 * give up everything else, and sign what the worker asks, nothing more.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keyproc.h"
#include "keyproc_wire.h"
#include "log.h"

void keyproc_key_sources(const struct ktlsd_config *config,
			 struct keyproc_key_source *sources)
{
	const struct ktlsd_upcall_config *u = &config->upcall;
	const char *upcall_server = u->from_tlshd ? "authenticate.server" :
						    "upcall";
	const char *upcall_client = u->from_tlshd ? "authenticate.client" :
						    "upcall";

	memset(sources, 0, KEYPROC_NR_KEYS * sizeof(*sources));
	if (config->server.enabled && config->server.private_key[0])
		sources[KEYPROC_KEY_SERVER] = (struct keyproc_key_source){
			config->server.certificate, config->server.private_key,
			"server", config->server.private_key_line,
		};
	if (u->enable == KTLSD_UPCALL_NO)
		return;
	if (u->private_key[0] && u->certificate[0])
		sources[KEYPROC_KEY_UPCALL_SERVER] = (struct keyproc_key_source){
			u->certificate, u->private_key, upcall_server,
			u->private_key_line,
		};
	if (u->client_private_key[0] && u->client_certificate[0])
		sources[KEYPROC_KEY_UPCALL_CLIENT] = (struct keyproc_key_source){
			u->client_certificate, u->client_private_key,
			upcall_client, u->client_private_key_line,
		};
}

static void report(int status_fd, const char *err)
{
	size_t len = strlen(err);

	/* One message: "" says ready, anything else is why not. */
	if (send(status_fd, err, len ? len : 1, MSG_NOSIGNAL) < 0)
		_exit(1);
}

static int load_keys(const struct ktlsd_config *config,
		     struct ktls_private_key **keys, char *err,
		     size_t err_len)
{
	struct keyproc_key_source src[KEYPROC_NR_KEYS];
	int ret;

	keyproc_key_sources(config, src);
	for (int i = 1; i < KEYPROC_NR_KEYS; i++) {
		if (!src[i].key_file)
			continue;
		ret = ktls_private_key_load(src[i].key_file, src[i].cert_file,
					    &keys[i]);
		if (ret) {
			/* Used, so that a cut reason is no warning. */
			if (snprintf(err, err_len, "%s:%d: [%s]: %s",
				     config->path, src[i].line, src[i].section,
				     ktls_reason()) < 0)
				err[0] = '\0';
			return ret;
		}
	}
	return 0;
}

/* Anything but a well-formed request for a key we hold is an attack. */
static void __attribute__((noreturn)) fatal(const char *why)
{
	log_error("key process: %s from the worker: stopping (only signing requests are expected)",
		  why);
	_exit(1);
}

/* Returns false once the worker's end has closed. */
static bool serve_one(int fd, struct ktls_private_key **keys)
{
	/* One byte more than the largest request shows an oversized one. */
	uint8_t buf[sizeof(struct keyproc_request) + 1];
	struct keyproc_request req;
	struct keyproc_response res = { .magic = KEYPROC_MAGIC };
	size_t sig_len = sizeof(res.sig);
	char why[128];
	ssize_t n;

	do {
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return false;
	if (n == 0)
		return false;	/* end of file: that thread has gone */
	if ((size_t)n > sizeof(buf))
		fatal("an oversized request");
	if (keyproc_decode(buf, (size_t)n, &req, why, sizeof(why)))
		fatal(why);
	if (!keys[req.key_id])
		fatal("a request for a key this configuration does not have");
	res.status = ktls_private_key_sign(keys[req.key_id], req.alg, req.hash,
					   req.in, req.in_len, res.sig,
					   &sig_len);
	res.sig_len = res.status ? 0 : (uint32_t)sig_len;
	if (res.status)
		log_warning("key process: key %u: %s", req.key_id,
			    ktls_reason());
	explicit_bzero(&req, sizeof(req));
	send(fd, &res, KEYPROC_RESPONSE_HEADER + res.sig_len, MSG_NOSIGNAL);
	return true;
}

/* One thread per worker thread's channel: signing runs in parallel. */
struct channel {
	pthread_t thread;
	int fd;
	struct ktls_private_key **keys;
};

static atomic_int open_channels;

static void *serve_channel(void *arg)
{
	struct channel *ch = arg;

	/* Blocking: one recv and one send per signature, nothing else. */
	while (serve_one(ch->fd, ch->keys))
		;
	close(ch->fd);
	/* The worker is gone when its last thread's channel is. */
	if (atomic_fetch_sub(&open_channels, 1) == 1)
		_exit(0);
	return NULL;
}

static void __attribute__((noreturn))
serve(const int *fds, int nfds, struct ktls_private_key **keys)
{
	struct channel channels[nfds];

	atomic_init(&open_channels, nfds);
	for (int i = 0; i < nfds; i++) {
		channels[i] = (struct channel){ .fd = fds[i], .keys = keys };
		if (i && pthread_create(&channels[i].thread, NULL,
					serve_channel, &channels[i])) {
			log_error("key process: cannot start a thread");
			_exit(1);
		}
	}
	serve_channel(&channels[0]);
	for (;;)
		pause();	/* the last channel to close ends the process */
}

void keyproc_main(const struct ktlsd_config *config,
		  const struct ktlsd_identity *id, int status_fd,
		  const int *fds, int nfds)
{
	struct ktls_private_key *keys[KEYPROC_NR_KEYS] = { NULL };
	char err[1024] = "";

	prctl(PR_SET_NAME, "ktlsd-keys");
	/* Before the first key byte is read. */
	prctl(PR_SET_DUMPABLE, 0);
	if (load_keys(config, keys, err, sizeof(err))) {
		report(status_fd, err);
		_exit(2);
	}
	if (ktlsd_sandbox_enter(id, KTLSD_SANDBOX_KEYS, false, err,
				sizeof(err))) {
		report(status_fd, err);
		_exit(1);
	}
	report(status_fd, "");
	close(status_fd);
	serve(fds, nfds, keys);
}
