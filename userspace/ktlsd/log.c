// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd's log. Never give it key material: it prints what it is given,
 * escaped: a server name or certificate field from a peer cannot break
 * the line or reach the terminal as control bytes (__ktls_printable()).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "ktls/printable.h"

#include "log.h"

static const char *const level_names[] = {
	[KTLSD_LOG_ERROR] = "error",
	[KTLSD_LOG_WARNING] = "warning",
	[KTLSD_LOG_INFO] = "info",
	[KTLSD_LOG_DEBUG] = "debug",
};

static const int syslog_priority[] = {
	[KTLSD_LOG_ERROR] = LOG_ERR,
	[KTLSD_LOG_WARNING] = LOG_WARNING,
	[KTLSD_LOG_INFO] = LOG_INFO,
	[KTLSD_LOG_DEBUG] = LOG_DEBUG,
};

/* Read by every loop thread, written on reload. */
static _Atomic int log_level = KTLSD_LOG_INFO;
static _Atomic bool log_to_syslog;

int ktlsd_log_level_parse(const char *name)
{
	for (int i = 0; i <= KTLSD_LOG_DEBUG; i++)
		if (!strcmp(name, level_names[i]))
			return i;
	return -1;
}

void ktlsd_log_setup(bool to_syslog, int level)
{
	if (to_syslog && !log_to_syslog)
		openlog("ktlsd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!to_syslog && log_to_syslog)
		closelog();
	log_to_syslog = to_syslog;
	log_level = level;
}

void ktlsd_log(int level, const char *fmt, ...)
{
	char line[1024], safe[KTLS_PRINTABLE_SIZE(sizeof(line))];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	__ktls_printable(safe, sizeof(safe), line, strlen(line));
	if (log_to_syslog)
		syslog(syslog_priority[level], "%s", safe);
	else
		/* One write per line, so threads do not interleave. */
		fprintf(stderr, "ktlsd: %s: %s\n", level_names[level], safe);
}
