/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Certificates and trust stores the worker read while it was still root,
 * served to libktls (ktls_config.read_file) for the contexts it builds
 * later, when it can no longer open them. Private keys are never here:
 * they are the key process's.
 */
#ifndef KTLSD_FILE_CACHE_H
#define KTLSD_FILE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Read every certificate and trust store @config names (not the keys). */
int ktlsd_file_cache_fill(const struct ktlsd_config *config);
/* ktls_config.read_file: a copy of the cached file, else read it now. */
int ktlsd_file_cache_read(void *arg, const char *path, uint8_t **data,
			  size_t *len);

#endif /* KTLSD_FILE_CACHE_H */
