/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's handshake upcalls in ktlsd's event loops: a READY wakes one
 * loop, which ACCEPTs the requests and runs each handshake stepped, like a
 * handoff's, until DONE. Every accepted request gets a DONE, whatever
 * happens: success, failure, its deadline, or ktlsd stopping.
 */
#ifndef KTLSD_UPCALL_SERVER_H
#define KTLSD_UPCALL_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"
#include "upcall.h"

struct ktlsd_profile;

struct upcall_job {
	struct ktlsd_task task;		/* first: the loop's view */
	struct ktlsd_loop *loop;
	struct ktlsd_watch watch;	/* the request's socket */
	uint32_t events;		/* registered in epoll, 0 if not */
	struct upcall_req req;
	struct upcall_handshake *hs;
	struct ktlsd_profile *profile;
	int refused;			/* -errno: DONE waits for the delay */
	char why[512];			/* the refusal's reason until then */
	bool done;
};

/*
 * Open the upcall as [upcall] enable says: *@up is NULL if it is off, or
 * "auto" on a kernel without the family (logged at info). -errno with
 * @err saying which kernel or module is needed if it must be on and cannot.
 */
int ktlsd_upcall_open(const struct ktlsd_config *config, struct upcall **up,
		      char *err, size_t err_len);

/*
 * Before the loops start, after any fork: our process keyring (where peer
 * identities go, visible only to threads started after it exists), with
 * the keyrings [upcall] keyrings names linked into it. @up is served by
 * the loops from then on.
 */
int ktlsd_upcall_prepare(const struct ktlsd_config *config, struct upcall *up,
			 char *err, size_t err_len);

/* The READY notifications are readable: take what is waiting. */
void upcall_jobs_accept(struct ktlsd_loop *loop);
/* The request's socket is ready for its handshake. */
void upcall_job_event(struct upcall_job *job, uint32_t events);

#endif /* KTLSD_UPCALL_SERVER_H */
