// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Key material the kernel names by key serial: certificates, private keys
 * and PSKs in the kernel's keyrings, read with libkeyutils.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <keyutils.h>

#include "internal.h"

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
 * verified certificate becomes a "user" key described "ktlsd:x509:SUBJECT"
 * holding its subject, issuer, SAN and expiry as text, in the request's
 * keyring or else our process keyring. The same peer gets the same key
 * (add_key updates a key of the same description), so the keyring grows
 * with distinct peers, not with handshakes.
 */
int upcall_peer_key_add(const struct upcall_req *req,
			struct ktls_session *session, int32_t *serial)
{
	struct ktls_cert_info info;
	char desc[600], text[1400];
	key_serial_t key;
	int len;

	*serial = 0;
	if (ktls_session_peer_certs(session) <= 0 ||
	    ktls_session_peer_cert(session, 0, &info))
		return 0;	/* no certificate: nothing to report */
	snprintf(desc, sizeof(desc), "ktlsd:x509:%s",
		 info.subject[0] ? info.subject : info.san);
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
	*serial = key;
	return 0;
}
