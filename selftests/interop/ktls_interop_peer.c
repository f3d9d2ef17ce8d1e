// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Our end of an interop test (selftests/interop/interop.sh): a TLS client or
 * server that handshakes with libktls, moves the connection into kernel TLS
 * (TX and RX; failing if it cannot) and then moves data only with
 * ktls_recv()/ktls_send(), against a peer we did not write (openssl, gnutls,
 * curl).
 *
 *   --mode stream  receive --bytes N and send N at the same time (a thread
 *                  sends while the main thread receives, so echo servers and
 *                  peers that send first both work); "echo" is an alias
 *   --mode http    (server) read one HTTP/1.1 POST with a body of N bytes,
 *                  answer 200 OK with N bytes
 *
 * The data we send is deterministic pseudo-random bytes (--payload binary)
 * or lines of hex digits (--payload text, for line-based echo servers). On
 * success stdout carries, one per line, "version", "cipher", "group",
 * "round-trips" (of the handshake), "ktls", "received-bytes",
 * "received-sha256", "sent-bytes", "sent-sha256"
 * and "peer-close"; a server prints "listening PORT" once it accepts
 * connections. Errors go to stderr; the exit status is 0 only on success.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "ktls/ktls.h"

#define PROG "ktls_interop_peer"
#define CHUNK (64 * 1024)
#define DIGEST_LEN WC_SHA256_DIGEST_SIZE
#define HEADER_MAX 16384
#define TEXT_LINE 64		/* --payload text: 63 hex digits and '\n' */
#define DEFAULT_TIMEOUT_S 60
#define DRAIN_TIMEOUT_S 5

enum mode { MODE_STREAM, MODE_HTTP };

struct options {
	enum ktls_role role;
	const char *host;	/* client: where to connect */
	const char *port;
	uint16_t version;
	const char *cipher;
	const char *groups;
	const char *cert;
	const char *key;
	const char *ca;
	const char *server_name;
	enum mode mode;
	bool text;
	size_t bytes;
	uint64_t seed;
	int timeout_s;
};

/* What we send: a xorshift64* stream, as bytes or as lines of hex. */
struct payload {
	uint64_t state;
	uint64_t word;
	unsigned int word_left;
	size_t pos;
	bool text;
};

struct digest {
	wc_Sha256 sha;
	size_t bytes;
	uint8_t out[DIGEST_LEN];
};

/* The sending half of a stream transfer, run in its own thread. */
struct sender {
	struct ktls_session *session;
	struct payload payload;
	size_t len;
	struct digest *digest;
	int ret;
	char reason[256];
};

static void err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void usage(void)
{
	fputs("usage: " PROG " (--server PORT | --client HOST:PORT)\n"
	      "  --version 1.2|1.3 --cipher IANA_NAME [--groups LIST]\n"
	      "  [--cert PEM --key PEM] [--ca PEM] [--server-name NAME]\n"
	      "  [--mode stream|echo|http] [--payload binary|text] [--bytes N]\n"
	      "  [--seed N] [--timeout SECONDS]\n", stderr);
}

static void digest_init(struct digest *d)
{
	memset(d, 0, sizeof(*d));
	wc_InitSha256(&d->sha);
}

static void digest_update(struct digest *d, const void *buf, size_t len)
{
	wc_Sha256Update(&d->sha, buf, (word32)len);
	d->bytes += len;
}

static void digest_final(struct digest *d)
{
	wc_Sha256Final(&d->sha, d->out);
	wc_Sha256Free(&d->sha);
}

static void print_digest(const char *what, const struct digest *d)
{
	printf("%s-bytes %zu\n%s-sha256 ", what, d->bytes, what);
	for (int i = 0; i < DIGEST_LEN; i++)
		printf("%02x", d->out[i]);
	putchar('\n');
}

static void payload_init(struct payload *p, uint64_t seed, bool text)
{
	memset(p, 0, sizeof(*p));
	p->state = seed ? seed : 0x9e3779b97f4a7c15ULL;
	p->text = text;
}

static uint8_t payload_byte(struct payload *p)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b;

	if (!p->word_left) {
		p->state ^= p->state >> 12;
		p->state ^= p->state << 25;
		p->state ^= p->state >> 27;
		p->word = p->state * 0x2545f4914f6cdd1dULL;
		p->word_left = 8;
	}
	b = (uint8_t)(p->word >> (8 * --p->word_left));
	if (p->text)
		b = p->pos % TEXT_LINE == TEXT_LINE - 1 ? '\n' : hex[b & 0xf];
	p->pos++;
	return b;
}

/* @last: these are the final bytes, so a text payload ends its line. */
static void payload_fill(struct payload *p, uint8_t *buf, size_t len,
			 bool last)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = payload_byte(p);
	if (last && p->text && len)
		buf[len - 1] = '\n';
}

static int send_all(struct ktls_session *session, const void *buf,
		    size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = ktls_send(session, p, len);

		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_payload(struct ktls_session *session, struct payload *p,
			size_t len, struct digest *d)
{
	static __thread uint8_t buf[CHUNK];
	size_t done = 0;
	int ret;

	while (done < len) {
		size_t n = len - done < CHUNK ? len - done : CHUNK;

		payload_fill(p, buf, n, done + n == len);
		digest_update(d, buf, n);
		ret = send_all(session, buf, n);
		if (ret)
			return ret;
		done += n;
	}
	return 0;
}

/* Receive exactly @len bytes into @d; more than that is an error. */
static int recv_exact(struct ktls_session *session, size_t len,
		      struct digest *d)
{
	static __thread uint8_t buf[CHUNK];

	while (d->bytes < len) {
		ssize_t n = ktls_recv(session, buf, sizeof(buf));

		if (n == -EINTR)
			continue;
		if (n == -EAGAIN) {
			err("receiving: no data for the timeout after %zu of %zu bytes",
			    d->bytes, len);
			return -ETIMEDOUT;
		}
		if (n < 0) {
			err("receiving after %zu of %zu bytes: %s", d->bytes,
			    len, ktls_reason());
			return (int)n;
		}
		if (n == 0) {
			err("the peer sent close_notify after %zu of %zu bytes",
			    d->bytes, len);
			return -EPROTO;
		}
		if (d->bytes + (size_t)n > len) {
			err("the peer sent more than %zu bytes", len);
			return -EPROTO;
		}
		digest_update(d, buf, (size_t)n);
	}
	return 0;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	s->ret = send_payload(s->session, &s->payload, s->len, s->digest);
	if (s->ret)
		snprintf(s->reason, sizeof(s->reason), "%s", ktls_reason());
	return NULL;
}

/* Send and receive @o->bytes at once. */
static int run_stream(struct ktls_session *session, const struct options *o,
		      struct digest *rx, struct digest *tx)
{
	struct sender s = {
		.session = session,
		.len = o->bytes,
		.digest = tx,
	};
	pthread_t thread;
	int ret;

	payload_init(&s.payload, o->seed, o->text);
	ret = -pthread_create(&thread, NULL, sender_main, &s);
	if (ret) {
		err("starting the sender thread: %s", strerror(-ret));
		return ret;
	}
	ret = recv_exact(session, o->bytes, rx);
	if (ret)	/* unblock the sender */
		shutdown(ktls_session_fd(session), SHUT_RDWR);
	pthread_join(thread, NULL);
	if (s.ret && !ret)
		err("sending after %zu of %zu bytes: %s", tx->bytes, o->bytes,
		    s.reason);
	return ret ? ret : s.ret;
}

/* The value of header @name in the header block @hdr, or NULL. */
static const char *header_value(const char *hdr, const char *name)
{
	size_t len = strlen(name);
	const char *line = strstr(hdr, "\r\n");

	while (line && line[2] != '\r') {
		line += 2;
		if (!strncasecmp(line, name, len) && line[len] == ':') {
			line += len + 1;
			while (*line == ' ' || *line == '\t')
				line++;
			return line;
		}
		line = strstr(line, "\r\n");
	}
	return NULL;
}

/* Read an HTTP/1.1 POST with a body of exactly @o->bytes into @rx. */
static int http_read_request(struct ktls_session *session,
			     const struct options *o, struct digest *rx)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	char hdr[HEADER_MAX + 1];
	const char *value, *end = NULL;
	unsigned long long length;
	size_t have = 0, head, body;
	char *endp;
	int ret;

	while (!end) {
		ssize_t n;

		if (sizeof(hdr) - 1 - have < KTLS_RECV_MIN) {
			err("HTTP request header larger than %d bytes",
			    HEADER_MAX);
			return -EMSGSIZE;
		}
		n = ktls_recv(session, hdr + have, sizeof(hdr) - 1 - have);
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			err("reading the HTTP request: %s",
			    n ? ktls_reason() : "close_notify before the header ended");
			return n ? (int)n : -EPROTO;
		}
		have += (size_t)n;
		hdr[have] = '\0';
		end = strstr(hdr, "\r\n\r\n");
	}
	head = (size_t)(end - hdr) + 4;
	body = have - head;
	if (strncmp(hdr, "POST ", 5)) {
		err("expected an HTTP POST, got \"%.*s\"",
		    (int)strcspn(hdr, "\r\n"), hdr);
		return -EPROTO;
	}
	value = header_value(hdr, "Content-Length");
	if (!value) {
		err("the HTTP request has no Content-Length");
		return -EPROTO;
	}
	errno = 0;
	length = strtoull(value, &endp, 10);
	if (errno || endp == value || length != o->bytes) {
		err("the HTTP request body is %.*s bytes, expected %zu",
		    (int)strcspn(value, "\r\n"), value, o->bytes);
		return -EPROTO;
	}
	if (body > length) {
		err("the peer sent more than the %llu-byte body", length);
		return -EPROTO;
	}
	digest_update(rx, hdr + head, body);
	value = header_value(hdr, "Expect");
	if (value && !strncasecmp(value, "100-continue", 12) && !body) {
		ret = send_all(session, cont, sizeof(cont) - 1);
		if (ret) {
			err("sending 100 Continue: %s", ktls_reason());
			return ret;
		}
	}
	return recv_exact(session, o->bytes, rx);
}

static int run_http(struct ktls_session *session, const struct options *o,
		    struct digest *rx, struct digest *tx)
{
	struct payload payload;
	char head[256];
	int ret, len;

	ret = http_read_request(session, o, rx);
	if (ret)
		return ret;
	len = snprintf(head, sizeof(head),
		       "HTTP/1.1 200 OK\r\n"
		       "Content-Type: application/octet-stream\r\n"
		       "Content-Length: %zu\r\n"
		       "Connection: close\r\n\r\n", o->bytes);
	ret = send_all(session, head, (size_t)len);
	if (!ret) {
		payload_init(&payload, o->seed, o->text);
		ret = send_payload(session, &payload, o->bytes, tx);
	}
	if (ret)
		err("sending the HTTP response after %zu of %zu body bytes: %s",
		    tx->bytes, o->bytes, ktls_reason());
	return ret;
}

static int set_timeouts(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

static int listen_and_accept(const struct options *o, int *fd)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct pollfd pfd = { .events = POLLIN };
	int one = 1, ret;
	char *end;
	long port;

	port = strtol(o->port, &end, 10);
	if (*end || port <= 0 || port > 65535) {
		err("bad port \"%s\"", o->port);
		return -EINVAL;
	}
	addr.sin_port = htons((uint16_t)port);
	pfd.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (pfd.fd < 0)
		return -errno;
	if (setsockopt(pfd.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(pfd.fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(pfd.fd, 1)) {
		ret = -errno;
		err("listening on 127.0.0.1:%ld: %s", port, strerror(-ret));
		goto out;
	}
	printf("listening %ld\n", port);
	fflush(stdout);
	ret = poll(&pfd, 1, o->timeout_s * 1000);
	if (ret <= 0) {
		ret = ret ? -errno : -ETIMEDOUT;
		err("no connection on port %ld within %d s", port,
		    o->timeout_s);
		goto out;
	}
	*fd = accept4(pfd.fd, NULL, NULL, SOCK_CLOEXEC);
	ret = *fd < 0 ? -errno : 0;
	if (ret)
		err("accept: %s", strerror(-ret));
out:
	close(pfd.fd);
	return ret;
}

/* Connect, retrying while nobody listens yet (the peer is starting). */
static int connect_retry(const struct options *o, int *fd)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV,
	};
	struct timespec pause = { .tv_nsec = 50 * 1000 * 1000 };
	time_t deadline = time(NULL) + o->timeout_s;
	struct addrinfo *ai;
	int ret;

	ret = getaddrinfo(o->host, o->port, &hints, &ai);
	if (ret) {
		err("resolving %s:%s: %s", o->host, o->port,
		    gai_strerror(ret));
		return -EINVAL;
	}
	for (;;) {
		*fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (*fd < 0) {
			ret = -errno;
			break;
		}
		if (!connect(*fd, ai->ai_addr, ai->ai_addrlen)) {
			ret = 0;
			break;
		}
		ret = -errno;
		close(*fd);
		*fd = -1;
		if (ret != -ECONNREFUSED || time(NULL) >= deadline)
			break;
		nanosleep(&pause, NULL);
	}
	freeaddrinfo(ai);
	if (ret)
		err("connecting to %s:%s: %s", o->host, o->port,
		    strerror(-ret));
	return ret;
}

/* The socket must really be in kernel TLS now. */
static int check_ulp(int fd)
{
	char ulp[16] = "";
	socklen_t len = sizeof(ulp) - 1;

	if (getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &len))
		return -errno;
	if (strcmp(ulp, "tls")) {
		err("the socket's upper layer protocol is \"%s\", not tls",
		    ulp);
		return -EPROTO;
	}
	return 0;
}

static int tls_setup(int fd, const struct options *o,
		     struct ktls_session **session)
{
	struct ktls_config config = {
		.role = o->role,
		.cert_file = o->cert,
		.key_file = o->key,
		.ca_file = o->ca,
		.server_name = o->server_name,
		.min_version = o->version,
		.max_version = o->version,
		.ciphers = o->cipher,
		.groups = o->groups,
		.handshake_timeout_ms = o->timeout_s * 1000,
	};
	struct ktls_ctx *ctx;
	int ret;

	ret = ktls_ctx_new(&config, &ctx);
	if (ret) {
		err("configuration: %s", ktls_reason());
		return ret;
	}
	ret = ktls_handshake(ctx, fd, session);
	ktls_ctx_free(ctx);
	if (ret) {
		err("handshake: %s", ktls_reason());
		return ret;
	}
	printf("version %s\ncipher %s\ngroup %s\nround-trips %d\n",
	       ktls_session_version(*session), ktls_session_cipher(*session),
	       ktls_session_group(*session),
	       ktls_session_round_trips(*session));
	ret = ktls_install(*session, KTLS_TX | KTLS_RX);
	if (ret) {
		err("installing kernel TLS TX and RX: %s", ktls_reason());
		goto fail;
	}
	ret = check_ulp(fd);
	if (ret) {
		err("reading TCP_ULP: %s", strerror(-ret));
		goto fail;
	}
	printf("ktls tx rx\n");
	fflush(stdout);
	return 0;
fail:
	ktls_session_free(*session);
	*session = NULL;
	return ret;
}

/*
 * close_notify, then FIN, then wait (briefly) for the peer to close too, so
 * that closing never resets a connection the peer is still reading. Anything
 * but the end of the stream here is data we did not expect.
 */
static int finish(struct ktls_session *session)
{
	static uint8_t buf[CHUNK];
	int fd = ktls_session_fd(session);
	const char *how = "close_notify";
	size_t extra = 0;
	int ret;

	ret = ktls_close_notify(session);
	if (ret) {
		err("%s", ktls_reason());
		return ret;
	}
	shutdown(fd, SHUT_WR);
	set_timeouts(fd, DRAIN_TIMEOUT_S);
	for (;;) {
		ssize_t n = ktls_recv(session, buf, sizeof(buf));

		if (n > 0) {
			extra += (size_t)n;
			continue;
		}
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			how = "timeout";
		else if (n < 0)
			how = n == -ECONNRESET ? "reset" : "error";
		if (n < 0 && n != -EAGAIN)
			err("after our close_notify: %s", ktls_reason());
		break;
	}
	printf("peer-close %s\n", how);
	if (extra) {
		err("the peer sent %zu bytes more than expected", extra);
		return -EPROTO;
	}
	return 0;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || end == s || *end ? -EINVAL : 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 'S' },
		{ "client", required_argument, NULL, 'C' },
		{ "version", required_argument, NULL, 'v' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "groups", required_argument, NULL, 'g' },
		{ "cert", required_argument, NULL, 'e' },
		{ "key", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'a' },
		{ "server-name", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'm' },
		{ "payload", required_argument, NULL, 'p' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char host[256];
	bool have_role = false;
	uint64_t value;
	char *colon;
	int opt;

	*o = (struct options){
		.bytes = 4 * 1024 * 1024,
		.timeout_s = DEFAULT_TIMEOUT_S,
	};
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'S':
			o->role = KTLS_ROLE_SERVER;
			o->port = optarg;
			have_role = true;
			break;
		case 'C':
			snprintf(host, sizeof(host), "%s", optarg);
			colon = strrchr(host, ':');
			if (!colon || colon == host || !colon[1]) {
				err("--client wants HOST:PORT, got \"%s\"",
				    optarg);
				return -EINVAL;
			}
			*colon = '\0';
			o->role = KTLS_ROLE_CLIENT;
			o->host = host;
			o->port = colon + 1;
			have_role = true;
			break;
		case 'v':
			if (!strcmp(optarg, "1.2")) {
				o->version = KTLS_TLS_1_2;
			} else if (!strcmp(optarg, "1.3")) {
				o->version = KTLS_TLS_1_3;
			} else {
				err("--version is 1.2 or 1.3, not \"%s\"",
				    optarg);
				return -EINVAL;
			}
			break;
		case 'c':
			o->cipher = optarg;
			break;
		case 'g':
			o->groups = optarg;
			break;
		case 'e':
			o->cert = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'a':
			o->ca = optarg;
			break;
		case 'n':
			o->server_name = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "stream") ||
			    !strcmp(optarg, "echo")) {
				o->mode = MODE_STREAM;
			} else if (!strcmp(optarg, "http")) {
				o->mode = MODE_HTTP;
			} else {
				err("--mode is stream or http, not \"%s\"",
				    optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			if (strcmp(optarg, "binary") && strcmp(optarg, "text")) {
				err("--payload is binary or text, not \"%s\"",
				    optarg);
				return -EINVAL;
			}
			o->text = !strcmp(optarg, "text");
			break;
		case 'b':
			if (parse_size(optarg, &value) || value > SIZE_MAX) {
				err("bad --bytes \"%s\"", optarg);
				return -EINVAL;
			}
			o->bytes = (size_t)value;
			break;
		case 's':
			if (parse_size(optarg, &o->seed)) {
				err("bad --seed \"%s\"", optarg);
				return -EINVAL;
			}
			break;
		case 't':
			if (parse_size(optarg, &value) || !value ||
			    value > 3600) {
				err("bad --timeout \"%s\" (1..3600 s)", optarg);
				return -EINVAL;
			}
			o->timeout_s = (int)value;
			break;
		default:
			usage();
			return -EINVAL;
		}
	}
	if (optind != argc || !have_role) {
		usage();
		return -EINVAL;
	}
	if (o->mode == MODE_HTTP && o->role != KTLS_ROLE_SERVER) {
		err("--mode http is a server mode");
		return -EINVAL;
	}
	if (o->role == KTLS_ROLE_CLIENT && !o->server_name)
		o->server_name = o->host;
	return 0;
}

int main(int argc, char **argv)
{
	struct ktls_session *session = NULL;
	struct digest rx, tx;
	struct options o;
	int fd = -1, ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	digest_init(&rx);
	digest_init(&tx);
	if (o.role == KTLS_ROLE_SERVER)
		ret = listen_and_accept(&o, &fd);
	else
		ret = connect_retry(&o, &fd);
	if (ret)
		goto out;
	ret = set_timeouts(fd, o.timeout_s);
	if (ret) {
		err("setting socket timeouts: %s", strerror(-ret));
		goto out;
	}
	ret = tls_setup(fd, &o, &session);
	if (ret)
		goto out;
	if (o.mode == MODE_HTTP)
		ret = run_http(session, &o, &rx, &tx);
	else
		ret = run_stream(session, &o, &rx, &tx);
	digest_final(&rx);
	digest_final(&tx);
	if (!ret) {
		print_digest("received", &rx);
		print_digest("sent", &tx);
		ret = finish(session);
	}
	ktls_session_free(session);
out:
	if (fd >= 0)
		close(fd);
	return ret ? 1 : 0;
}
