/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The worker's side of the key process: a ktls_signer per key id whose
 * sign() sends the request (keyproc_wire.h) on one of the worker's
 * channels and waits for the signature. Each thread keeps to one channel.
 */
#ifndef KTLSD_KEY_CLIENT_H
#define KTLSD_KEY_CLIENT_H

#include <stdint.h>

#include "ktls/signer.h"

/* Take over @fds (@nfds request sockets to the key process). */
int ktlsd_key_client_init(const int *fds, int nfds);
/* The signer for key @id (enum keyproc_key_id); NULL before init. */
const struct ktls_signer *ktlsd_key_client_signer(uint32_t id);

#endif /* KTLSD_KEY_CLIENT_H */
