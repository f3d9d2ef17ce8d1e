/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The upcall broker (ktlsd-upcall): the one process that keeps root and
 * CAP_NET_ADMIN when kernel upcalls are on. It owns the handshake netlink
 * socket, ACCEPTs, reads the request's key serials, hands socket and key
 * material to the worker (upcall_wire.h), looks a PSK server's keys up
 * for it, and sends DONE with what the worker reports. The worker runs as
 * the configured user without capabilities.
 *
 * upcall_broker.c is the part that judges the worker's messages, with
 * the kernel behind @ops (so a test drives it without one);
 * upcall_broker_main.c is the process around it.
 */
#ifndef KTLSD_UPCALL_BROKER_H
#define KTLSD_UPCALL_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ktls/signer.h"
#include "upcall.h"
#include "upcall_wire.h"

/* How many keys one PSK server handshake may ask for (identities offered). */
#define BROKER_MAX_LOOKUPS 16
/* How many signatures one handshake may ask for (it makes one). */
#define BROKER_MAX_SIGNS 2

/* A request handed to the worker, until its DONE. */
struct broker_req {
	struct upcall_req req;		/* sockfd: the broker's own */
	uint64_t id;
	int chan;			/* the broker's end of its channel */
	uint32_t flags;			/* UPW_F_* */
	int32_t psk_serial;		/* REMOTE_AUTH of a PSK request */
	unsigned int lookups, signs;
	/* A private key from a key serial: it signs here, never in the worker. */
	struct ktls_private_key *key;
	int64_t deadline_ms;		/* DONE ETIMEDOUT if still here */
};

struct broker_ops {
	/* DONE (upcall_report); closes req->sockfd. */
	int (*report)(void *arg, struct upcall_req *req,
		      const struct upcall_outcome *out, int32_t psk_serial);
	/* A PSK server's key for @identity: 0, -ENOKEY, -errno. */
	int (*psk_find)(void *arg, const struct upcall_req *req,
			const char *identity, uint8_t *key, size_t *key_len,
			int32_t *serial);
	void *arg;
};

struct broker {
	struct broker_ops ops;
	struct broker_req **reqs;
	unsigned int nr_reqs, cap;
	uint64_t next_id;
};

/* Track @req (taken over; its sockfd and @chan are closed at its end). */
struct broker_req *broker_add(struct broker *b, const struct upcall_req *req,
			      int chan, uint32_t flags, int64_t deadline_ms);

/*
 * One message of @len bytes from @r's channel (@len 0: the worker closed
 * it). Returns true if @r is over: its DONE went out and it is freed;
 * anything unexpected ends it that way with EIO.
 */
bool broker_message(struct broker *b, struct broker_req *r, const void *buf,
		    size_t len);

/* End @r with DONE @status (positive errno) and @why, and free it. */
void broker_fail(struct broker *b, struct broker_req *r, int status,
		 const char *why);
/* DONE ETIMEDOUT for requests past their deadline; ms to the next, or -1. */
int broker_expire(struct broker *b, int64_t now_ms);
/* End every request with @status (the worker is gone, or we stop). */
void broker_fail_all(struct broker *b, int status, const char *why);

/*
 * Open the upcall as [upcall] enable says: *@up is NULL if it is off, or
 * "auto" on a kernel without the family (logged at info). -errno with
 * @err saying which kernel or module is needed if it must be on and cannot.
 */
int ktlsd_upcall_open(const struct ktlsd_config *config, struct upcall **up,
		      char *err, size_t err_len);

/* The broker process: never returns (see upcall_broker_main.c). */
struct broker_args {
	const struct ktlsd_config *config;
	int ctl_fd;		/* to the monitor: ready, then its words */
	int jobs_fd;		/* UPW_REQUESTs to the worker */
};

void ktlsd_broker_main(const struct broker_args *a)
	__attribute__((noreturn));

#endif /* KTLSD_UPCALL_BROKER_H */
