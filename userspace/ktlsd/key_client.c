// SPDX-License-Identifier: GPL-2.0-or-later
/* Signing requests from the worker's threads to the key process. */
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

static int sign(void *arg, uint32_t key_id, enum ktls_sign_alg alg,
		enum ktls_sign_hash hash, const uint8_t *in, size_t in_len,
		uint8_t *sig, size_t *sig_len)
{
	struct keyproc_request req = {
		.magic = KEYPROC_MAGIC, .key_id = key_id, .alg = alg,
		.hash = hash, .in_len = (uint32_t)in_len,
	};
	struct keyproc_response res;
	struct channel *ch = my_channel();
	ssize_t n;
	int ret;

	(void)arg;
	if (in_len > sizeof(req.in))
		return -EINVAL;
	memcpy(req.in, in, in_len);
	pthread_mutex_lock(&ch->lock);
	n = send(ch->fd, &req, KEYPROC_REQUEST_HEADER + in_len, MSG_NOSIGNAL);
	if (n == (ssize_t)(KEYPROC_REQUEST_HEADER + in_len))
		n = recv_retry(ch->fd, &res, sizeof(res));
	else
		n = -1;
	pthread_mutex_unlock(&ch->lock);
	if (n < (ssize_t)KEYPROC_RESPONSE_HEADER || res.magic != KEYPROC_MAGIC ||
	    res.sig_len > sizeof(res.sig) ||
	    (size_t)n != KEYPROC_RESPONSE_HEADER + res.sig_len) {
		ret = n < 0 ? -errno : -EPROTO;
		log_error("key process: no answer to a signing request (%s): is it still running?",
			  n < 0 ? strerror(errno) : "malformed");
		return ret;
	}
	if (res.status)
		return res.status;	/* the key process logged why */
	if (res.sig_len > *sig_len)
		return -ENOSPC;
	memcpy(sig, res.sig, res.sig_len);
	*sig_len = res.sig_len;
	return 0;
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
	return 0;
}

const struct ktls_signer *ktlsd_key_client_signer(uint32_t id)
{
	if (!nr_channels || !id || id >= KEYPROC_NR_KEYS)
		return NULL;
	return &signers[id];
}
