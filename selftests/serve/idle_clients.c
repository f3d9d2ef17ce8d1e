// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * For the memory measurement of ktls-serve (not a test): open N TLS
 * connections to HOST:PORT, fetch one small file on each so it is a real
 * keep-alive connection, then keep them all open and idle until killed.
 * Each client end goes into kernel TLS and frees its session, so this
 * program stays small too.
 *
 *   idle_clients 127.0.0.1 8443 CA.pem /path N
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls/ktls.h"

static int connect_to(const char *host, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* One GET on a fresh kTLS connection; the response must be a 200. */
static int one(struct ktls_ctx *ctx, const char *host, int port,
	       const char *path)
{
	struct ktls_session *session;
	char req[512], resp[4096];
	ssize_t n;
	int fd, ret, len;

	fd = connect_to(host, port);
	if (fd < 0)
		return fd;
	ret = ktls_handshake(ctx, fd, &session);
	if (ret)
		goto close_fd;
	ret = ktls_install(session, KTLS_TX | KTLS_RX);
	ktls_session_free(session);
	if (ret)
		goto close_fd;
	len = snprintf(req, sizeof(req),
		       "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
	if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
		ret = -EIO;
		goto close_fd;
	}
	n = ktls_recv_fd(fd, resp, sizeof(resp) - 1);
	if (n <= 0 || strncmp(resp, "HTTP/1.1 200 ", 13)) {
		ret = -EPROTO;
		goto close_fd;
	}
	return fd;

close_fd:
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = "127.0.0.1",
	};
	struct rlimit rl = { .rlim_cur = 1 << 20, .rlim_max = 1 << 20 };
	struct ktls_ctx *ctx;
	int i, count, fd;

	if (argc != 6) {
		fprintf(stderr, "usage: idle_clients HOST PORT CA PATH N\n");
		return 2;
	}
	config.ca_file = argv[3];
	count = atoi(argv[5]);
	setrlimit(RLIMIT_NOFILE, &rl);
	if (ktls_ctx_new(&config, &ctx)) {
		fprintf(stderr, "idle_clients: %s\n", ktls_reason());
		return 1;
	}
	for (i = 0; i < count; i++) {
		fd = one(ctx, argv[1], atoi(argv[2]), argv[4]);
		if (fd < 0) {
			fprintf(stderr, "idle_clients: connection %d: %s (%s)\n",
				i, strerror(-fd), ktls_reason());
			return 1;
		}
		if ((i + 1) % 1000 == 0)
			fprintf(stderr, "idle_clients: %d open\n", i + 1);
	}
	printf("idle %d\n", count);
	fflush(stdout);
	pause();
	return 0;
}
