// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The load client of make bench: N keep-alive HTTPS connections, one
 * thread each, fetching one file again and again for S seconds. The same
 * client for every server, so the rows differ only by the server.
 *
 * Decryption is the kernel's (kTLS RX installed after the handshake): no
 * userspace record layer, one copy into a buffer that is never looked at
 * beyond the response head; with --userspace (a kernel without kTLS: make
 * bench's native section) WolfSSL decrypts instead. The handshakes happen
 * before the window,
 * which opens when every connection is up and has had one HEAD answered.
 * Around the window it reads the CPU time of the server's processes
 * (/proc/PID/stat utime + stime, threads included), so CPU-seconds and
 * bytes cover the same interval.
 *
 *   bench_get --connect IP:PORT --path /FILE --size BYTES --conns N
 *             --seconds S --ca CA.pem [--ciphers LIST] [--pids PID,...]
 *             [--userspace]
 *
 * Prints one line of KEY=VALUE on stdout: body bytes received in the
 * window, complete responses, errors (refused or failed handshakes, a
 * status other than 200, a Content-Length other than --size, a
 * connection lost mid-response), the window's length and the server's
 * CPU-seconds in it. A run with errors exits 1 after printing the line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ktls/ktls.h"

#define MAX_CONNS 1024
#define MAX_PIDS 64
#define HEAD_MAX 4096
#define BODY_BUF (256 * 1024)
#define POLL_STOP_MS 100	/* how often a blocked read checks for the end */

struct bench {
	struct sockaddr_in addr;
	const char *path;
	long long size;
	int conns;
	double seconds;
	struct ktls_ctx *ctx;
	pthread_barrier_t ready;	/* every connection up: window opens */
	atomic_bool stop;
	atomic_llong bytes;
	atomic_llong responses;
	atomic_llong errors;
	atomic_int cipher_mismatch;
	const char *want_cipher;
	pid_t pids[MAX_PIDS];
	int npids;
	bool userspace;		/* --userspace: no kTLS, WolfSSL decrypts */
};

/* One connection: its socket, and its session when TLS stays in userspace. */
struct link {
	int fd;
	struct ktls_session *session;
};

static int connect_tls(struct bench *b, struct link *link)
{
	struct ktls_session *session;
	struct timeval tv = { .tv_usec = POLL_STOP_MS * 1000 };
	int fd, ret;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&b->addr, sizeof(b->addr))) {
		ret = -errno;
		fprintf(stderr, "bench_get: connect: %s\n", strerror(-ret));
		goto close_fd;
	}
	ret = ktls_handshake(b->ctx, fd, &session);
	if (ret) {
		fprintf(stderr, "bench_get: handshake: %s\n", ktls_reason());
		goto close_fd;
	}
	if (b->want_cipher &&
	    strcmp(ktls_session_cipher(session), b->want_cipher)) {
		fprintf(stderr, "bench_get: the server chose %s, not %s\n",
			ktls_session_cipher(session), b->want_cipher);
		atomic_store(&b->cipher_mismatch, 1);
	}
	if (b->userspace) {
		/* Our own waits, so that they see the end of the window. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		*link = (struct link){ .fd = fd, .session = session };
		return 0;
	}
	ret = ktls_install(session, KTLS_TX | KTLS_RX);
	ktls_session_free(session);
	if (ret) {
		fprintf(stderr, "bench_get: kernel TLS: %s\n", ktls_reason());
		goto close_fd;
	}
	/* Blocked reads wake up now and then to see whether time is up. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*link = (struct link){ .fd = fd };
	return 0;

close_fd:
	close(fd);
	return ret;
}

static void link_close(struct link *link)
{
	ktls_session_free(link->session);
	close(link->fd);
}

/* Userspace TLS on a non-blocking socket: wait a little, then say so. */
static ssize_t wait_some(struct link *link, short events)
{
	struct pollfd pfd = { .fd = link->fd, .events = events };

	poll(&pfd, 1, POLL_STOP_MS);
	return -EAGAIN;
}

/*
 * One read (kTLS, or WolfSSL in userspace), retried while it only timed
 * out and time is left.
 */
static ssize_t recv_some(struct bench *b, struct link *link, char *buf,
			 size_t len)
{
	ssize_t n;

	do {
		if (!link->session) {
			n = ktls_recv_fd(link->fd, buf, len);
			continue;
		}
		n = ktls_tls_recv(link->session, buf, len);
		if (n == -EAGAIN)
			wait_some(link, POLLIN);
	} while ((n == -EAGAIN || n == -EINTR) && !atomic_load(&b->stop));
	return n;
}

/* All of a request; 0 or -errno. */
static int send_request(struct link *link, const char *buf, size_t len)
{
	ssize_t n;

	if (!link->session)
		return send(link->fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len ?
			0 : -EIO;
	while ((n = ktls_tls_send(link->session, buf, len)) == -EAGAIN)
		wait_some(link, POLLOUT);
	return n == (ssize_t)len ? 0 : -EIO;
}

/*
 * Read the head of one response into @head; the body bytes that came
 * with it are counted and their number left in @extra. Returns 0, -EAGAIN
 * when time ran out, or -EPROTO for a response that is not the file.
 */
static int read_head(struct bench *b, struct link *link, char *head,
		     long long *extra)
{
	size_t have = 0;
	char *end = NULL, *cl;
	ssize_t n;

	while (!end) {
		if (have >= HEAD_MAX - 1) {
			fprintf(stderr, "bench_get: response head over %d bytes\n",
				HEAD_MAX);
			return -EPROTO;
		}
		n = recv_some(b, link, head + have, HEAD_MAX - 1 - have);
		if (n == -EAGAIN)
			return -EAGAIN;
		if (n <= 0) {
			fprintf(stderr, "bench_get: connection lost before a response: %s\n",
				n ? strerror((int)-n) : "EOF");
			return -EPROTO;
		}
		have += (size_t)n;
		head[have] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	if (strncmp(head, "HTTP/1.1 200 ", 13)) {
		fprintf(stderr, "bench_get: %.*s\n", (int)strcspn(head, "\r"),
			head);
		return -EPROTO;
	}
	cl = strcasestr(head, "\r\ncontent-length:");
	if (!cl || cl > end || strtoll(cl + 17, NULL, 10) != b->size) {
		fprintf(stderr, "bench_get: Content-Length is not %lld\n",
			b->size);
		return -EPROTO;
	}
	*extra = (long long)have - (end + 4 - head);
	return 0;
}

/*
 * One HEAD before the window: once its answer is here the server is done
 * with the handshake (tickets sent, kTLS installed), so none of that CPU
 * falls into the window.
 */
static int warm_up(struct bench *b, struct link *link)
{
	char request[512], head[HEAD_MAX];
	long long extra;
	int len, ret;

	len = snprintf(request, sizeof(request),
		       "HEAD %s HTTP/1.1\r\nHost: localhost\r\n\r\n", b->path);
	if (send_request(link, request, (size_t)len)) {
		fprintf(stderr, "bench_get: send failed\n");
		return -EPROTO;
	}
	ret = read_head(b, link, head, &extra);
	if (!ret && extra) {
		fprintf(stderr, "bench_get: a body after the head of a HEAD response\n");
		ret = -EPROTO;
	}
	return ret;
}

static void *connection(void *arg)
{
	struct bench *b = arg;
	char request[512], head[HEAD_MAX];
	char *body = malloc(BODY_BUF);
	struct link link = { .fd = -1 };
	long long left, extra;
	int ret, len;
	ssize_t n;

	ret = body ? connect_tls(b, &link) : -ENOMEM;
	if (!ret && warm_up(b, &link)) {
		link_close(&link);
		ret = -EPROTO;
	}
	if (ret)
		atomic_fetch_add(&b->errors, 1);
	pthread_barrier_wait(&b->ready);
	if (ret)
		goto free_body;
	len = snprintf(request, sizeof(request),
		       "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", b->path);
	while (!atomic_load(&b->stop)) {
		if (send_request(&link, request, (size_t)len)) {
			fprintf(stderr, "bench_get: send failed\n");
			goto count_error;
		}
		ret = read_head(b, &link, head, &extra);
		if (ret == -EAGAIN)
			break;
		if (ret)
			goto count_error;
		if (extra > b->size) {
			fprintf(stderr, "bench_get: more than the body after the head\n");
			goto count_error;
		}
		atomic_fetch_add(&b->bytes, extra);
		for (left = b->size - extra; left > 0; left -= n) {
			n = recv_some(b, &link, body,
				      left < BODY_BUF ? (size_t)left : BODY_BUF);
			/* Time is up mid-body: this connection is done. */
			if (n == -EAGAIN || atomic_load(&b->stop))
				goto close_link;
			if (n <= 0) {
				fprintf(stderr, "bench_get: connection lost %lld bytes before the end of a body: %s\n",
					left, n ? strerror((int)-n) : "EOF");
				goto count_error;
			}
			atomic_fetch_add(&b->bytes, n);
		}
		atomic_fetch_add(&b->responses, 1);
	}
	goto close_link;

count_error:
	atomic_fetch_add(&b->errors, 1);
close_link:
	link_close(&link);
free_body:
	free(body);
	return NULL;
}

/* CPU seconds (user + system) of the server's processes, threads included. */
static double server_cpu(const struct bench *b)
{
	long ticks = sysconf(_SC_CLK_TCK);
	unsigned long long utime, stime, sum = 0;
	char path[64], line[1024], *p;
	FILE *f;
	int i;

	for (i = 0; i < b->npids; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", b->pids[i]);
		f = fopen(path, "r");
		if (!f)
			return -1;
		p = fgets(line, sizeof(line), f);
		fclose(f);
		/* Fields 14 and 15; the name in field 2 may hold spaces. */
		p = p ? strrchr(line, ')') : NULL;
		if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				 &utime, &stime) != 2)
			return -1;
		sum += utime + stime;
	}
	return (double)sum / (double)ticks;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_get --connect IP:PORT --path /FILE --size BYTES --conns N\n"
		"                 --seconds S --ca CA.pem [--ciphers LIST] [--pids PID,...]\n"
		"                 [--userspace]  (no kTLS: WolfSSL decrypts)\n");
	exit(2);
}

static int parse_pids(struct bench *b, char *list)
{
	char *tok, *save, *end;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (b->npids == MAX_PIDS)
			return -E2BIG;
		b->pids[b->npids++] = (pid_t)strtol(tok, &end, 10);
		if (*end || b->pids[b->npids - 1] <= 0)
			return -EINVAL;
	}
	return 0;
}

static int parse_connect(struct bench *b, char *text)
{
	char *colon = strrchr(text, ':');

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	b->addr.sin_family = AF_INET;
	b->addr.sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, text, &b->addr.sin_addr) == 1 ? 0 : -EINVAL;
}

static void parse_args(int argc, char **argv, struct bench *b,
		       struct ktls_config *config)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "path", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "conns", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "ca", required_argument, NULL, 'a' },
		{ "ciphers", required_argument, NULL, 'C' },
		{ "pids", required_argument, NULL, 'P' },
		{ "userspace", no_argument, NULL, 'U' },
		{ 0 }
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (parse_connect(b, optarg))
				usage();
			break;
		case 'p':
			b->path = optarg;
			break;
		case 's':
			b->size = atoll(optarg);
			break;
		case 'n':
			b->conns = atoi(optarg);
			break;
		case 't':
			b->seconds = atof(optarg);
			break;
		case 'a':
			config->ca_file = optarg;
			break;
		case 'C':
			config->ciphers = optarg;
			/* The first suite is the one every row must run. */
			b->want_cipher = strndup(optarg, strcspn(optarg, ":"));
			break;
		case 'P':
			if (parse_pids(b, optarg))
				usage();
			break;
		case 'U':
			b->userspace = true;
			break;
		default:
			usage();
		}
	}
	if (!b->addr.sin_family || !b->path || b->size <= 0 ||
	    b->conns < 1 || b->conns > MAX_CONNS || b->seconds <= 0 ||
	    !config->ca_file)
		usage();
}

int main(int argc, char **argv)
{
	static struct bench b;
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "localhost",
		.min_version = KTLS_TLS_1_3,
	};
	pthread_t threads[MAX_CONNS];
	double t0, t1, cpu0, cpu1;
	long long bytes, responses;
	int i, ret;

	parse_args(argc, argv, &b, &config);
	if (ktls_ctx_new(&config, &b.ctx)) {
		fprintf(stderr, "bench_get: %s\n", ktls_reason());
		return 1;
	}
	pthread_barrier_init(&b.ready, NULL, (unsigned int)b.conns + 1);
	for (i = 0; i < b.conns; i++) {
		ret = pthread_create(&threads[i], NULL, connection, &b);
		if (ret) {
			fprintf(stderr, "bench_get: pthread_create: %s\n",
				strerror(ret));
			return 1;
		}
	}
	pthread_barrier_wait(&b.ready);
	cpu0 = server_cpu(&b);
	t0 = now_s();
	usleep((useconds_t)(b.seconds * 1e6));
	/* What came in the window; the threads may still count a little. */
	bytes = atomic_load(&b.bytes);
	responses = atomic_load(&b.responses);
	cpu1 = server_cpu(&b);
	t1 = now_s();
	atomic_store(&b.stop, true);
	for (i = 0; i < b.conns; i++)
		pthread_join(threads[i], NULL);
	if (b.npids && (cpu0 < 0 || cpu1 < 0)) {
		fprintf(stderr, "bench_get: a server process in --pids is gone\n");
		atomic_fetch_add(&b.errors, 1);
	}
	if (atomic_load(&b.cipher_mismatch))
		atomic_fetch_add(&b.errors, 1);
	printf("bytes=%lld responses=%lld errors=%lld seconds=%.3f server_cpu=%.2f\n",
	       bytes, responses, atomic_load(&b.errors), t1 - t0,
	       b.npids ? cpu1 - cpu0 : 0.0);
	ktls_ctx_free(b.ctx);
	return atomic_load(&b.errors) ? 1 : 0;
}
