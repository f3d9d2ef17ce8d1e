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
