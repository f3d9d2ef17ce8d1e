/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktlsd_handshake internals: one request per socket, from the consumer's
 * tls_*_hello() until the daemon's DONE or the consumer's cancel.
 */
#ifndef KTLSD_HS_H
#define KTLSD_HS_H

#include <linux/kref.h>
#include <linux/list.h>
#include <net/genetlink.h>
#include <linux/handshake.h>

#include "compat.h"

struct hs_req {
	struct list_head	list;		/* in hs_reqs while live */
	struct kref		ref;
	struct net		*net;
	struct socket		*sock;
	struct sock		*sk;		/* held (sock_hold) */
	bool			accepted;	/* handed to a daemon */

	u32			msg_type;	/* enum handshake_msg_type */
	u32			auth_mode;	/* enum handshake_auth */
	tls_done_func_t		done;
	void			*data;
	char			*peername;
	unsigned int		timeout_ms;
	key_serial_t		keyring;
	key_serial_t		cert;
	key_serial_t		privkey;
	unsigned int		num_peerids;
	key_serial_t		peerids[TLS_MAX_PEERIDS];
};

/* hs_request.c */
int hs_req_submit(struct hs_req *req, gfp_t flags);
struct hs_req *hs_req_next(struct net *net, struct file **file);
struct hs_req *hs_req_claim(struct sock *sk);
int hs_req_claim_accepted(struct sock *sk, struct hs_req **reqp);
bool hs_req_unlink(struct hs_req *req);
void hs_req_put(struct hs_req *req);
void hs_req_complete(struct hs_req *req, int status, key_serial_t peerid);
void hs_req_drain(void);
int hs_req_init(void);
void hs_req_exit(void);

/* hs_netlink.c */
extern struct genl_family hs_nl_family;
int hs_nl_notify_ready(struct net *net, gfp_t flags);

/* hs_tls.c */
int hs_tls_accept_reply(struct hs_req *req, struct genl_info *info, int fd);

#endif /* KTLSD_HS_H */
