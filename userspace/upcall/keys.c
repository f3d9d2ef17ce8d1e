// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Key material the kernel names by key serial: certificates, private keys
 * and PSKs in the kernel's keyrings, read with libkeyutils.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <keyutils.h>

#include "upcall_internal.h"

static struct upcall_ring *ring_find(struct upcall *up, int32_t serial)
{
	for (unsigned int i = 0; i < up->nr_rings; i++)
		if (up->rings[i].serial == serial)
			return &up->rings[i];
	return NULL;
}

static struct upcall_ring *ring_add(struct upcall *up, int32_t serial)
{
	struct upcall_ring *ring = ring_find(up, serial), *rings;

	if (ring)
		return ring;
	rings = realloc(up->rings, (up->nr_rings + 1) * sizeof(*rings));
	if (!rings)
		return NULL;	/* untracked: it stays linked */
	up->rings = rings;
	ring = &rings[up->nr_rings++];
	*ring = (struct upcall_ring){ .serial = serial };
	return ring;
}

int32_t *upcall_process_links(unsigned int *n)
{
	void *links;
	long len;

	*n = 0;
	len = keyctl_read_alloc(KEY_SPEC_PROCESS_KEYRING, &links);
	if (len < 0)
		return NULL;	/* none yet: the first ACCEPT makes it */
	*n = (unsigned int)((size_t)len / sizeof(int32_t));
	return links;
}

static bool is_keyring(int32_t serial)
{
	char *desc;
	bool ring;

	/* "keyring;uid;gid;perm;description"; only whole ones are copied. */
	if (keyctl_describe_alloc(serial, &desc) < 0)
		return false;
	ring = !strncmp(desc, "keyring;", 8);
	free(desc);
	return ring;
}

void upcall_rings_hold(struct upcall *up, struct upcall_req *req,
		       const int32_t *before, unsigned int n_before)
{
	struct upcall_ring *ring;
	unsigned int n_after, i, j;
	int32_t *after;

	/*
	 * The kernel (Linux and ktlsd_handshake.ko) has linked the request's
	 * keyring, so its keys are possessed and readable; linking again is
	 * harmless where it names it. A failure shows as the key read's own
	 * error.
	 */
	if (req->keyring > 0)
		keyctl_link(req->keyring, KEY_SPEC_PROCESS_KEYRING);
	req->ring_seq = ++up->accept_seq;
	after = upcall_process_links(&n_after);
	for (i = 0; i < n_after; i++) {
		for (j = 0; j < n_before && before[j] != after[i]; j++)
			;
		if (j < n_before || ring_find(up, after[i]) ||
		    !is_keyring(after[i]))
			continue;
		ring = ring_add(up, after[i]);
		if (ring)
			ring->added_seq = req->ring_seq;
	}
	free(after);
	for (i = 0; i < up->nr_rings; i++)
		if (!up->rings[i].pinned)
			up->rings[i].users++;
}

void upcall_rings_release(struct upcall *up, struct upcall_req *req)
{
	unsigned int i = 0;

	if (!req->ring_seq)
		return;
	while (i < up->nr_rings) {
		struct upcall_ring *ring = &up->rings[i];

		/* Linked after this request's ACCEPT: not held by it. */
		if (ring->pinned || ring->added_seq > req->ring_seq ||
		    --ring->users) {
			i++;
			continue;
		}
		/* A daemon that lives on must not collect consumers' keyrings. */
		keyctl_unlink(ring->serial, KEY_SPEC_PROCESS_KEYRING);
		*ring = up->rings[--up->nr_rings];
	}
	req->ring_seq = 0;
}

void upcall_rings_free(struct upcall *up)
{
	free(up->rings);
	up->rings = NULL;
	up->nr_rings = 0;
}

int upcall_keyring_link(struct upcall *up, int32_t serial)
{
	struct upcall_ring *ring;
	int err = 0;

	pthread_mutex_lock(&up->cmd_lock);
	if (keyctl_link(serial, KEY_SPEC_PROCESS_KEYRING)) {
		err = upcall_fail(-errno, "linking keyring %d into ktlsd's process keyring: %s",
				  serial, strerror(errno));
		goto unlock;
	}
	ring = ring_add(up, serial);
	if (!ring)
		err = upcall_fail(-ENOMEM, "out of memory");
	else
		ring->pinned = true;
unlock:
	pthread_mutex_unlock(&up->cmd_lock);
	return err;
}

void upcall_key_free(uint8_t *data, size_t len)
{
	if (!data)
		return;
	explicit_bzero(data, len);
	free(data);
}

int upcall_key_read(int32_t serial, uint8_t **data, size_t *len)
{
	void *buf;
	long n;

	if (serial <= 0)
		return upcall_fail(-EINVAL, "no key serial given (%d)", serial);
	n = keyctl_read_alloc(serial, &buf);
	if (n < 0)
		return upcall_fail(-errno, "reading key %d: %s%s", serial,
				   strerror(errno), errno == EACCES ?
				   " (the key must be readable by this process: "
				   "possessed, or linked into a keyring it "
				   "searches)" :
				   "");
	*data = buf;
	*len = (size_t)n;
	return 0;
}

int upcall_psk_read(int32_t serial, char **identity, uint8_t **key,
		    size_t *len)
{
	char *desc, *name;
	int err;

	/* "type;uid;gid;perm;description": the identity is the last field. */
	if (keyctl_describe_alloc(serial, &desc) < 0)
		return upcall_fail(-errno, "describing PSK key %d: %s", serial,
				   strerror(errno));
	name = strrchr(desc, ';');
	if (!name || !name[1]) {
		free(desc);
		return upcall_fail(-EINVAL, "PSK key %d has no description to use as its identity",
				   serial);
	}
	*identity = strdup(name + 1);
	free(desc);
	if (!*identity)
		return upcall_fail(-ENOMEM, "out of memory");
	err = upcall_key_read(serial, key, len);
	if (err) {
		free(*identity);
		*identity = NULL;
	}
	return err;
}

/*
 * REMOTE_AUTH: the kernel learns who the peer is as a key serial. A
 * verified certificate becomes a "user" key described
 * "ktlsd:x509:SUBJECT:ID" holding its subject, issuer, SAN and expiry as
 * text, in the request's keyring or else our process keyring. ID is
 * random per handshake: two peers with one subject (or one peer twice)
 * never share a key, and no later handshake rewrites the key a consumer
 * was given. Each key expires after UPCALL_PEER_KEY_TIMEOUT_S, so the
 * keyring does not grow with handshakes.
 */
int upcall_peer_key_store(const struct upcall_req *req,
			  const struct ktls_cert_info *cert, int32_t *serial)
{
	struct ktls_cert_info info = *cert;
	char desc[600], text[1400];
	key_serial_t key;
	uint64_t id;
	int len;

	*serial = 0;
	/* Whoever filled @cert, the key holds C strings only. */
	info.subject[sizeof(info.subject) - 1] = '\0';
	info.issuer[sizeof(info.issuer) - 1] = '\0';
	info.san[sizeof(info.san) - 1] = '\0';
	info.not_before[sizeof(info.not_before) - 1] = '\0';
	info.not_after[sizeof(info.not_after) - 1] = '\0';
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return upcall_fail(-EIO, "getrandom for the peer key's name: %s",
				   strerror(errno));
	snprintf(desc, sizeof(desc), "ktlsd:x509:%s:%016" PRIx64,
		 info.subject[0] ? info.subject : info.san, id);
	len = snprintf(text, sizeof(text),
		       "subject=%s\nissuer=%s\nsan=%s\nnot_before=%s\nnot_after=%s\n",
		       info.subject, info.issuer, info.san, info.not_before,
		       info.not_after);
	key = add_key("user", desc, text, (size_t)len,
		      req->keyring > 0 ? req->keyring :
					 KEY_SPEC_PROCESS_KEYRING);
	if (key < 0)
		return upcall_fail(-EIO, "storing the peer's identity as a key "
				   "(%s) for REMOTE_AUTH: %s",
				   req->keyring > 0 ? "in the request's keyring" :
				   "in ktlsd's process keyring",
				   strerror(errno));
	if (keyctl_set_timeout(key, UPCALL_PEER_KEY_TIMEOUT_S)) {
		int err = -errno;

		keyctl_invalidate(key);
		return upcall_fail(-EIO, "setting the peer key's expiry: %s",
				   strerror(-err));
	}
	*serial = key;
	return 0;
}
