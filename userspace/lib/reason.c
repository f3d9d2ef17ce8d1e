// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Why the last libktls call failed, in words, per thread, and which
 * ktls_config member it was about.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ktls_internal.h"

static __thread char reason[512];
static __thread enum ktls_config_field reason_field;

/*
 * Formatted aside first: an argument may be ktls_reason() itself (a
 * failure wrapping the one below it), and vsnprintf's source and
 * destination must not overlap.
 */
static void set_reason(const char *fmt, va_list ap)
{
	char next[sizeof(reason)];

	vsnprintf(next, sizeof(next), fmt, ap);
	memcpy(reason, next, sizeof(reason));
}

int __ktls_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_reason(fmt, ap);
	va_end(ap);
	return err;
}

int __ktls_fail_field(enum ktls_config_field field, int err, const char *fmt,
		      ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_reason(fmt, ap);
	va_end(ap);
	reason_field = field;
	return err;
}

const char *ktls_reason(void)
{
	return reason;
}

void __ktls_blame_clear(void)
{
	reason_field = KTLS_FIELD_NONE;
}

int __ktls_blame(int err, enum ktls_config_field field)
{
	if (err)
		reason_field = field;
	return err;
}

enum ktls_config_field ktls_reason_field(void)
{
	return reason_field;
}
