/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What ktls-probe found, and how it is printed (text or JSON). */
#ifndef KTLS_PROBE_REPORT_H
#define KTLS_PROBE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "ktls/ktls.h"

#define PROBE_MAX_CERTS 8

struct probe_report {
	const char *target_host, *target_port;
	double connect_ms, handshake_ms;
	bool handshake_done;
	char error[512];	/* why the connection or handshake failed */
	const char *version, *cipher, *group;
	bool resumed;
	int round_trips;
	struct ktls_cert_info certs[PROBE_MAX_CERTS];
	int cert_count;
	bool verified;
	char verify[128];
	bool ktls_installed;
	char ktls[512];		/* "TX and RX installed", or why not */
};

void probe_print_text(FILE *out, const struct probe_report *report);
void probe_print_json(FILE *out, const struct probe_report *report);

#endif /* KTLS_PROBE_REPORT_H */
