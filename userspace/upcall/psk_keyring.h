/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A PSK server's keys (NVMe/TCP targets): the kernel names a keyring
 * (.nvme) or a list of key serials, and the client names its identity in
 * its ClientHello. The key is the one of type "psk" (or "user") whose
 * description is that identity.
 */
#ifndef KTLSD_UPCALL_PSK_KEYRING_H
#define KTLSD_UPCALL_PSK_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "upcall.h"

struct upcall_psk_lookup;

/*
 * A lookup for @req's peer identities and keyring (without one: .nvme);
 * the serial of the key
 * a handshake used goes to *@used. Give upcall_psk_find() and the lookup
 * to libktls as psk_find and psk_find_arg.
 */
int upcall_psk_lookup_new(const struct upcall_req *req, int32_t *used,
			  struct upcall_psk_lookup **lookup);
void upcall_psk_lookup_free(struct upcall_psk_lookup *lookup);

/* libktls's psk_find: 0, -ENOKEY for an identity without a key, -errno. */
int upcall_psk_find(void *lookup, const char *identity, uint8_t *key,
		    size_t key_max, size_t *key_len, const char **cipher);

/*
 * The TLS 1.3 suite an NVMe PSK identity's hash field names: "NVMe0R02
 * ..." or "NVMe1G02 ..." (SHA-384) gives "TLS_AES_256_GCM_SHA384", "01"
 * (SHA-256) or anything else NULL (the default, SHA-256).
 */
const char *upcall_psk_cipher(const char *identity);

#endif /* KTLSD_UPCALL_PSK_KEYRING_H */
