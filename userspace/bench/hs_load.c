// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-hs-load: the one load client of the handshake benchmark. N threads,
 * each with its own libktls client context, connect, run a TLS 1.3
 * handshake (X25519), send an 18-byte request ("GET / HTTP/1.0" and a
 * blank line) through kernel TLS and read the first bytes of the answer,
 * then reset the connection (no TIME_WAIT: the runs are many and short).
 * A connection counts once its answer arrived, so the server side finished
 * too; its latency is from connect() to the client's handshake complete.
 *
 * With --resume each thread first makes one full handshake for a ticket,
 * then every counted connection offers the newest ticket it holds.
 * With --ports N thread i connects to PORT + i % N and retries a refused
 * connect (the kernel test consumer listens for one connection per job).
 * With --userspace the request and answer go through userspace TLS (a
 * kernel without kTLS; make bench's native section). With --expect-close
 * the server closes instead of answering (ktlsd handoff on such a kernel:
 * the handshake completes, the install fails): a connection counts when
 * its handshake completed and the server then closed it, a TLS 1.3 ticket
 * read on the way.
 *
 * Prints one line on stdout:
 *   handshakes=N seconds=S rate=R p50_ms=X p99_ms=Y resumed=N errors=N
 *   cpu_s=C
 * (C: this process's user + system CPU while measuring, so that a reader
 * can tell whether the client was the bottleneck)
 * and with --latencies FILE appends every latency (ms, one a line) to FILE,
 * so that runs taken in turns can be summed up together.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs_common.h"
#include "ktls/ktls.h"

#define REQUEST "GET / HTTP/1.0\r\n\r\n"
#define MAX_CONNS 256
#define REFUSED_RETRY_US 200
#define ERROR_PAUSE_US 2000
#define CHAIN_MAX 200

static const char usage_text[] =
	"usage: ktls-hs-load --connect ADDR:PORT --ca FILE [options]\n"
	"  --name NAME     server name to verify and send as SNI (localhost)\n"
	"  --conns N       concurrent connections, one thread each (4)\n"
	"  --seconds S     how long to run (5)\n"
	"  --resume        resume with TLS 1.3 tickets after one full handshake\n"
	"  --ports N       thread i uses PORT + i %% N; retry refused connects\n"
	"  --latencies F   append each latency in ms to F, one a line\n"
	"  --groups LIST   key exchange groups to offer (X25519)\n"
	"  --userspace     request and answer in userspace TLS, no kTLS\n"
	"  --expect-close  the server closes after the handshake (no answer)\n"
	"Prints: handshakes=N seconds=S rate=R p50_ms=X p99_ms=Y resumed=N errors=N cpu_s=C\n";

struct options {
	struct sockaddr_in addr;
	const char *ca, *name, *latencies, *groups;
	const struct ktls_config *config;
	int conns, ports;
	double seconds;
	bool resume, userspace, expect_close;
};

struct worker {
	pthread_t thread;
	int index;
	const struct options *opts;
	struct ktls_ctx *ctx;
	struct hs_samples latency;
	unsigned long done, resumed, errors, chained;
	char first_error[256];
};

static pthread_barrier_t start_line;
/* Written by main after the start line, read by every worker. */
static _Atomic int64_t deadline_us;

static void note_error(struct worker *w, const char *what, const char *why)
{
	if (!w->errors++)
		snprintf(w->first_error, sizeof(w->first_error), "%s: %s",
			 what, why);
	usleep(ERROR_PAUSE_US);	/* a failing server must not spin us */
}

/* A connected socket to this worker's port; -errno. */
static int connect_port(struct worker *w, int64_t *started)
{
	struct sockaddr_in addr = w->opts->addr;
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	int fd, err, one = 1;

	if (w->opts->ports > 1)
		addr.sin_port = htons(ntohs(addr.sin_port) +
				      w->index % w->opts->ports);
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		/* As browsers and curl do: no Nagle wait behind a flight. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		*started = hs_now_us();
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
			return fd;
		err = -errno;
		close(fd);
		/* The consumer re-listens between jobs: not yet is not no. */
		if (err != -ECONNREFUSED || w->opts->ports <= 1 ||
		    hs_now_us() > deadline_us)
			return err;
		usleep(REFUSED_RETRY_US);
	}
}

/* The request and the first bytes of the answer through kernel TLS. */
static int exchange_ktls(struct worker *w, struct ktls_session *session)
{
	char buf[256];
	ssize_t n;
	int ret;

	ret = ktls_install(session, KTLS_TX | KTLS_RX);
	if (ret) {
		note_error(w, "kTLS install", ktls_reason());
		return ret;
	}
	n = ktls_send(session, REQUEST, strlen(REQUEST));
	if (n < 0) {
		note_error(w, "send", ktls_reason());
		return (int)n;
	}
	/* The answer; a TLS 1.3 ticket before it is kept for the next. */
	n = ktls_recv(session, buf, sizeof(buf));
	if (n <= 0) {
		note_error(w, "reading the answer",
			   n ? ktls_reason() : "closed before any byte");
		return n ? (int)n : -ECONNRESET;
	}
	return 0;
}

/*
 * The same in userspace TLS. With --expect-close the server's close (or
 * reset: our request lay unread) is the answer; the ticket before it is
 * kept all the same.
 */
static int exchange_userspace(struct worker *w, struct ktls_session *session)
{
	char buf[256];
	ssize_t n;

	n = ktls_tls_send(session, REQUEST, strlen(REQUEST));
	if (n < 0 && !w->opts->expect_close) {
		note_error(w, "send", ktls_reason());
		return (int)n;
	}
	n = ktls_tls_recv(session, buf, sizeof(buf));
	if (w->opts->expect_close) {
		if (n > 0) {
			note_error(w, "--expect-close", "the server answered");
			return -EPROTO;
		}
		return 0;
	}
	if (n <= 0) {
		note_error(w, "reading the answer",
			   n ? ktls_reason() : "closed before any byte");
		return n ? (int)n : -ECONNRESET;
	}
	return 0;
}

/* One connection; 0 and its latency, or -errno (noted). */
static int one_connection(struct worker *w, int64_t *latency_us,
			  bool *resumed)
{
	struct ktls_session *session = NULL;
	int64_t started = 0;
	int fd, ret;

	fd = connect_port(w, &started);
	if (fd < 0) {
		note_error(w, "connect", strerror(-fd));
		return fd;
	}
	ret = ktls_handshake(w->ctx, fd, &session);
	if (ret) {
		note_error(w, "handshake", ktls_reason());
		goto out_close;
	}
	*latency_us = hs_now_us() - started;
	*resumed = ktls_session_resumed(session);
	if (w->opts->userspace)
		ret = exchange_userspace(w, session);
	else
		ret = exchange_ktls(w, session);
	ktls_session_free(session);
out_close:
	close(fd);
	return ret;
}

/*
 * A fresh context and, not counted, the full handshake that brings its
 * first ticket. A TLS 1.3 server on WolfSSL's own ticket keys (ktlsd,
 * ktls-hs-server) issues each resumed connection a ticket whose nonce
 * follows the old one's and fails the 256th chained resumption with
 * SESSION_TICKET_NONCE_OVERFLOW: so every CHAIN_MAX resumptions a thread
 * starts over (one uncounted full handshake in CHAIN_MAX, for every
 * server alike).
 */
static int fresh_ticket(struct worker *w)
{
	int64_t latency_us;
	bool resumed;
	int ret;

	ktls_ctx_free(w->ctx);
	w->ctx = NULL;
	ret = ktls_ctx_new(w->opts->config, &w->ctx);
	if (ret) {
		note_error(w, "client context", ktls_reason());
		return ret;
	}
	w->chained = 0;
	return one_connection(w, &latency_us, &resumed);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	int64_t latency_us;
	bool resumed;

	if (w->opts->resume)
		one_connection(w, &latency_us, &resumed);
	w->errors = 0;
	w->first_error[0] = '\0';
	pthread_barrier_wait(&start_line);
	while (hs_now_us() < deadline_us) {
		if (w->opts->resume && w->chained >= CHAIN_MAX &&
		    fresh_ticket(w) && !w->ctx)
			break;
		if (one_connection(w, &latency_us, &resumed))
			continue;
		w->chained += resumed;
		if (hs_samples_add(&w->latency, latency_us)) {
			note_error(w, "memory", strerror(ENOMEM));
			break;
		}
		w->done++;
		w->resumed += resumed;
	}
	return NULL;
}

static int parse_options(int argc, char **argv, struct options *opts)
{
	static const struct option options[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
		{ "conns", required_argument, NULL, 'N' },
		{ "seconds", required_argument, NULL, 's' },
		{ "resume", no_argument, NULL, 'r' },
		{ "ports", required_argument, NULL, 'p' },
		{ "latencies", required_argument, NULL, 'L' },
		{ "groups", required_argument, NULL, 'g' },
		{ "userspace", no_argument, NULL, 'U' },
		{ "expect-close", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool have_addr = false;
	int opt;

	/* One key share the servers all take: no HelloRetryRequest. */
	*opts = (struct options){ .name = "localhost", .conns = 4,
				  .ports = 1, .seconds = 5,
				  .groups = "X25519" };
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (hs_parse_addr(optarg, &opts->addr)) {
				fprintf(stderr, "ktls-hs-load: --connect %s: not ADDR:PORT (IPv4)\n",
					optarg);
				return -EINVAL;
			}
			have_addr = true;
			break;
		case 'a':
			opts->ca = optarg;
			break;
		case 'n':
			opts->name = optarg;
			break;
		case 'N':
			opts->conns = atoi(optarg);
			break;
		case 's':
			opts->seconds = atof(optarg);
			break;
		case 'r':
			opts->resume = true;
			break;
		case 'p':
			opts->ports = atoi(optarg);
			break;
		case 'L':
			opts->latencies = optarg;
			break;
		case 'g':
			opts->groups = optarg;
			break;
		case 'U':
			opts->userspace = true;
			break;
		case 'E':
			opts->expect_close = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs(usage_text, stderr);
			return -EINVAL;
		}
	}
	if (!have_addr || !opts->ca || opts->conns < 1 ||
	    opts->conns > MAX_CONNS || opts->seconds <= 0 || opts->ports < 1 ||
	    (opts->expect_close && !opts->userspace)) {
		fprintf(stderr, "ktls-hs-load: need --connect and --ca; --conns 1..%d, --seconds > 0, --ports >= 1; --expect-close with --userspace\n",
			MAX_CONNS);
		fputs(usage_text, stderr);
		return -EINVAL;
	}
	return 0;
}

static int append_latencies(const char *path, const struct hs_samples *all)
{
	FILE *f = fopen(path, "ae");
	int ret = 0;

	if (!f)
		return -errno;
	for (size_t i = 0; i < all->len; i++)
		fprintf(f, "%.3f\n", all->us[i] / 1000.0);
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* User + system CPU of this process, in seconds. */
static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void report(struct worker *workers, int count, double seconds,
		   double cpu, const char *latencies)
{
	struct hs_samples all = {};
	unsigned long done = 0, resumed = 0, errors = 0;
	const char *first_error = NULL;
	int ret;

	for (int i = 0; i < count; i++) {
		done += workers[i].done;
		resumed += workers[i].resumed;
		errors += workers[i].errors;
		if (!first_error && workers[i].errors)
			first_error = workers[i].first_error;
		hs_samples_merge(&all, &workers[i].latency);
	}
	ret = latencies ? append_latencies(latencies, &all) : 0;
	if (ret)
		fprintf(stderr, "ktls-hs-load: writing %s: %s\n", latencies,
			strerror(-ret));
	printf("handshakes=%lu seconds=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f resumed=%lu errors=%lu cpu_s=%.3f\n",
	       done, seconds, done / seconds, hs_samples_pct_ms(&all, 50),
	       hs_samples_pct_ms(&all, 99), resumed, errors, cpu);
	if (first_error)
		fprintf(stderr, "ktls-hs-load: %lu errors, the first: %s\n",
			errors, first_error);
	hs_samples_free(&all);
}

int main(int argc, char **argv)
{
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.min_version = KTLS_TLS_1_3,
		.max_version = KTLS_TLS_1_3,
	};
	struct worker *workers;
	struct options opts;
	int64_t start_us;
	double cpu_start;
	int i, ret, started = 0;

	if (parse_options(argc, argv, &opts))
		return 64;
	config.ca_file = opts.ca;
	config.server_name = opts.name;
	config.resumption = opts.resume;
	config.groups = opts.groups;
	opts.config = &config;
	workers = calloc(opts.conns, sizeof(*workers));
	if (!workers)
		return 1;
	pthread_barrier_init(&start_line, NULL, opts.conns + 1);
	/* Far off until every thread is ready; then the real one. */
	deadline_us = INT64_MAX;
	for (i = 0; i < opts.conns; i++) {
		workers[i].index = i;
		workers[i].opts = &opts;
		ret = ktls_ctx_new(&config, &workers[i].ctx);
		if (ret) {
			fprintf(stderr, "ktls-hs-load: client context: %s\n",
				ktls_reason());
			return 1;
		}
	}
	for (i = 0; i < opts.conns; i++) {
		ret = pthread_create(&workers[i].thread, NULL, worker_run,
				     &workers[i]);
		if (ret) {
			fprintf(stderr, "ktls-hs-load: pthread_create: %s\n",
				strerror(ret));
			return 1;
		}
		started++;
	}
	pthread_barrier_wait(&start_line);
	start_us = hs_now_us();
	cpu_start = cpu_seconds();
	deadline_us = start_us + (int64_t)(opts.seconds * 1e6);
	for (i = 0; i < started; i++)
		pthread_join(workers[i].thread, NULL);
	report(workers, opts.conns, (hs_now_us() - start_us) / 1e6,
	       cpu_seconds() - cpu_start, opts.latencies);
	for (i = 0; i < opts.conns; i++) {
		ktls_ctx_free(workers[i].ctx);
		hs_samples_free(&workers[i].latency);
	}
	free(workers);
	return 0;
}
