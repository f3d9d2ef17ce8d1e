/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libupcall internals. */
#ifndef KTLSD_UPCALL_INTERNAL_H
#define KTLSD_UPCALL_INTERNAL_H

#include <libmnl/libmnl.h>

#include "upcall.h"

struct upcall {
	struct mnl_socket *mcast;	/* READY notifications: the fd to poll */
	struct mnl_socket *cmd;		/* ACCEPT and DONE, one at a time */
	uint32_t cmd_portid;
	uint32_t seq;
	struct upcall_caps caps;
};

/* Send @nlh on the command socket and run @cb on the answers until the ack. */
int upcall_transact(struct upcall *up, struct nlmsghdr *nlh, mnl_cb_t cb,
		    void *data);
struct nlmsghdr *upcall_msg(struct upcall *up, void *buf, uint16_t type,
			    uint8_t cmd, uint8_t version);

int upcall_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* KTLSD_UPCALL_INTERNAL_H */
