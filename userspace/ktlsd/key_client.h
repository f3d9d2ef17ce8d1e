/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The worker's side of the key process: a ktls_signer per key id whose
 * sign() sends the request (keyproc_wire.h) on one of the worker's
 * channels and waits for the signature, and a ktls_ticket_sealer per
 * ticket key id that seals and opens tickets the same way. Each thread
 * keeps to one channel.
 */
#ifndef KTLSD_KEY_CLIENT_H
#define KTLSD_KEY_CLIENT_H

#include <stdint.h>

#include "ktls/signer.h"
#include "ktls/tickets.h"

/* Take over @fds (@nfds request sockets to the key process). */
int ktlsd_key_client_init(const int *fds, int nfds);
/* The signer for key @id (enum keyproc_key_id); NULL before init. */
const struct ktls_signer *ktlsd_key_client_signer(uint32_t id);
/* The sealer for ticket key @id (enum keyproc_ticket_id); NULL before init. */
const struct ktls_ticket_sealer *ktlsd_key_client_sealer(uint32_t id);
/* Tests: send the key process a malformed ticket request. */
void ktlsd_key_client_probe_malformed(void);

#endif /* KTLSD_KEY_CLIENT_H */
