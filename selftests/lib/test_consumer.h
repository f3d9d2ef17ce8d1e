/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Driving kmod/'s test consumer from a test: load the modules built for
 * the running kernel, run one consumer command, read its report.
 */
#ifndef KTLSD_TEST_CONSUMER_H
#define KTLSD_TEST_CONSUMER_H

#include <stddef.h>

#define CONSUMER "/proc/ktlsd_test_consumer"
#define KMOD_DIR "/ktlsd/kmod"
#define NO_KMOD "no ktlsd_test_consumer.ko built for this kernel in the guest's /ktlsd/kmod (make deps, then make, build BUILD/kmod/KERNEL)"

struct consumer_result {
	int status;
	char stage[32];
	size_t sent, received;
	int peerid;
	char tx[65], rx[65];
};

/* insmod KMOD_DIR/NAME.ko; 0 if loaded or already there, else -errno. */
int load_module(const char *name);
/*
 * The consumer, and on 6.1 our handshake family first: 0, 1 to skip (no
 * kmod built for this kernel), or -errno.
 */
int load_modules(void);
/* Run one consumer command; -errno if the command itself was refused. */
int consumer_run(const char *cmd, struct consumer_result *res);

/*
 * The userspace peer's sockets: a listener on 127.0.0.1 (any port, in
 * *@port), or a connection to the consumer's, retried for 10 s while the
 * consumer has yet to listen. An fd or -errno.
 */
int consumer_peer_listen(int *port, int backlog);
int consumer_peer_connect(int port);

#endif /* KTLSD_TEST_CONSUMER_H */
