/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The handoff socket, bound at start. */
#ifndef KTLSD_LISTENER_H
#define KTLSD_LISTENER_H

#include <stddef.h>

#include "config.h"

/*
 * Bind the SOCK_SEQPACKET socket at the configured path, mode and group.
 * A socket file nobody listens on is stale and replaced; a live one means
 * another ktlsd runs (-EADDRINUSE). @err says why on failure.
 */
int ktlsd_listen(const struct ktlsd_config *config, int *fd, char *err,
		 size_t err_len);

#endif /* KTLSD_LISTENER_H */
