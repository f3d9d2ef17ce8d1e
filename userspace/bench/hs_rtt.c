// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-hs-rtt: time to the first response byte for TLS 1.2 full, TLS 1.3
 * full, TLS 1.3 resumed and TLS 1.3 0-RTT (the request in early data).
 * A server thread (in --server-ns) and the client (in --client-ns, the
 * main thread) run in one process, so both read one clock: besides the
 * client's time to the first byte, the server's moment of holding the
 * request is measured from the same start (the client's connect()).
 *
 * Prints a TSV header and one row per connection on stdout:
 *   mode sample connect_ms request_at_server_ms first_byte_ms resumed early
 * connect_ms is TCP's own round trip, the yardstick for counting RTTs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs_common.h"
#include "ktls/ktls.h"

#define REQUEST "GET / HTTP/1.0\r\n\r\n"
#define RESPONSE "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n"
#define MAX_EARLY 16384
#define STEP_TIMEOUT_MS 10000

static const char usage_text[] =
	"usage: ktls-hs-rtt --addr ADDR:PORT --cert FILE --key FILE --ca FILE\n"
	"                   [--server-ns NS] [--client-ns NS] [--samples N]\n"
	"  NS: a name under /run/netns (ip netns add) or a path\n"
	"Prints TSV: mode sample connect_ms request_at_server_ms first_byte_ms resumed early\n";

struct options {
	struct sockaddr_in addr;
	const char *cert, *key, *ca, *server_ns, *client_ns;
	int samples;
};

enum rtt_mode { TLS12_FULL, TLS13_FULL, TLS13_RESUMED, TLS13_0RTT, MODES };

static const char *const mode_names[MODES] = {
	"tls1.2-full", "tls1.3-full", "tls1.3-resumed", "tls1.3-0rtt",
};

static struct options opts;
/* The client's connect() start and the server's moment with the request. */
static _Atomic int64_t connect_start_us, request_at_us;
static int server_ready[2];	/* a pipe: the server thread is listening */

static int enter_netns(const char *ns)
{
	char path[256];
	int fd, ret = 0;

	if (!ns)
		return 0;
	snprintf(path, sizeof(path), strchr(ns, '/') ? "%s" : "/run/netns/%s",
		 ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;	/* before fprintf can change it */
		fprintf(stderr, "ktls-hs-rtt: network namespace %s: %s\n",
			path, strerror(-ret));
		return ret;
	}
	/* A network namespace is per thread: only the caller moves. */
	if (setns(fd, CLONE_NEWNET)) {
		ret = -errno;
		fprintf(stderr, "ktls-hs-rtt: setns %s: %s\n", path,
			strerror(errno));
	}
	close(fd);
	return ret;
}

/* Step @session to the end, calling @each after every step. */
static int step_handshake(struct ktls_session *session,
			  void (*each)(struct ktls_session *session))
{
	struct pollfd pfd = { .fd = ktls_session_fd(session) };
	int ret;

	for (;;) {
		ret = ktls_handshake_step(session);
		if (each)
			each(session);
		if (ret != -EAGAIN)
			return ret;
		pfd.events = ktls_session_wants(session);
		ret = poll(&pfd, 1, STEP_TIMEOUT_MS);
		if (ret <= 0)
			return ret ? -errno : -ETIMEDOUT;
	}
}

static void note_early_request(struct ktls_session *session)
{
	const uint8_t *data;

	if (!atomic_load(&request_at_us) &&
	    ktls_session_early_data(session, &data) > 0)
		atomic_store(&request_at_us, hs_now_us());
}

/*
 * Both ends write small flights back to back (ClientHello then early data,
 * Finished then the request, a ticket then the answer): with Nagle, each
 * second write waits a round trip for the first one's ACK. Browsers and
 * curl turn it off too.
 */
static void no_nagle(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void serve_one(struct ktls_ctx *ctx, int fd)
{
	struct ktls_session *session = NULL;
	const uint8_t *early;
	char buf[256];
	ssize_t n;

	no_nagle(fd);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (ktls_handshake_start(ctx, fd, &session) ||
	    step_handshake(session, note_early_request)) {
		fprintf(stderr, "ktls-hs-rtt: server handshake: %s\n",
			ktls_reason());
		goto out_free;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (ktls_install(session, KTLS_TX | KTLS_RX)) {
		fprintf(stderr, "ktls-hs-rtt: server kTLS: %s\n",
			ktls_reason());
		goto out_free;
	}
	if (!ktls_session_early_data(session, &early)) {
		n = ktls_recv(session, buf, sizeof(buf));
		if (n <= 0) {
			fprintf(stderr, "ktls-hs-rtt: server read: %s\n",
				n ? ktls_reason() : "closed");
			goto out_free;
		}
		atomic_store(&request_at_us, hs_now_us());
	}
	if (ktls_send(session, RESPONSE, strlen(RESPONSE)) < 0)
		fprintf(stderr, "ktls-hs-rtt: server send: %s\n",
			ktls_reason());
out_free:
	ktls_session_free(session);
}

static void *server_run(void *arg)
{
	struct ktls_config config = {
		.role = KTLS_ROLE_SERVER,
		.cert_file = opts.cert,
		.key_file = opts.key,
		.session_tickets = true,
		.max_early_data = MAX_EARLY,
	};
	struct ktls_ctx *ctx;
	int lfd, fd, one = 1;
	char ok = 1;

	(void)arg;
	if (enter_netns(opts.server_ns))
		goto fail;
	if (ktls_ctx_new(&config, &ctx)) {
		fprintf(stderr, "ktls-hs-rtt: server context: %s\n",
			ktls_reason());
		goto fail;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&opts.addr, sizeof(opts.addr)) ||
	    listen(lfd, 16)) {
		fprintf(stderr, "ktls-hs-rtt: server listen: %s\n",
			strerror(errno));
		goto fail;
	}
	if (write(server_ready[1], &ok, 1) != 1)
		return NULL;
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_one(ctx, fd);
		close(fd);
	}
fail:
	ok = 0;
	if (write(server_ready[1], &ok, 1) != 1)
		return NULL;
	return NULL;
}

struct sample {
	int64_t connect_us, first_byte_us, request_us;
	bool resumed, early;
};

/* One connection of @mode with @ctx; 0 and @out, or -errno (printed). */
static int client_one(struct ktls_ctx *ctx, enum rtt_mode mode,
		      struct sample *out)
{
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	struct ktls_session *session = NULL;
	const uint8_t *early;
	int64_t start;
	char buf[256];
	int fd, ret;
	ssize_t n;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	no_nagle(fd);
	atomic_store(&request_at_us, 0);
	start = hs_now_us();
	atomic_store(&connect_start_us, start);
	if (connect(fd, (struct sockaddr *)&opts.addr, sizeof(opts.addr))) {
		ret = -errno;
		fprintf(stderr, "ktls-hs-rtt: connect: %s\n", strerror(errno));
		goto out_close;
	}
	out->connect_us = hs_now_us() - start;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ret = ktls_handshake_start(ctx, fd, &session);
	/* 0-RTT: the request rides with the ClientHello when it can. */
	if (!ret && mode == TLS13_0RTT)
		ret = ktls_session_set_early_data(session, REQUEST,
						  strlen(REQUEST));
	if (!ret)
		ret = step_handshake(session, NULL);
	if (ret) {
		fprintf(stderr, "ktls-hs-rtt: %s handshake: %s\n",
			mode_names[mode], ktls_reason());
		goto out_free;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	ret = ktls_install(session, KTLS_TX | KTLS_RX);
	if (!ret && mode != TLS13_0RTT &&
	    ktls_send(session, REQUEST, strlen(REQUEST)) < 0)
		ret = -EIO;
	if (ret) {
		fprintf(stderr, "ktls-hs-rtt: %s client: %s\n",
			mode_names[mode], ktls_reason());
		goto out_free;
	}
	n = ktls_recv(session, buf, sizeof(buf));
	if (n <= 0) {
		ret = n ? (int)n : -ECONNRESET;
		fprintf(stderr, "ktls-hs-rtt: %s reading the answer: %s\n",
			mode_names[mode], n ? ktls_reason() : "closed");
		goto out_free;
	}
	out->first_byte_us = hs_now_us() - start;
	out->request_us = atomic_load(&request_at_us) - start;
	out->resumed = ktls_session_resumed(session);
	out->early = ktls_session_early_data(session, &early) > 0;
out_free:
	ktls_session_free(session);
out_close:
	close(fd);
	return ret;
}

static int run_mode(enum rtt_mode mode)
{
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.ca_file = opts.ca,
		.server_name = "localhost",
		.groups = "X25519",
		.min_version = mode == TLS12_FULL ? KTLS_TLS_1_2 : KTLS_TLS_1_3,
		.max_version = mode == TLS12_FULL ? KTLS_TLS_1_2 : KTLS_TLS_1_3,
		.resumption = mode >= TLS13_RESUMED,
		.max_early_data = mode == TLS13_0RTT ? MAX_EARLY : 0,
	};
	struct ktls_ctx *ctx;
	struct sample sample;
	int i, ret = 0;

	if (ktls_ctx_new(&config, &ctx)) {
		fprintf(stderr, "ktls-hs-rtt: client context: %s\n",
			ktls_reason());
		return -EINVAL;
	}
	/*
	 * One connection first, not counted: it warms both ends up (first
	 * use of this context's keys and code), and when resuming it is the
	 * full handshake that brings the ticket.
	 */
	ret = client_one(ctx, config.resumption ? TLS13_FULL : mode, &sample);
	for (i = 0; !ret && i < opts.samples; i++) {
		memset(&sample, 0, sizeof(sample));
		ret = client_one(ctx, mode, &sample);
		if (ret)
			break;
		printf("%s\t%d\t%.2f\t%.2f\t%.2f\t%s\t%s\n", mode_names[mode],
		       i + 1, sample.connect_us / 1000.0,
		       sample.request_us / 1000.0,
		       sample.first_byte_us / 1000.0,
		       sample.resumed ? "yes" : "no",
		       sample.early ? "yes" : "no");
		fflush(stdout);
	}
	ktls_ctx_free(ctx);
	return ret;
}

static int parse_options(int argc, char **argv)
{
	static const struct option options[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'C' },
		{ "server-ns", required_argument, NULL, 'S' },
		{ "client-ns", required_argument, NULL, 'N' },
		{ "samples", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool have_addr = false;
	int opt;

	opts.samples = 10;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'a':
			have_addr = !hs_parse_addr(optarg, &opts.addr);
			break;
		case 'c':
			opts.cert = optarg;
			break;
		case 'k':
			opts.key = optarg;
			break;
		case 'C':
			opts.ca = optarg;
			break;
		case 'S':
			opts.server_ns = optarg;
			break;
		case 'N':
			opts.client_ns = optarg;
			break;
		case 'n':
			opts.samples = atoi(optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs(usage_text, stderr);
			return -EINVAL;
		}
	}
	if (!have_addr || !opts.cert || !opts.key || !opts.ca ||
	    opts.samples < 1) {
		fprintf(stderr, "ktls-hs-rtt: need --addr ADDR:PORT (IPv4), --cert, --key, --ca; --samples >= 1\n");
		fputs(usage_text, stderr);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t server;
	char ok = 0;
	int mode;

	if (parse_options(argc, argv))
		return 64;
	signal(SIGPIPE, SIG_IGN);
	if (pipe(server_ready) ||
	    pthread_create(&server, NULL, server_run, NULL)) {
		fprintf(stderr, "ktls-hs-rtt: starting the server thread failed\n");
		return 1;
	}
	if (read(server_ready[0], &ok, 1) != 1 || !ok)
		return 1;
	if (enter_netns(opts.client_ns))
		return 1;
	printf("mode\tsample\tconnect_ms\trequest_at_server_ms\tfirst_byte_ms\tresumed\tearly\n");
	for (mode = 0; mode < MODES; mode++)
		if (run_mode(mode))
			return 1;
	return 0;
}
