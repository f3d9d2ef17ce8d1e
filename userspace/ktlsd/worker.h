/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The worker: the one process that talks to peers. It builds its TLS
 * contexts while still root (certificates, trust stores; never a private
 * key), enters its sandbox (sandbox.h) and runs the event loops until the
 * monitor says drain or stop. Signatures come from the key process.
 */
#ifndef KTLSD_WORKER_H
#define KTLSD_WORKER_H

#include <stdbool.h>

#include "config.h"
#include "sandbox.h"

/* What the monitor says on the control socket. */
#define KTLSD_CTL_DRAIN "drain"
#define KTLSD_CTL_STOP "stop"
/* ...and what a worker or broker answers once it accepts no more. */
#define KTLSD_CTL_DRAINED "drained"
/* How long a worker waits for its loops to leave the listener. */
#define KTLSD_DRAIN_ACK_MS 2000

struct ktlsd_worker_args {
	const struct ktlsd_config *config;
	const struct ktlsd_identity *id;
	int threads;
	int listen_fd;		/* -1: no handoffs */
	int jobs_fd;		/* the upcall broker's requests; -1: none */
	int ctl_fd;		/* to the monitor: "" ready, or why not */
	const int *key_fds;	/* to the key process, one per thread */
	int nr_key_fds;
};

void ktlsd_worker_main(const struct ktlsd_worker_args *args)
	__attribute__((noreturn));

#endif /* KTLSD_WORKER_H */
