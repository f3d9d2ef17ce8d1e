// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-probe HOST:PORT: connect, run the TLS handshake with libktls, and
 * print what happened: version, suite, group, the certificate chain with
 * its verdict, resumption, round trips, timings, and whether kernel TLS
 * could take the connection over on this machine (and if not, why).
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ktls/ktls.h"
#include "report.h"

#define EXIT_VERIFY_FAILED 1
#define EXIT_HANDSHAKE_FAILED 2
#define EXIT_USAGE 64

static const char usage_text[] =
	"usage: ktls-probe [options] HOST:PORT\n"
	"\n"
	"Connect to HOST:PORT, run a TLS handshake with libktls, print what\n"
	"happened and whether kernel TLS can carry the connection here.\n"
	"\n"
	"  --json            one JSON object instead of text\n"
	"  --ca FILE         trust store (default: the system CA bundle)\n"
	"  --name NAME       name to verify and send as SNI (default: HOST)\n"
	"  --tls1.2          offer only TLS 1.2\n"
	"  --tls1.3          offer only TLS 1.3\n"
	"  --cipher SUITE    offer only this IANA suite (e.g. TLS_AES_256_GCM_SHA384)\n"
	"  --timeout MS      connect + handshake deadline (default 10000)\n"
	"  -h, --help        this text\n"
	"\n"
	"Exit status: 0 handshake done and certificate verified; 1 certificate\n"
	"not verified; 2 connection or handshake failed; 64 usage error.\n";

static double elapsed_ms(const struct timespec *from)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - from->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - from->tv_nsec) / 1e6;
}

/* "host:port", "[v6]:port" -> host and port, in place. */
static int split_target(char *target, char **host, char **port)
{
	char *colon;

	if (target[0] == '[') {
		char *end = strchr(target, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		*end = '\0';
		*host = target + 1;
		*port = end + 2;
	} else {
		colon = strrchr(target, ':');
		if (!colon)
			return -EINVAL;
		*colon = '\0';
		*host = target;
		*port = colon + 1;
	}
	return **host && **port ? 0 : -EINVAL;
}

static int connect_to(const char *host, const char *port, int timeout_ms,
		      struct probe_report *report)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	struct addrinfo *res, *ai;
	struct timespec start;
	int fd = -1, ret, err = 0;

	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		snprintf(report->error, sizeof(report->error),
			 "cannot resolve %s:%s: %s", host, port,
			 gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(report->error, sizeof(report->error),
			 "cannot connect to %s:%s: %s", host, port,
			 strerror(err ? err : EHOSTUNREACH));
		return -(err ? err : EHOSTUNREACH);
	}
	report->connect_ms = elapsed_ms(&start);
	return fd;
}

static void collect(struct ktls_session *session,
		    struct probe_report *report)
{
	int n = ktls_session_peer_certs(session);

	report->version = ktls_session_version(session);
	report->cipher = ktls_session_cipher(session);
	report->group = ktls_session_group(session);
	report->resumed = ktls_session_resumed(session);
	report->round_trips = ktls_session_round_trips(session);
	snprintf(report->verify, sizeof(report->verify), "%s",
		 ktls_session_verify_result(session));
	report->verified = !strcmp(report->verify, "ok");
	if (n > PROBE_MAX_CERTS)
		n = PROBE_MAX_CERTS;
	for (int i = 0; i < n; i++)
		if (!ktls_session_peer_cert(session, i, &report->certs[i]))
			report->cert_count = i + 1;
}

/* Can kernel TLS take this connection over? Try it, and say. */
static void try_ktls(struct ktls_session *session,
		     struct probe_report *report)
{
	if (!report->verified) {
		snprintf(report->ktls, sizeof(report->ktls),
			 "not attempted: the certificate was not verified");
		return;
	}
	if (ktls_install(session, KTLS_TX | KTLS_RX)) {
		snprintf(report->ktls, sizeof(report->ktls), "%s",
			 ktls_reason());
		return;
	}
	report->ktls_installed = true;
	snprintf(report->ktls, sizeof(report->ktls),
		 "TX and RX installed");
	ktls_close_notify(session);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "ca", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "tls1.2", no_argument, NULL, '2' },
		{ "tls1.3", no_argument, NULL, '3' },
		{ "cipher", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.verify_report_only = true,
	};
	struct probe_report report = { 0 };
	struct ktls_session *session;
	struct ktls_ctx *ctx;
	struct timespec start;
	bool json = false;
	char *host, *port;
	int opt, fd, ret;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'c':
			config.ca_file = optarg;
			break;
		case 'n':
			config.server_name = optarg;
			break;
		case '2':
			config.min_version = KTLS_TLS_1_2;
			config.max_version = KTLS_TLS_1_2;
			break;
		case '3':
			config.min_version = KTLS_TLS_1_3;
			config.max_version = KTLS_TLS_1_3;
			break;
		case 's':
			config.ciphers = optarg;
			break;
		case 't':
			config.handshake_timeout_ms = atoi(optarg);
			if (config.handshake_timeout_ms <= 0) {
				fprintf(stderr, "ktls-probe: bad --timeout %s\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || split_target(argv[optind], &host, &port)) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!config.server_name)
		config.server_name = host;
	if (!config.handshake_timeout_ms)
		config.handshake_timeout_ms = KTLS_DEFAULT_TIMEOUT_MS;
	report.target_host = host;
	report.target_port = port;

	ret = ktls_ctx_new(&config, &ctx);
	if (ret) {
		fprintf(stderr, "ktls-probe: %s\n", ktls_reason());
		return EXIT_USAGE;
	}
	fd = connect_to(host, port, config.handshake_timeout_ms, &report);
	if (fd < 0) {
		ret = EXIT_HANDSHAKE_FAILED;
		goto print;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (ktls_handshake(ctx, fd, &session)) {
		snprintf(report.error, sizeof(report.error), "%s",
			 ktls_reason());
		ret = EXIT_HANDSHAKE_FAILED;
		goto close_fd;
	}
	report.handshake_ms = elapsed_ms(&start);
	report.handshake_done = true;
	collect(session, &report);
	try_ktls(session, &report);
	ret = report.verified ? 0 : EXIT_VERIFY_FAILED;
	ktls_session_free(session);
close_fd:
	close(fd);
print:
	if (json)
		probe_print_json(stdout, &report);
	else
		probe_print_text(stdout, &report);
	ktls_ctx_free(ctx);
	return ret;
}
