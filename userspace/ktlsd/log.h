/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ktlsd's log: stderr or syslog, one level for the whole process. */
#ifndef KTLSD_LOG_H
#define KTLSD_LOG_H

#include <stdbool.h>

enum ktlsd_log_level {
	KTLSD_LOG_ERROR,
	KTLSD_LOG_WARNING,
	KTLSD_LOG_INFO,
	KTLSD_LOG_DEBUG,
};

/* "error", "warning", "info", "debug"; -1 for anything else. */
int ktlsd_log_level_parse(const char *name);
/* @syslog: log there rather than to stderr. Safe to call again (reload). */
void ktlsd_log_setup(bool syslog, int level);
void ktlsd_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) ktlsd_log(KTLSD_LOG_ERROR, __VA_ARGS__)
#define log_warning(...) ktlsd_log(KTLSD_LOG_WARNING, __VA_ARGS__)
#define log_info(...) ktlsd_log(KTLSD_LOG_INFO, __VA_ARGS__)
#define log_debug(...) ktlsd_log(KTLSD_LOG_DEBUG, __VA_ARGS__)

#endif /* KTLSD_LOG_H */
