// SPDX-License-Identifier: GPL-2.0-or-later
/* Why the last libktls call failed, in words, per thread. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ktls_internal.h"

static __thread char reason[512];

/*
 * Formatted aside first: an argument may be ktls_reason() itself (a
 * failure wrapping the one below it), and vsnprintf's source and
 * destination must not overlap.
 */
int ktls_fail(int err, const char *fmt, ...)
{
	char next[sizeof(reason)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(next, sizeof(next), fmt, ap);
	va_end(ap);
	memcpy(reason, next, sizeof(reason));
	return err;
}

const char *ktls_reason(void)
{
	return reason;
}
