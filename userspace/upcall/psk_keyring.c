// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A PSK server finds the client's key by the identity in its ClientHello:
 * first among the key serials the request lists (PEER_IDENTITY), then in
 * the keyring it names (KEYRING), else in the kernel's .nvme keyring.
 * Linux 6.12's nvmet-tcp names neither keys nor a keyring (its request has
 * one peer identity, 0), so .nvme is where its hosts' keys are, as tlshd
 * assumes too. Never in our process keyring: other requests' keyrings are
 * linked there while they run (a host's own keys would let its handshake
 * with the target succeed). A key matches when its type is "psk" (NVMe's key type) or "user"
 * and its description is the identity, byte for byte: the kernel's own
 * "psk" search also matches prefixes, so what it finds is checked again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <keyutils.h>

#include "upcall_internal.h"
#include "psk_keyring.h"

struct upcall_psk_lookup {
	unsigned int num_peerids;
	int32_t peerids[UPCALL_MAX_PEERIDS];
	int32_t keyring;
	int32_t *used;
};

int upcall_psk_lookup_new(const struct upcall_req *req, int32_t *used,
			  struct upcall_psk_lookup **out)
{
	struct upcall_psk_lookup *lookup;

	lookup = calloc(1, sizeof(*lookup));
	if (!lookup)
		return upcall_fail(-ENOMEM, "out of memory");
	lookup->num_peerids = req->num_peerids;
	memcpy(lookup->peerids, req->peerids, sizeof(lookup->peerids));
	lookup->keyring = req->keyring;
	lookup->used = used;
	*out = lookup;
	return 0;
}

void upcall_psk_lookup_free(struct upcall_psk_lookup *lookup)
{
	free(lookup);
}

/* @serial is a "psk" or "user" key described exactly @identity. */
static bool key_is(int32_t serial, const char *identity)
{
	char *desc, *name;
	bool match;

	/* "type;uid;gid;perm;description" */
	if (serial <= 0 || keyctl_describe_alloc(serial, &desc) < 0)
		return false;
	name = desc;
	for (int i = 0; i < 4 && name; i++) {
		name = strchr(name, ';');
		if (name)
			name++;
	}
	match = name && (!strncmp(desc, "psk;", 4) ||
			 !strncmp(desc, "user;", 5)) &&
		!strcmp(name, identity);
	free(desc);
	return match;
}

/* The keys directly in @keyring, one by one: the exact match, or 0. */
static int32_t scan_keyring(int32_t keyring, const char *identity)
{
	key_serial_t *serials;
	int32_t found = 0;
	long len;

	len = keyctl_read_alloc(keyring, (void **)&serials);
	if (len < 0)
		return 0;
	for (size_t i = 0; i < (size_t)len / sizeof(*serials); i++) {
		if (key_is(serials[i], identity)) {
			found = serials[i];
			break;
		}
	}
	free(serials);
	return found;
}

static int32_t search_keyring(int32_t keyring, const char *identity)
{
	static const char *const types[] = { "psk", "user" };
	long serial;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		serial = keyctl_search(keyring, types[i], identity, 0);
		if (serial > 0 && key_is((int32_t)serial, identity))
			return (int32_t)serial;
	}
	return scan_keyring(keyring, identity);
}

/*
 * Without a keyring in the request: .nvme, linked into our process keyring
 * for good (as tlshd links it into its session keyring) so that its keys
 * are possessed and readable.
 */
static int32_t search_nvme(const char *identity)
{
	long nvme = find_key_by_type_and_desc("keyring", ".nvme", 0);

	if (nvme <= 0)
		return 0;
	keyctl_link((key_serial_t)nvme, KEY_SPEC_PROCESS_KEYRING);
	return search_keyring((int32_t)nvme, identity);
}

int upcall_psk_find(void *arg, const char *identity, uint8_t *key,
		    size_t key_max, size_t *key_len, const char **cipher)
{
	struct upcall_psk_lookup *lookup = arg;
	int32_t serial = 0;
	uint8_t *data;
	size_t len;
	int err;

	for (unsigned int i = 0; i < lookup->num_peerids && !serial; i++)
		if (key_is(lookup->peerids[i], identity))
			serial = lookup->peerids[i];
	if (!serial && lookup->keyring > 0)
		serial = search_keyring(lookup->keyring, identity);
	else if (!serial)
		serial = search_nvme(identity);
	if (!serial)
		return -ENOKEY;
	err = upcall_key_read(serial, &data, &len);
	if (err)
		return err;
	if (len > key_max) {
		upcall_key_free(data, len);
		return -EKEYREJECTED;
	}
	memcpy(key, data, len);
	upcall_key_free(data, len);
	*key_len = len;
	*cipher = upcall_psk_cipher(identity);
	*lookup->used = serial;
	return 0;
}

const char *upcall_psk_cipher(const char *identity)
{
	/* "NVMe" version ('0' or '1'), 'R'etained or 'G'enerated, hash */
	if (!strncmp(identity, "NVMe", 4) && identity[4] && identity[5] &&
	    !strncmp(identity + 6, "02 ", 3))
		return "TLS_AES_256_GCM_SHA384";
	return NULL;
}
