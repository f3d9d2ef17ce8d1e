// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key process's request decoder (userspace/ktlsd/keyproc_wire.c): the
 * only parser in the process that holds the private keys. Whatever it
 * accepts must be a request the signer can take as it is.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../userspace/ktlsd/keyproc_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyproc_request req;
	char why[128];

	if (keyproc_decode(data, size, &req, why, sizeof(why)))
		return 0;
	/* Accepted: every field is in range and the length is the message's. */
	if (req.magic != KEYPROC_MAGIC || !req.key_id ||
	    req.key_id >= KEYPROC_NR_KEYS || req.in_len > sizeof(req.in) ||
	    KEYPROC_REQUEST_HEADER + req.in_len != size)
		abort();
	return 0;
}
