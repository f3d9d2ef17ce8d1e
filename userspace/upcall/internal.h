/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libupcall internals. */
#ifndef KTLSD_UPCALL_INTERNAL_H
#define KTLSD_UPCALL_INTERNAL_H

#include <pthread.h>
#include <libmnl/libmnl.h>

#include "ktls/ktls.h"
#include "upcall.h"

struct upcall {
	struct mnl_socket *mcast;	/* READY notifications: the fd to poll */
	struct mnl_socket *cmd;		/* ACCEPT and DONE, one at a time */
	pthread_mutex_t cmd_lock;	/* guards cmd and seq: loops share it */
	uint32_t cmd_portid;
	uint32_t seq;
	struct upcall_caps caps;
};

/* Send @nlh on the command socket and run @cb on the answers until the ack. */
int upcall_transact(struct upcall *up, struct nlmsghdr *nlh, mnl_cb_t cb,
		    void *data);
struct nlmsghdr *upcall_msg(void *buf, uint16_t type,
			    uint8_t cmd, uint8_t version);

/* Store a verified peer's identity as a key; its serial in *@serial. */
int upcall_peer_key_add(const struct upcall_req *req,
			struct ktls_session *session, int32_t *serial);

#endif /* KTLSD_UPCALL_INTERNAL_H */
