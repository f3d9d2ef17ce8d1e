/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One configuration at work: its key process, its worker and (with kernel
 * upcalls) its upcall broker, forked by the
 * monitor (main.c), which keeps only the configuration, the listening
 * socket and its signals. A reload starts a new generation and drains the
 * old one; see docs/design.md for who holds which secret.
 */
#ifndef KTLSD_GENERATION_H
#define KTLSD_GENERATION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "sandbox.h"

struct ktlsd_generation {
	pid_t worker, keys, broker;	/* 0 once reaped (or no broker) */
	int ctl_fd;		/* the worker's control socket */
	int broker_ctl_fd;	/* the upcall broker's, -1 without upcalls */
	struct ktlsd_config *config;	/* owned */
};

/* What every generation shares. */
struct ktlsd_spawn {
	struct ktlsd_identity id;
	int listen_fd;		/* -1: no handoffs */
	bool upcalls;
	int threads;
	/* the monitor's own fds, closed in the children */
	int keep_out[8];
	int nr_keep_out;
};

/*
 * Fork the key process, the upcall broker (spawn->upcalls) and the worker
 * for @config (taken over) and wait until all are ready. On failure both are gone and @err says why
 * ("PATH:LINE: reason" for a configuration error, then -EINVAL).
 */
int ktlsd_generation_start(struct ktlsd_config *config,
			   const struct ktlsd_spawn *spawn,
			   struct ktlsd_generation *gen, char *err,
			   size_t err_len);
/* Tell the worker (and broker) KTLSD_CTL_DRAIN or KTLSD_CTL_STOP. */
void ktlsd_generation_tell(struct ktlsd_generation *gen, const char *word);
/*
 * A reload's old generation: tell it KTLSD_CTL_DRAIN and wait until its
 * worker (and broker) say they accept no more, so that every connection
 * made after this returns meets the new configuration. 0, or -ETIMEDOUT
 * (or -EIO: one ended) and @err says which did not answer.
 */
int ktlsd_generation_drain(struct ktlsd_generation *gen, char *err,
			   size_t err_len);
/* @pid has ended: forget it; true if it was one of @gen's. */
bool ktlsd_generation_reaped(struct ktlsd_generation *gen, pid_t pid);
bool ktlsd_generation_gone(const struct ktlsd_generation *gen);
/* Close what is left (after all are reaped). */
void ktlsd_generation_free(struct ktlsd_generation *gen);

/* A child's SIGTERM and SIGINT, as a signalfd (-1 and errno on failure). */
int ktlsd_child_signals(void);

/* "exited with status 2", "killed by SIGSYS (...)": for the log. */
void ktlsd_describe_exit(int status, char *out, size_t out_len);

#endif /* KTLSD_GENERATION_H */
