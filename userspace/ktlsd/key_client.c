// SPDX-License-Identifier: GPL-2.0-or-later
/* Signing and ticket requests from the worker's threads to the key process. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "key_client.h"
#include "keyproc_wire.h"
#include "log.h"

struct channel {
	int fd;
	pthread_mutex_t lock;	/* one request at a time on it */
};

static struct channel *channels;
static int nr_channels;
static atomic_int next_channel;
static struct ktls_signer signers[KEYPROC_NR_KEYS];
static struct ktls_ticket_sealer sealers[KEYPROC_NR_TICKETS];

static struct channel *my_channel(void)
{
	static __thread int mine = -1;

	if (mine < 0)
		mine = atomic_fetch_add(&next_channel, 1) % nr_channels;
	return &channels[mine];
}

static ssize_t recv_retry(int fd, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = recv(fd, buf, len, 0);
	} while (n < 0 && errno == EINTR);
	return n;
}

/*
 * One request and its answer on this thread's channel: 0 with a response
 * whose length is its own, or -errno (logged: the key process is gone).
 */
static int ask(struct keyproc_request *req, struct keyproc_response *res)
{
	size_t len = KEYPROC_REQUEST_HEADER + req->in_len;
	struct channel *ch = my_channel();
	ssize_t n;
	int ret;

	req->magic = KEYPROC_MAGIC;
	pthread_mutex_lock(&ch->lock);
	n = send(ch->fd, req, len, MSG_NOSIGNAL);
	if (n == (ssize_t)len)
		n = recv_retry(ch->fd, res, sizeof(*res));
	else
		n = -1;
	pthread_mutex_unlock(&ch->lock);
	if (n < (ssize_t)KEYPROC_RESPONSE_HEADER || res->magic != KEYPROC_MAGIC ||
	    res->out_len > sizeof(res->out) ||
	    (size_t)n != KEYPROC_RESPONSE_HEADER + res->out_len) {
		ret = n < 0 ? -errno : -EPROTO;
		log_error("key process: no answer to a request (%s): is it still running?",
			  n < 0 ? strerror(errno) : "malformed");
		return ret;
	}
	return 0;
}

static int sign(void *arg, uint32_t key_id, enum ktls_sign_alg alg,
		enum ktls_sign_hash hash, const uint8_t *in, size_t in_len,
		uint8_t *sig, size_t *sig_len)
{
	struct keyproc_request req = {
		.key_id = key_id, .op = alg, .hash = hash,
		.in_len = (uint32_t)in_len,
	};
	struct keyproc_response res;
	int ret;

	(void)arg;
	if (in_len > KTLS_SIGN_MAX_IN)
		return -EINVAL;
	memcpy(req.in, in, in_len);
	ret = ask(&req, &res);
	if (ret)
		return ret;
	if (res.status)
		return res.status;	/* the key process logged why */
	if (res.out_len > *sig_len)
		return -ENOSPC;
	memcpy(sig, res.out, res.out_len);
	*sig_len = res.out_len;
	return 0;
}

static int seal(void *arg, uint32_t key_id, uint8_t *name, uint8_t *iv,
		uint8_t *mac, uint8_t *ticket, size_t len)
{
	struct keyproc_request req = {
		.key_id = key_id, .op = KEYPROC_OP_TICKET_SEAL,
		.in_len = (uint32_t)len,
	};
	struct keyproc_response res;
	int ret = KTLS_TICKET_FATAL;

	(void)arg;
	if (!len || len > KTLS_TICKET_MAX_LEN)
		return KTLS_TICKET_FATAL;
	memcpy(req.in, ticket, len);
	if (ask(&req, &res))
		goto wipe;
	if (res.status != KTLS_TICKET_OK ||
	    res.out_len != KEYPROC_TICKET_HEADER + len)
		goto wipe;
	memcpy(name, res.out, KTLS_TICKET_NAME_LEN);
	memcpy(iv, res.out + KTLS_TICKET_NAME_LEN, KTLS_TICKET_IV_LEN);
	memcpy(mac, res.out + KTLS_TICKET_NAME_LEN + KTLS_TICKET_IV_LEN,
	       KTLS_TICKET_MAC_LEN);
	memcpy(ticket, res.out + KEYPROC_TICKET_HEADER, len);
	ret = KTLS_TICKET_OK;
wipe:
	/* The clear ticket holds its session's master secret. */
	explicit_bzero(req.in, len);
	return ret;
}

static int open_ticket(void *arg, uint32_t key_id, const uint8_t *name,
		       const uint8_t *iv, const uint8_t *mac, uint8_t *ticket,
		       size_t len)
{
	struct keyproc_request req = {
		.key_id = key_id, .op = KEYPROC_OP_TICKET_OPEN,
		.in_len = (uint32_t)(KEYPROC_TICKET_HEADER + len),
	};
	struct keyproc_response res;
	int ret;

	(void)arg;
	if (!len || len > KTLS_TICKET_MAX_LEN)
		return KTLS_TICKET_REJECT;
	memcpy(req.in, name, KTLS_TICKET_NAME_LEN);
	memcpy(req.in + KTLS_TICKET_NAME_LEN, iv, KTLS_TICKET_IV_LEN);
	memcpy(req.in + KTLS_TICKET_NAME_LEN + KTLS_TICKET_IV_LEN, mac,
	       KTLS_TICKET_MAC_LEN);
	memcpy(req.in + KEYPROC_TICKET_HEADER, ticket, len);
	if (ask(&req, &res))
		return KTLS_TICKET_FATAL;
	ret = res.status;
	if (ret != KTLS_TICKET_OK && ret != KTLS_TICKET_RENEW)
		return ret == KTLS_TICKET_REJECT ? ret : KTLS_TICKET_FATAL;
	if (res.out_len != len)
		ret = KTLS_TICKET_FATAL;
	else
		memcpy(ticket, res.out, len);
	explicit_bzero(res.out, res.out_len);
	return ret;
}

int ktlsd_key_client_init(const int *fds, int nfds)
{
	channels = calloc((size_t)nfds, sizeof(*channels));
	if (!channels)
		return -ENOMEM;
	for (int i = 0; i < nfds; i++) {
		channels[i].fd = fds[i];
		pthread_mutex_init(&channels[i].lock, NULL);
	}
	nr_channels = nfds;
	for (uint32_t id = 1; id < KEYPROC_NR_KEYS; id++)
		signers[id] = (struct ktls_signer){ .sign = sign, .key_id = id };
	for (uint32_t id = 1; id < KEYPROC_NR_TICKETS; id++)
		sealers[id] = (struct ktls_ticket_sealer){
			.seal = seal, .open = open_ticket, .key_id = id,
			.lifetime_s = KEYPROC_TICKET_LIFETIME_S,
		};
	return 0;
}

const struct ktls_signer *ktlsd_key_client_signer(uint32_t id)
{
	if (!nr_channels || !id || id >= KEYPROC_NR_KEYS)
		return NULL;
	return &signers[id];
}

const struct ktls_ticket_sealer *ktlsd_key_client_sealer(uint32_t id)
{
	if (!nr_channels || !id || id >= KEYPROC_NR_TICKETS)
		return NULL;
	return &sealers[id];
}

/*
 * KTLSD_SANDBOX_PROBE=ticket (tests): a ticket request one byte shorter
 * than it says, which the key process must take for an attack and end.
 */
void ktlsd_key_client_probe_malformed(void)
{
	struct keyproc_request req = {
		.magic = KEYPROC_MAGIC, .key_id = KEYPROC_TICKET_SERVER,
		.op = KEYPROC_OP_TICKET_OPEN,
		.in_len = KEYPROC_TICKET_HEADER + 16,
	};
	struct channel *ch = my_channel();

	log_info("sandbox probe: sending the key process a ticket request shorter than its length");
	send(ch->fd, &req, KEYPROC_REQUEST_HEADER + req.in_len - 1,
	     MSG_NOSIGNAL);
}
