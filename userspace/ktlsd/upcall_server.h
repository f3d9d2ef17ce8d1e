/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's handshake upcalls in ktlsd's event loops: the upcall broker
 * (upcall_broker.h) ACCEPTs each request and hands it over on the jobs
 * channel; one loop takes it and runs its handshake stepped, like a
 * handoff's, then reports the outcome on the request's own channel, for
 * the broker's DONE. Every request handed over gets a result, whatever
 * happens: success, failure, its deadline, or ktlsd stopping.
 */
#ifndef KTLSD_UPCALL_SERVER_H
#define KTLSD_UPCALL_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ktls/signer.h"
#include "loop.h"
#include "upcall.h"

struct ktlsd_profile;

struct upcall_job {
	struct ktlsd_task task;		/* its deadline, in its loop */
	struct ktlsd_loop *loop;
	struct ktlsd_watch watch;	/* the request's socket */
	uint32_t events;		/* registered in epoll, 0 if not */
	struct upcall_req req;
	uint64_t id;			/* the broker's name for it */
	int chan;			/* the request's channel */
	struct ktls_signer signer;	/* a key-serial key: the broker signs */
	struct upcall_handshake *hs;
	struct ktlsd_profile *profile;
	int refused;			/* -errno: DONE waits for the delay */
	char why[512];			/* the refusal's reason until then */
	bool done;
};

/*
 * The broker's jobs channel @jobs_fd as the loops' source of upcalls: each
 * request it brings runs as a job in the loop that takes it.
 */
struct ktlsd_source *upcall_jobs_source(int jobs_fd);

#endif /* KTLSD_UPCALL_SERVER_H */
