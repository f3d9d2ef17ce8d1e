// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The netlink side: find the handshake family, join its tlshd group, and
 * send commands on a second socket so that replies never mix with
 * notifications.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>

#include "upcall_internal.h"

static __thread char reason[512];

const char *upcall_reason(void)
{
	return reason;
}

int upcall_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return err;
}

struct nlmsghdr *upcall_msg(void *buf, uint16_t type,
			    uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/*
 * One request and its answers at a time on the command socket: ktlsd's
 * event loops share it, and an answer must reach the thread that asked.
 */
int upcall_transact_locked(struct upcall *up, struct nlmsghdr *nlh,
			   mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = ++up->seq;
	if (mnl_socket_sendto(up->cmd, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(up->cmd, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, n, nlh->nlmsg_seq, up->cmd_portid, cb,
				 data);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

int upcall_transact(struct upcall *up, struct nlmsghdr *nlh, mnl_cb_t cb,
		    void *data)
{
	int ret;

	pthread_mutex_lock(&up->cmd_lock);
	ret = upcall_transact_locked(up, nlh, cb, data);
	pthread_mutex_unlock(&up->cmd_lock);
	return ret;
}

static int open_socket(struct mnl_socket **out)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	int err;

	if (!nl)
		return upcall_fail(-errno, "netlink socket: %s", strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl);
		return upcall_fail(err, "netlink bind: %s", strerror(-err));
	}
	*out = nl;
	return 0;
}

static int parse_group(const struct nlattr *grp, struct upcall_caps *caps)
{
	const struct nlattr *attr;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(attr, grp) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
				return MNL_CB_ERROR;
			name = mnl_attr_get_str(attr);
			break;
		case CTRL_ATTR_MCAST_GRP_ID:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return MNL_CB_ERROR;
			id = mnl_attr_get_u32(attr);
			break;
		}
	}
	if (name && !strcmp(name, HANDSHAKE_MCGRP_TLSHD))
		caps->mcgrp_tlshd = id;
	return MNL_CB_OK;
}

static int parse_op(const struct nlattr *op, struct upcall_caps *caps)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, op) {
		if (mnl_attr_get_type(attr) != CTRL_ATTR_OP_ID)
			continue;
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		if (mnl_attr_get_u32(attr) == HANDSHAKE_CMD_ACCEPT)
			caps->accept = true;
		if (mnl_attr_get_u32(attr) == HANDSHAKE_CMD_DONE)
			caps->done = true;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct upcall_caps *caps = data;
	const struct nlattr *attr, *item;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
				return MNL_CB_ERROR;
			caps->family_id = mnl_attr_get_u16(attr);
			break;
		case CTRL_ATTR_VERSION:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return MNL_CB_ERROR;
			caps->version = mnl_attr_get_u32(attr);
			break;
		case CTRL_ATTR_OPS:
			mnl_attr_for_each_nested(item, attr)
				if (parse_op(item, caps) != MNL_CB_OK)
					return MNL_CB_ERROR;
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(item, attr)
				if (parse_group(item, caps) != MNL_CB_OK)
					return MNL_CB_ERROR;
			break;
		}
	}
	return MNL_CB_OK;
}

static int resolve_family(struct upcall *up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int err;

	nlh = upcall_msg(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, HANDSHAKE_FAMILY_NAME);
	err = upcall_transact(up, nlh, family_cb, &up->caps);
	if (err == -ENOENT)
		return upcall_fail(err, "no \"%s\" netlink family: this kernel "
				   "has no net/handshake (Linux >= 6.4), and the "
				   "ktlsd_handshake module is not loaded "
				   "(insmod ktlsd_handshake.ko)",
				   HANDSHAKE_FAMILY_NAME);
	if (err)
		return upcall_fail(err, "asking the kernel for the \"%s\" netlink "
				   "family: %s",
				   HANDSHAKE_FAMILY_NAME, strerror(-err));
	if (!up->caps.family_id || !up->caps.mcgrp_tlshd)
		return upcall_fail(-EPROTO, "the kernel's \"%s\" family has no "
				   "\"%s\" multicast group",
				   HANDSHAKE_FAMILY_NAME, HANDSHAKE_MCGRP_TLSHD);
	if (up->caps.version != HANDSHAKE_FAMILY_VERSION || !up->caps.accept ||
	    !up->caps.done)
		return upcall_fail(-EPROTO, "the kernel's \"%s\" family is version "
				   "%u%s; this daemon speaks version %u with "
				   "ACCEPT and DONE",
				   HANDSHAKE_FAMILY_NAME, up->caps.version,
				   up->caps.accept && up->caps.done ? "" :
				   " without ACCEPT or DONE",
				   HANDSHAKE_FAMILY_VERSION);
	return 0;
}

int upcall_open(struct upcall **out)
{
	struct upcall *up = calloc(1, sizeof(*up));
	unsigned int grp;
	int err;

	if (!up)
		return upcall_fail(-ENOMEM, "out of memory");
	up->seq = (uint32_t)time(NULL);
	pthread_mutex_init(&up->cmd_lock, NULL);
	err = open_socket(&up->cmd);
	if (err)
		goto out_free;
	up->cmd_portid = mnl_socket_get_portid(up->cmd);
	err = resolve_family(up);
	if (err)
		goto out_close_cmd;
	err = open_socket(&up->mcast);
	if (err)
		goto out_close_cmd;
	grp = up->caps.mcgrp_tlshd;
	if (mnl_socket_setsockopt(up->mcast, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		err = upcall_fail(-errno, "joining the \"%s\" multicast group: %s",
				  HANDSHAKE_MCGRP_TLSHD, strerror(errno));
		goto out_close_mcast;
	}
	*out = up;
	return 0;

out_close_mcast:
	mnl_socket_close(up->mcast);
out_close_cmd:
	mnl_socket_close(up->cmd);
out_free:
	pthread_mutex_destroy(&up->cmd_lock);
	free(up);
	return err;
}

void upcall_close(struct upcall *up)
{
	if (!up)
		return;
	mnl_socket_close(up->mcast);
	mnl_socket_close(up->cmd);
	upcall_rings_free(up);
	pthread_mutex_destroy(&up->cmd_lock);
	free(up);
}

int upcall_fd(const struct upcall *up)
{
	return mnl_socket_get_fd(up->mcast);
}

const struct upcall_caps *upcall_caps(const struct upcall *up)
{
	return &up->caps;
}
