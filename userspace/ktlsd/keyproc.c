// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key process (keyproc.h): load the configuration's private keys,
 * draw its session ticket keys, give up everything else, and sign, seal
 * and open what the worker asks, nothing more.
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
		ret = __ktls_private_key_load(src[i].key_file, src[i].cert_file,
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

/* What the key process holds, by key id. */
struct keyring {
	struct ktls_private_key *keys[KEYPROC_NR_KEYS];
	struct ktls_ticket_keys *tickets[KEYPROC_NR_TICKETS];
};

/*
 * One ticket key per server context that issues tickets, drawn here, in
 * locked pages out of core dumps (ticket_keys.c), never written out: each
 * generation draws new ones, so no ticket outlives a reload.
 */
static int draw_ticket_keys(const struct ktlsd_config *config,
			    struct keyring *ring, char *err, size_t err_len)
{
	int ret;

	if (!config->server.enabled || !config->server.session_tickets)
		return 0;
	ret = __ktls_ticket_keys_new(KEYPROC_TICKET_LIFETIME_S,
				     &ring->tickets[KEYPROC_TICKET_SERVER]);
	if (ret)
		snprintf(err, err_len, "[server]: session ticket key: %s",
			 ktls_reason());
	return ret;
}

/* Anything but a well-formed request for a key we hold is an attack. */
static void __attribute__((noreturn)) fatal(const char *why)
{
	log_error("key process: %s from the worker: stopping (only signing and ticket requests are expected)",
		  why);
	_exit(1);
}

static void sign(struct keyring *ring, const struct keyproc_request *req,
		 struct keyproc_response *res)
{
	size_t sig_len = KTLS_SIGN_MAX_SIG;

	if (!ring->keys[req->key_id])
		fatal("a request for a key this configuration does not have");
	res->status = __ktls_private_key_sign(ring->keys[req->key_id], req->op,
					      req->hash, req->in, req->in_len,
					    res->out, &sig_len);
	res->out_len = res->status ? 0 : (uint32_t)sig_len;
	if (res->status)
		log_warning("key process: key %u: %s", req->key_id,
			    ktls_reason());
}

/* In place, in the response: name, iv and mac, then the ciphertext. */
static void ticket(struct keyring *ring, const struct keyproc_request *req,
		   struct keyproc_response *res)
{
	struct ktls_ticket_keys *keys = ring->tickets[req->key_id];
	uint8_t *name = res->out, *iv = name + KTLS_TICKET_NAME_LEN;
	uint8_t *mac = iv + KTLS_TICKET_IV_LEN;
	uint8_t *body = res->out + KEYPROC_TICKET_HEADER;
	size_t len;

	if (!keys)
		fatal("a ticket request for a context that issues none");
	if (req->op == KEYPROC_OP_TICKET_SEAL) {
		memcpy(body, req->in, req->in_len);
		res->status = __ktls_ticket_keys_seal(keys, name, iv, mac, body,
						      req->in_len);
		res->out_len = res->status ? 0 :
			       KEYPROC_TICKET_HEADER + req->in_len;
		return;
	}
	len = req->in_len - KEYPROC_TICKET_HEADER;
	memcpy(res->out, req->in + KEYPROC_TICKET_HEADER, len);
	res->status = __ktls_ticket_keys_open(keys, req->in,
					      req->in + KTLS_TICKET_NAME_LEN,
					    req->in + KTLS_TICKET_NAME_LEN +
						    KTLS_TICKET_IV_LEN,
					    res->out, len);
	res->out_len = res->status == KTLS_TICKET_OK ||
				       res->status == KTLS_TICKET_RENEW ?
			       (uint32_t)len : 0;
}

/* Returns false once the worker's end has closed. */
static bool serve_one(int fd, struct keyring *ring)
{
	/* One byte more than the largest request shows an oversized one. */
	uint8_t buf[sizeof(struct keyproc_request) + 1];
	struct keyproc_request req;
	struct keyproc_response res = { .magic = KEYPROC_MAGIC };
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
	explicit_bzero(buf, (size_t)n);
	if (req.op == KEYPROC_OP_TICKET_SEAL || req.op == KEYPROC_OP_TICKET_OPEN)
		ticket(ring, &req, &res);
	else
		sign(ring, &req, &res);
	explicit_bzero(&req, KEYPROC_REQUEST_HEADER + req.in_len);
	send(fd, &res, KEYPROC_RESPONSE_HEADER + res.out_len, MSG_NOSIGNAL);
	/* An opened ticket holds its session's master secret. */
	explicit_bzero(res.out, res.out_len);
	return true;
}

/* One thread per worker thread's channel: signing runs in parallel. */
struct channel {
	pthread_t thread;
	int fd;
	struct keyring *ring;
};

static atomic_int open_channels;

static void *serve_channel(void *arg)
{
	struct channel *ch = arg;

	/* Blocking: one recv and one send per signature, nothing else. */
	while (serve_one(ch->fd, ch->ring))
		;
	close(ch->fd);
	/* The worker is gone when its last thread's channel is. */
	if (atomic_fetch_sub(&open_channels, 1) == 1)
		_exit(0);
	return NULL;
}

static void __attribute__((noreturn))
serve(const int *fds, int nfds, struct keyring *ring)
{
	struct channel channels[nfds];

	atomic_init(&open_channels, nfds);
	for (int i = 0; i < nfds; i++) {
		channels[i] = (struct channel){ .fd = fds[i], .ring = ring };
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
	static struct keyring ring;
	char err[1024] = "";

	prctl(PR_SET_NAME, "ktlsd-keys");
	/* Before the first key byte is read. */
	prctl(PR_SET_DUMPABLE, 0);
	if (load_keys(config, ring.keys, err, sizeof(err))) {
		report(status_fd, err);
		_exit(2);
	}
	if (draw_ticket_keys(config, &ring, err, sizeof(err))) {
		report(status_fd, err);
		_exit(1);
	}
	if (ktlsd_sandbox_enter(id, KTLSD_SANDBOX_KEYS, false, err,
				sizeof(err))) {
		report(status_fd, err);
		_exit(1);
	}
	report(status_fd, "");
	close(status_fd);
	serve(fds, nfds, &ring);
}
