// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A stand-in handshake daemon for the NFS test, until ktlsd answers the
 * kernel's upcalls itself: accepts each request in a child process of its
 * own (an NFS mount makes two at once, client and server, and
 * upcall_serve() blocks), which serves it with libupcall and exits.
 *
 *   nfs_upcall_stub CA_FILE CERT_FILE KEY_FILE
 *
 * Logs one line per request to stderr; runs until killed.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "upcall.h"

static void serve_one(const struct upcall_serve_config *cfg)
{
	struct upcall_req req;
	struct upcall *up;
	int n, status;

	/* Our own netlink sockets: replies never mix with the parent's. */
	if (upcall_open(&up)) {
		fprintf(stderr, "stub: %s\n", upcall_reason());
		_exit(1);
	}
	n = upcall_accept(up, &req, 1);
	if (n <= 0) {
		if (n < 0)
			fprintf(stderr, "stub: %s\n", upcall_reason());
		_exit(n < 0);
	}
	status = upcall_serve(up, &req, cfg);
	fprintf(stderr, "stub: %s %s (peer \"%s\"): status %d%s%s\n",
		upcall_msg_type_name(req.msg_type),
		upcall_auth_name(req.auth_mode), req.peername, status,
		status ? ": " : "", status ? upcall_reason() : "");
	upcall_close(up);
	_exit(status != 0);
}

int main(int argc, char **argv)
{
	struct upcall_serve_config cfg = { 0 };
	char buf[8192];
	struct upcall *up;
	struct pollfd pfd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CA CERT KEY\n", argv[0]);
		return 2;
	}
	cfg.ca_file = argv[1];
	cfg.cert_file = argv[2];
	cfg.key_file = argv[3];
	signal(SIGCHLD, SIG_IGN);	/* children reap themselves */
	if (upcall_open(&up)) {
		fprintf(stderr, "stub: %s\n", upcall_reason());
		return 1;
	}
	fprintf(stderr, "stub: ready\n");
	pfd.fd = upcall_fd(up);
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("stub: poll");
			return 1;
		}
		/*
		 * A child per READY (or overrun): it ACCEPTs whatever waits,
		 * and one that finds nothing left just exits.
		 */
		while (recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 ||
		       errno == ENOBUFS)
			if (fork() == 0)
				serve_one(&cfg);
	}
}
