// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The report, as text for a terminal or as JSON. Certificate fields and
 * error texts come from the server: the text form escapes them
 * (__ktls_printable()), so a subject cannot clear the screen or fake a line.
 */
#include <string.h>

#include "ktls/printable.h"
#include "report.h"

/* Big enough for the longest field (error[], san[]) escaped. */
#define SAFE_LEN KTLS_PRINTABLE_SIZE(512)

/* One field escaped; @n picks one of the buffers a printf line may use. */
static const char *safe(int n, const char *s)
{
	static char buf[4][SAFE_LEN];

	return __ktls_printable(buf[n], sizeof(buf[n]), s, strlen(s));
}

void probe_print_text(FILE *out, const struct probe_report *r)
{
	fprintf(out, "target:       %s port %s\n", safe(0, r->target_host),
		safe(1, r->target_port));
	if (!r->handshake_done && !r->connect_ms) {
		fprintf(out, "connection:   FAILED: %s\n", safe(0, r->error));
		return;
	}
	fprintf(out, "tcp connect:  %.1f ms\n", r->connect_ms);
	if (!r->handshake_done) {
		fprintf(out, "handshake:    FAILED: %s\n", safe(0, r->error));
		return;
	}
	fprintf(out, "handshake:    %s, %s, group %s\n", r->version, r->cipher,
		r->group);
	fprintf(out, "              %d round trip%s after TCP, %.1f ms, %s\n",
		r->round_trips, r->round_trips == 1 ? "" : "s",
		r->handshake_ms, r->resumed ? "resumed" : "full handshake");
	fprintf(out, "certificates: %d sent by the server\n", r->cert_count);
	for (int i = 0; i < r->cert_count; i++) {
		const struct ktls_cert_info *c = &r->certs[i];

		fprintf(out, "  [%d] subject: %s\n", i, safe(0, c->subject));
		fprintf(out, "      issuer:  %s\n", safe(0, c->issuer));
		fprintf(out, "      SAN:     %s\n",
			*c->san ? safe(0, c->san) : "(none)");
		fprintf(out, "      valid:   %s to %s\n", safe(0, c->not_before),
			safe(1, c->not_after));
	}
	fprintf(out, "verification: %s\n",
		r->verified ? "ok" : safe(0, r->verify));
	fprintf(out, "kernel TLS:   %s\n", safe(0, r->ktls));
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_field(FILE *out, const char *key, const char *value,
		       bool last)
{
	fprintf(out, "  \"%s\": ", key);
	json_string(out, value);
	fputs(last ? "\n" : ",\n", out);
}

void probe_print_json(FILE *out, const struct probe_report *r)
{
	fputs("{\n", out);
	json_field(out, "host", r->target_host, false);
	json_field(out, "port", r->target_port, false);
	fprintf(out, "  \"handshake_ok\": %s,\n",
		r->handshake_done ? "true" : "false");
	if (!r->handshake_done) {
		json_field(out, "error", r->error, true);
		fputs("}\n", out);
		return;
	}
	json_field(out, "version", r->version, false);
	json_field(out, "cipher", r->cipher, false);
	json_field(out, "group", r->group, false);
	fprintf(out, "  \"resumed\": %s,\n", r->resumed ? "true" : "false");
	fprintf(out, "  \"round_trips\": %d,\n", r->round_trips);
	fprintf(out, "  \"connect_ms\": %.3f,\n", r->connect_ms);
	fprintf(out, "  \"handshake_ms\": %.3f,\n", r->handshake_ms);
	fputs("  \"certificates\": [", out);
	for (int i = 0; i < r->cert_count; i++) {
		const struct ktls_cert_info *c = &r->certs[i];

		fputs(i ? ",\n    {" : "\n    {", out);
		fputs("\"subject\": ", out);
		json_string(out, c->subject);
		fputs(", \"issuer\": ", out);
		json_string(out, c->issuer);
		fputs(", \"san\": ", out);
		json_string(out, c->san);
		fputs(", \"not_before\": ", out);
		json_string(out, c->not_before);
		fputs(", \"not_after\": ", out);
		json_string(out, c->not_after);
		fputs("}", out);
	}
	fputs(r->cert_count ? "\n  ],\n" : "],\n", out);
	fprintf(out, "  \"verified\": %s,\n", r->verified ? "true" : "false");
	json_field(out, "verification", r->verify, false);
	fprintf(out, "  \"ktls_installed\": %s,\n",
		r->ktls_installed ? "true" : "false");
	json_field(out, "ktls", r->ktls, true);
	fputs("}\n", out);
}
