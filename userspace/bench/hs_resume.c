// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-hs-resume: TLS 1.3 resumption load without kernel TLS, for
 * privsep_cost.sh. Plain WolfSSL clients, one thread each, connect again
 * and again; each reads until the server closes (taking its ticket) and
 * offers the newest ticket it holds on the next connection (--full: none).
 * It keeps the session a ticket came with, as OpenSSL's clients do
 * (WolfSSL's session after a resumption pairs the old ticket with the new
 * connection's secret). Prints: handshakes=N resumed=N errors=N
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "hs_common.h"

static struct sockaddr_in addr;
static WOLFSSL_CTX *ctx;
static int64_t deadline_us;
static bool full;
static atomic_ulong done, resumed, errors;

struct client {
	WOLFSSL_SESSION *last;
	uint8_t ticket[4096];
	word32 ticket_len;
};

static void keep_new_ticket(struct client *c, WOLFSSL *ssl)
{
	uint8_t ticket[sizeof(c->ticket)];
	word32 len = sizeof(ticket);

	if (wolfSSL_get_SessionTicket(ssl, ticket, &len) != WOLFSSL_SUCCESS ||
	    !len || (len == c->ticket_len && !memcmp(ticket, c->ticket, len)))
		return;
	memcpy(c->ticket, ticket, len);
	c->ticket_len = len;
	wolfSSL_SESSION_free(c->last);
	c->last = wolfSSL_get1_session(ssl);
}

static int one_connection(struct client *c)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	WOLFSSL *ssl = NULL;
	uint8_t one;
	int ret = -EIO;

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		goto out;
	ssl = wolfSSL_new(ctx);
	if (!ssl)
		goto out;
	wolfSSL_set_fd(ssl, fd);
	wolfSSL_UseSessionTicket(ssl);
	if (c->last && !full)
		wolfSSL_set_session(ssl, c->last);
	if (wolfSSL_connect(ssl) != WOLFSSL_SUCCESS)
		goto out;
	/* The ticket, then the end: ktlsd answered the handoff. */
	wolfSSL_read(ssl, &one, 1);
	if (wolfSSL_session_reused(ssl))
		atomic_fetch_add(&resumed, 1);
	keep_new_ticket(c, ssl);
	ret = 0;
out:
	wolfSSL_free(ssl);
	if (fd >= 0)
		close(fd);
	return ret;
}

static void *run(void *arg)
{
	struct client c = { 0 };

	(void)arg;
	/* Not counted: the full handshake that brings the first ticket. */
	one_connection(&c);
	while (hs_now_us() < deadline_us) {
		if (one_connection(&c))
			atomic_fetch_add(&errors, 1);
		else
			atomic_fetch_add(&done, 1);
	}
	wolfSSL_SESSION_free(c.last);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, 'a' },
		{ "conns", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "full", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *connect_to = NULL, *ca = NULL;
	int conns = 4, seconds = 5, opt;
	pthread_t threads[64];

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt == 'c')
			connect_to = optarg;
		else if (opt == 'a')
			ca = optarg;
		else if (opt == 'n')
			conns = atoi(optarg);
		else if (opt == 's')
			seconds = atoi(optarg);
		else if (opt == 'f')
			full = true;
		else
			return 2;
	}
	if (!connect_to || !ca || hs_parse_addr(connect_to, &addr) ||
	    conns < 1 || conns > 64 || seconds < 1) {
		fprintf(stderr, "usage: ktls-hs-resume --connect ADDR:PORT --ca FILE [--conns N] [--seconds S] [--full]\n");
		return 2;
	}
	wolfSSL_Init();
	ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
	if (!ctx || wolfSSL_CTX_load_verify_locations(ctx, ca, NULL) !=
			    WOLFSSL_SUCCESS) {
		fprintf(stderr, "ktls-hs-resume: cannot load %s\n", ca);
		return 1;
	}
	deadline_us = hs_now_us() + (int64_t)seconds * 1000000;
	for (int i = 0; i < conns; i++)
		pthread_create(&threads[i], NULL, run, NULL);
	for (int i = 0; i < conns; i++)
		pthread_join(threads[i], NULL);
	printf("handshakes=%lu resumed=%lu errors=%lu\n", atomic_load(&done),
	       atomic_load(&resumed), atomic_load(&errors));
	wolfSSL_CTX_free(ctx);
	return 0;
}
