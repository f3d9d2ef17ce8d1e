// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-hs-server: the server side of the handshake benchmark, one small
 * exchange per connection (read the request, answer 36 bytes, close), in
 * one of three ways:
 *
 *   in-process  libktls runs the handshake in this process, then kernel TLS
 *   --handoff   each accepted socket goes to the real ktlsd over its handoff
 *               socket; ktlsd answers with kernel TLS installed
 *   --upcall    no listener of ours: thread i drives a job of the kernel
 *               test consumer (kmod/test_consumer.c) that listens on
 *               PORT + i, takes one connection and asks the kernel's
 *               handshake upcall for a server handshake, which ktlsd
 *               answers; then 18 bytes each way through kernel TLS
 *
 * With --userspace (a kernel without kTLS; make bench's native section)
 * the in-process server answers in userspace TLS, and a handoff counts as
 * served when ktlsd completed the handshake and only the kernel refused
 * the install (ENOENT: no tls module); the socket is then closed.
 *
 * Threads block (one connection each); the load client's concurrency
 * should not exceed --threads. Runs until SIGTERM or SIGINT, then prints
 * "served=N failed=N" and the first failure on stderr. Prints "ready" on
 * stdout once it takes connections.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "hs_common.h"
#include "ktls/handoff.h"
#include "ktls/ktls.h"

#define RESPONSE "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n"
#define REQUEST_LEN 18		/* ktls-hs-load's request */
#define MAX_THREADS 256
#define IO_TIMEOUT_S 10
#define CONSUMER "/proc/ktlsd_test_consumer"

static const char usage_text[] =
	"usage: ktls-hs-server --listen ADDR:PORT --cert FILE --key FILE [--threads N]\n"
	"       ktls-hs-server --listen ADDR:PORT --handoff SOCKET [--threads N]\n"
	"       ktls-hs-server --upcall ADDR:PORT [--threads N]\n"
	"  --threads N   connections served at once (4)\n"
	"  --userspace   no kernel TLS: answer in userspace TLS; a handoff\n"
	"                whose install failed with ENOENT counts as served\n"
	"  --upcall      thread i runs kernel test consumer server jobs on PORT + i\n";

enum mode { MODE_INPROC, MODE_HANDOFF, MODE_UPCALL };

struct options {
	enum mode mode;
	struct sockaddr_in addr;
	const char *cert, *key, *handoff;
	int threads;
	bool userspace;
};

static struct options opts;
static struct ktls_ctx *server_ctx;
static int listen_fd = -1;
static atomic_ulong served, failed;
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;
static char first_failure[512];

__attribute__((format(printf, 1, 2)))
static void note_failure(const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&failed, 1);
	pthread_mutex_lock(&failure_lock);
	if (!first_failure[0]) {
		va_start(ap, fmt);
		vsnprintf(first_failure, sizeof(first_failure), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&failure_lock);
}

static void serve_userspace(struct ktls_session *session)
{
	char buf[256];
	ssize_t n;

	n = ktls_tls_recv(session, buf, sizeof(buf));
	if (n <= 0) {
		note_failure("reading the request: %s",
			     n ? ktls_reason() : "closed");
		return;
	}
	if (ktls_tls_send(session, RESPONSE, strlen(RESPONSE)) < 0) {
		note_failure("sending the answer: %s", ktls_reason());
		return;
	}
	/* Without it OpenSSL clients drop the session: no resumption. */
	ktls_tls_close_notify(session);
	atomic_fetch_add(&served, 1);
}

static void serve_inproc(int fd)
{
	struct ktls_session *session = NULL;
	char buf[256];
	ssize_t n;

	if (ktls_handshake(server_ctx, fd, &session)) {
		note_failure("handshake: %s", ktls_reason());
		return;
	}
	if (opts.userspace) {
		serve_userspace(session);
		goto out_free;
	}
	if (ktls_install(session, KTLS_TX | KTLS_RX)) {
		note_failure("kTLS install: %s", ktls_reason());
		goto out_free;
	}
	n = ktls_recv(session, buf, sizeof(buf));
	if (n <= 0) {
		note_failure("reading the request: %s",
			     n ? ktls_reason() : "closed");
		goto out_free;
	}
	if (ktls_send(session, RESPONSE, strlen(RESPONSE)) < 0) {
		note_failure("sending the answer: %s", ktls_reason());
		goto out_free;
	}
	atomic_fetch_add(&served, 1);
out_free:
	ktls_session_free(session);
}

static void serve_handoff(int fd)
{
	struct ktls_handoff_request request = { .role = KTLS_ROLE_SERVER };
	struct ktls_handoff_result result;
	char buf[256];
	ssize_t n;

	if (ktls_handoff(opts.handoff, fd, &request, &result)) {
		/* Handshake done, then the kernel without kTLS said no. */
		if (opts.userspace && result.status == -ENOENT)
			atomic_fetch_add(&served, 1);
		else
			note_failure("handoff: %s", result.reason);
		return;
	}
	n = ktls_recv_fd(fd, buf, sizeof(buf));
	if (n <= 0) {
		note_failure("reading the request: %s",
			     n ? ktls_reason() : "closed");
		return;
	}
	if (write(fd, RESPONSE, strlen(RESPONSE)) < 0) {
		note_failure("sending the answer: %s", strerror(errno));
		return;
	}
	atomic_fetch_add(&served, 1);
}

static void *accept_loop(void *arg)
{
	struct timeval timeout = { .tv_sec = IO_TIMEOUT_S };
	int fd, one = 1;

	(void)arg;
	for (;;) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				note_failure("accept: %s", strerror(errno));
			continue;
		}
		/* A client that stops answering must not hold a thread. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout,
			   sizeof(timeout));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout,
			   sizeof(timeout));
		/* Our answer must not wait for the ACK of the ticket. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (opts.mode == MODE_HANDOFF)
			serve_handoff(fd);
		else
			serve_inproc(fd);
		close(fd);
	}
	return NULL;
}

/* One consumer job: listen, one connection, upcall, 18 bytes each way. */
static void consumer_job(const char *cmd)
{
	char line[256], stage[16];
	int fd, status;
	ssize_t n;

	fd = open(CONSUMER, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		note_failure("open " CONSUMER ": %s (is ktlsd_test_consumer.ko loaded?)",
			     strerror(errno));
		sleep(1);
		return;
	}
	if (write(fd, cmd, strlen(cmd)) < 0) {
		note_failure("consumer command refused: %s", strerror(errno));
		goto out_close;
	}
	n = pread(fd, line, sizeof(line) - 1, 0);
	if (n <= 0) {
		note_failure("reading the consumer's report: %s",
			     n ? strerror(errno) : "empty");
		goto out_close;
	}
	line[n] = '\0';
	/* Nobody came within the job's accept timeout: idle, not failed. */
	if (sscanf(line, "status=%d stage=%15s", &status, stage) == 2 &&
	    status == -EAGAIN && !strcmp(stage, "accept"))
		goto out_close;
	if (sscanf(line, "status=%d", &status) != 1 || status) {
		line[strcspn(line, "\n")] = '\0';
		note_failure("consumer job: %s", line);
		goto out_close;
	}
	atomic_fetch_add(&served, 1);
out_close:
	close(fd);
}

static void *upcall_loop(void *arg)
{
	int index = (int)(long)arg;
	char cmd[256], addr[32];

	inet_ntop(AF_INET, &opts.addr.sin_addr, addr, sizeof(addr));
	snprintf(cmd, sizeof(cmd), "server %s %d auth=x509 bytes=%d timeout=20000",
		 addr, ntohs(opts.addr.sin_port) + index, REQUEST_LEN);
	for (;;)
		consumer_job(cmd);
	return NULL;
}

static int open_listener(void)
{
	int one = 1;

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -errno;
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listen_fd, (struct sockaddr *)&opts.addr, sizeof(opts.addr)) ||
	    listen(listen_fd, 1024))
		return -errno;
	return 0;
}

static int parse_options(int argc, char **argv)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "upcall", required_argument, NULL, 'u' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "handoff", required_argument, NULL, 'H' },
		{ "threads", required_argument, NULL, 't' },
		{ "userspace", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool have_addr = false;
	int opt;

	opts.threads = 4;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'u':
		case 'l':
			if (opt == 'u')
				opts.mode = MODE_UPCALL;
			if (hs_parse_addr(optarg, &opts.addr)) {
				fprintf(stderr, "ktls-hs-server: %s: not ADDR:PORT (IPv4)\n",
					optarg);
				return -EINVAL;
			}
			have_addr = true;
			break;
		case 'c':
			opts.cert = optarg;
			break;
		case 'k':
			opts.key = optarg;
			break;
		case 'H':
			opts.handoff = optarg;
			break;
		case 't':
			opts.threads = atoi(optarg);
			break;
		case 'U':
			opts.userspace = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs(usage_text, stderr);
			return -EINVAL;
		}
	}
	if (opts.handoff && opts.mode != MODE_UPCALL)
		opts.mode = MODE_HANDOFF;
	if (!have_addr || opts.threads < 1 || opts.threads > MAX_THREADS ||
	    (opts.mode == MODE_INPROC && (!opts.cert || !opts.key))) {
		fprintf(stderr, "ktls-hs-server: need an address; in-process also --cert and --key; --threads 1..%d\n",
			MAX_THREADS);
		fputs(usage_text, stderr);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ktls_config config = {
		.role = KTLS_ROLE_SERVER,
		.session_tickets = true,
	};
	sigset_t stop;
	pthread_t thread;
	int i, ret, sig;

	if (parse_options(argc, argv))
		return 64;
	/* Every thread inherits the mask; main alone waits for the signal. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (opts.mode == MODE_INPROC) {
		config.cert_file = opts.cert;
		config.key_file = opts.key;
		if (ktls_ctx_new(&config, &server_ctx)) {
			fprintf(stderr, "ktls-hs-server: server context: %s\n",
				ktls_reason());
			return 1;
		}
	}
	if (opts.mode != MODE_UPCALL) {
		ret = open_listener();
		if (ret) {
			fprintf(stderr, "ktls-hs-server: listening on port %d: %s\n",
				ntohs(opts.addr.sin_port), strerror(-ret));
			return 1;
		}
	}
	for (i = 0; i < opts.threads; i++) {
		ret = pthread_create(&thread, NULL,
				     opts.mode == MODE_UPCALL ? upcall_loop :
								accept_loop,
				     (void *)(long)i);
		if (ret) {
			fprintf(stderr, "ktls-hs-server: pthread_create: %s\n",
				strerror(ret));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	sigwait(&stop, &sig);
	pthread_mutex_lock(&failure_lock);
	fprintf(stderr, "served=%lu failed=%lu%s%s\n", atomic_load(&served),
		atomic_load(&failed), first_failure[0] ? "; first: " : "",
		first_failure);
	/* Threads sit in accept() or in the kernel's job: no joining. */
	_exit(0);
}
