// SPDX-License-Identifier: GPL-2.0
/*
 * The "handshake" generic netlink family for kernels without
 * net/handshake: READY goes to the daemons' multicast group, a daemon
 * answers with ACCEPT (and gets the socket as a new fd) and later DONE.
 */

#include <linux/err.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/net.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "hs.h"

enum hs_nl_mcgrp {
	HS_NL_MCGRP_NONE,
	HS_NL_MCGRP_TLSHD,
};

static const struct genl_multicast_group hs_nl_mcgrps[] = {
	[HS_NL_MCGRP_NONE] = { .name = HANDSHAKE_MCGRP_NONE, },
	[HS_NL_MCGRP_TLSHD] = { .name = HANDSHAKE_MCGRP_TLSHD, },
};

static const struct nla_policy hs_nl_accept_policy[HANDSHAKE_A_ACCEPT_HANDLER_CLASS + 1] = {
	[HANDSHAKE_A_ACCEPT_HANDLER_CLASS] =
		NLA_POLICY_MAX(NLA_U32, HANDSHAKE_HANDLER_CLASS_MAX - 1),
};

static const struct nla_policy hs_nl_done_policy[HANDSHAKE_A_DONE_MAX + 1] = {
	/* A positive errno: anything larger is refused (-ERANGE), as Linux does. */
	[HANDSHAKE_A_DONE_STATUS] = NLA_POLICY_MAX(NLA_U32, MAX_ERRNO),
	[HANDSHAKE_A_DONE_SOCKFD] = { .type = NLA_S32, },
	[HANDSHAKE_A_DONE_REMOTE_AUTH] = { .type = NLA_U32, },
};

int hs_nl_notify_ready(struct net *net, gfp_t flags)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&hs_nl_family, net, HS_NL_MCGRP_TLSHD))
		return -ESRCH;

	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE, flags);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &hs_nl_family, 0, HANDSHAKE_CMD_READY);
	if (!hdr)
		goto out_free;
	if (nla_put_u32(msg, HANDSHAKE_A_ACCEPT_HANDLER_CLASS,
			HANDSHAKE_HANDLER_CLASS_TLSHD))
		goto out_free;
	genlmsg_end(msg, hdr);
	return genlmsg_multicast_netns(&hs_nl_family, net, msg, 0,
				       HS_NL_MCGRP_TLSHD, flags);

out_free:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int hs_nl_accept_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct file *file;
	struct hs_req *req;
	int fd, err;

	if (GENL_REQ_ATTR_CHECK(info, HANDSHAKE_A_ACCEPT_HANDLER_CLASS))
		return -EINVAL;
	if (nla_get_u32(info->attrs[HANDSHAKE_A_ACCEPT_HANDLER_CLASS]) !=
	    HANDSHAKE_HANDLER_CLASS_TLSHD)
		return -EAGAIN;		/* nothing queued for that class */

	req = hs_req_next(net, &file);
	if (!req)
		return -EAGAIN;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto out_fail;
	}
	err = hs_tls_accept_reply(req, info, fd);
	if (err) {
		put_unused_fd(fd);
		goto out_fail;
	}
	fd_install(fd, file);
	hs_req_put(req);
	return 0;

out_fail:
	fput(file);
	/* The consumer may have cancelled meanwhile; else it hears of it. */
	if (hs_req_unlink(req))
		hs_req_complete(req, -EIO, TLS_NO_PEERID);
	hs_req_put(req);
	return err;
}

static int hs_nl_done_doit(struct sk_buff *skb, struct genl_info *info)
{
	key_serial_t peerid = TLS_NO_PEERID;
	const struct nlattr *nla;
	struct socket *sock;
	struct hs_req *req;
	int status, err, rem;

	if (GENL_REQ_ATTR_CHECK(info, HANDSHAKE_A_DONE_SOCKFD))
		return -EINVAL;
	sock = sockfd_lookup(nla_get_s32(info->attrs[HANDSHAKE_A_DONE_SOCKFD]),
			     &err);
	if (!sock)
		return err;

	/*
	 * -EBUSY: not ours, already done, or cancelled. -EINVAL: queued but
	 * never ACCEPTed: only the daemon that took it may end it.
	 */
	err = hs_req_claim_accepted(sock->sk, &req);
	if (err) {
		sockfd_put(sock);
		return err;
	}

	/* A DONE that says nothing is no success. */
	status = -EIO;
	if (info->attrs[HANDSHAKE_A_DONE_STATUS])
		status = -(int)nla_get_u32(info->attrs[HANDSHAKE_A_DONE_STATUS]);
	/* The consumer's callback takes one peer identity: the first. */
	nlmsg_for_each_attr(nla, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(nla) == HANDSHAKE_A_DONE_REMOTE_AUTH) {
			peerid = nla_get_u32(nla);
			break;
		}
	}
	hs_req_complete(req, status, peerid);
	sockfd_put(sock);
	return 0;
}

static const struct genl_ops hs_nl_ops[] = {
	{
		.cmd		= HANDSHAKE_CMD_ACCEPT,
		.doit		= hs_nl_accept_doit,
		.policy		= hs_nl_accept_policy,
		.maxattr	= HANDSHAKE_A_ACCEPT_HANDLER_CLASS,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= HANDSHAKE_CMD_DONE,
		.doit		= hs_nl_done_doit,
		.policy		= hs_nl_done_policy,
		.maxattr	= HANDSHAKE_A_DONE_MAX,
		.flags		= GENL_ADMIN_PERM,
	},
};

struct genl_family hs_nl_family __ro_after_init = {
	.name		= HANDSHAKE_FAMILY_NAME,
	.version	= HANDSHAKE_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= hs_nl_ops,
	.n_ops		= ARRAY_SIZE(hs_nl_ops),
	.resv_start_op	= HANDSHAKE_CMD_DONE + 1,
	.mcgrps		= hs_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(hs_nl_mcgrps),
};

/* Namespaces first: a daemon may ACCEPT as soon as the family is there. */
static int __init hs_init(void)
{
	int err;

	err = hs_req_init();
	if (err)
		return err;
	err = genl_register_family(&hs_nl_family);
	if (err)
		goto out_req_exit;
	return 0;

out_req_exit:
	hs_req_exit();
	return err;
}

/*
 * After the family is gone no ACCEPT or DONE can start; consumers are
 * unloaded before us (they use our symbols), so what is left is freed.
 */
static void __exit hs_exit(void)
{
	genl_unregister_family(&hs_nl_family);
	hs_req_drain();
	hs_req_exit();
}

module_init(hs_init);
module_exit(hs_exit);

MODULE_DESCRIPTION("ktlsd: the handshake netlink upcall for kernels without net/handshake");
MODULE_LICENSE("GPL");
