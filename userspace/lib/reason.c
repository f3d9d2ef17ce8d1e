// SPDX-License-Identifier: GPL-2.0-or-later
/* Why the last libktls call failed, in words, per thread. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static __thread char reason[512];

int ktls_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return err;
}

const char *ktls_reason(void)
{
	return reason;
}
