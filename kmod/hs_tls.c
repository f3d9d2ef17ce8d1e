// SPDX-License-Identifier: GPL-2.0
/*
 * The TLS flavour of the upcall: the tls_*_hello() calls consumers make,
 * and the ACCEPT reply that tells the daemon what to do.
 */

#include <linux/cred.h>
#include <linux/key.h>
#include <linux/keyctl.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/tls.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <net/tls.h>

#include "hs.h"

static int hs_tls_submit(const struct tls_handshake_args *args, gfp_t flags,
			 u32 msg_type, u32 auth_mode)
{
	struct socket *sock = args->ta_sock;
	struct hs_req *req;

	/* The daemon gets the socket through its file. */
	if (!sock || !sock->sk || !sock->file || !args->ta_done)
		return -EINVAL;
	if (args->ta_num_peerids > TLS_MAX_PEERIDS)
		return -EINVAL;

	req = kzalloc(sizeof(*req), flags);
	if (!req)
		return -ENOMEM;
	if (args->ta_peername) {
		req->peername = kstrdup(args->ta_peername, flags);
		if (!req->peername) {
			kfree(req);
			return -ENOMEM;
		}
	}
	req->sock = sock;
	req->sk = sock->sk;
	req->net = sock_net(sock->sk);
	req->msg_type = msg_type;
	req->auth_mode = auth_mode;
	req->done = args->ta_done;
	req->data = args->ta_data;
	req->timeout_ms = args->ta_timeout_ms;
	req->keyring = args->ta_keyring;
	req->cert = args->ta_my_cert;
	req->privkey = args->ta_my_privkey;
	req->num_peerids = args->ta_num_peerids;
	memcpy(req->peerids, args->ta_my_peerids, sizeof(req->peerids));
	return hs_req_submit(req, flags);
}

int tls_client_hello_anon(const struct tls_handshake_args *args, gfp_t flags)
{
	return hs_tls_submit(args, flags, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
			     HANDSHAKE_AUTH_UNAUTH);
}
EXPORT_SYMBOL(tls_client_hello_anon);

int tls_client_hello_x509(const struct tls_handshake_args *args, gfp_t flags)
{
	return hs_tls_submit(args, flags, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
			     HANDSHAKE_AUTH_X509);
}
EXPORT_SYMBOL(tls_client_hello_x509);

int tls_client_hello_psk(const struct tls_handshake_args *args, gfp_t flags)
{
	if (!args->ta_num_peerids)
		return -EINVAL;
	return hs_tls_submit(args, flags, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
			     HANDSHAKE_AUTH_PSK);
}
EXPORT_SYMBOL(tls_client_hello_psk);

int tls_server_hello_x509(const struct tls_handshake_args *args, gfp_t flags)
{
	return hs_tls_submit(args, flags, HANDSHAKE_MSG_TYPE_SERVERHELLO,
			     HANDSHAKE_AUTH_X509);
}
EXPORT_SYMBOL(tls_server_hello_x509);

int tls_server_hello_psk(const struct tls_handshake_args *args, gfp_t flags)
{
	return hs_tls_submit(args, flags, HANDSHAKE_MSG_TYPE_SERVERHELLO,
			     HANDSHAKE_AUTH_PSK);
}
EXPORT_SYMBOL(tls_server_hello_psk);

/*
 * True if the request was withdrawn before the daemon reported: the done
 * callback will not run. False if it already ran or is running.
 */
bool tls_handshake_cancel(struct sock *sk)
{
	struct hs_req *req = hs_req_claim(sk);

	if (!req)
		return false;
	hs_req_put(req);
	return true;
}
EXPORT_SYMBOL(tls_handshake_cancel);

/* Send close_notify on a socket the daemon put into kernel TLS. */
void tls_handshake_close(struct socket *sock)
{
	const struct inet_connection_sock *icsk = inet_csk(sock->sk);
	u8 cbuf[CMSG_SPACE(sizeof(u8))] = {};
	u8 alert[2] = { 1, 0 };	/* warning, close_notify */
	struct kvec iov = { .iov_base = alert, .iov_len = sizeof(alert) };
	struct msghdr msg = {
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
		.msg_flags = MSG_DONTWAIT,
	};
	struct cmsghdr *cmsg = (struct cmsghdr *)cbuf;

	/* Without kernel TLS the alert would go out as plain bytes. */
	if (!icsk->icsk_ulp_ops || strcmp(icsk->icsk_ulp_ops->name, "tls"))
		return;
	cmsg->cmsg_level = SOL_TLS;
	cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
	cmsg->cmsg_len = CMSG_LEN(sizeof(u8));
	*(u8 *)CMSG_DATA(cmsg) = 21;	/* alert */
	kernel_sendmsg(sock, &msg, &iov, 1, iov.iov_len);
}
EXPORT_SYMBOL(tls_handshake_close);

/*
 * Give the daemon the consumer's keyring: link it into the accepting
 * process's keyring so that the key serials in the reply can be read.
 * As upstream's, the link outlives the request: only the daemon knows
 * when it is done with the keys (a daemon that forks per request, like
 * tlshd, drops it with its process; ktlsd unlinks it after its DONE).
 */
static int hs_tls_link_keyring(key_serial_t keyring)
{
	key_ref_t process_ref, keyring_ref;
	int err;

	process_ref = lookup_user_key(KEY_SPEC_PROCESS_KEYRING,
				      KEY_LOOKUP_CREATE, KEY_NEED_WRITE);
	if (IS_ERR(process_ref))
		return PTR_ERR(process_ref);
	keyring_ref = lookup_user_key(keyring, KEY_LOOKUP_CREATE,
				      KEY_NEED_LINK);
	if (IS_ERR(keyring_ref)) {
		key_ref_put(process_ref);
		return PTR_ERR(keyring_ref);
	}
	err = key_link(key_ref_to_ptr(process_ref), key_ref_to_ptr(keyring_ref));
	key_ref_put(keyring_ref);
	key_ref_put(process_ref);
	return err;
}

static int hs_tls_put_reply(struct sk_buff *msg, const struct hs_req *req,
			    int fd)
{
	struct nlattr *nest;
	unsigned int i;

	if (nla_put_s32(msg, HANDSHAKE_A_ACCEPT_SOCKFD, fd) ||
	    nla_put_u32(msg, HANDSHAKE_A_ACCEPT_MESSAGE_TYPE, req->msg_type) ||
	    nla_put_u32(msg, HANDSHAKE_A_ACCEPT_AUTH_MODE, req->auth_mode))
		return -EMSGSIZE;
	if (req->timeout_ms &&
	    nla_put_u32(msg, HANDSHAKE_A_ACCEPT_TIMEOUT, req->timeout_ms))
		return -EMSGSIZE;
	if (req->peername &&
	    nla_put_string(msg, HANDSHAKE_A_ACCEPT_PEERNAME, req->peername))
		return -EMSGSIZE;
	if (req->keyring != TLS_NO_KEYRING &&
	    nla_put_s32(msg, HANDSHAKE_A_ACCEPT_KEYRING, req->keyring))
		return -EMSGSIZE;
	for (i = 0; i < req->num_peerids; i++)
		if (nla_put_s32(msg, HANDSHAKE_A_ACCEPT_PEER_IDENTITY,
				req->peerids[i]))
			return -EMSGSIZE;
	if (req->cert != TLS_NO_CERT) {
		nest = nla_nest_start(msg, HANDSHAKE_A_ACCEPT_CERTIFICATE);
		if (!nest)
			return -EMSGSIZE;
		if (nla_put_s32(msg, HANDSHAKE_A_X509_CERT, req->cert) ||
		    nla_put_s32(msg, HANDSHAKE_A_X509_PRIVKEY, req->privkey)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
		nla_nest_end(msg, nest);
	}
	return 0;
}

int hs_tls_accept_reply(struct hs_req *req, struct genl_info *info, int fd)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (req->keyring != TLS_NO_KEYRING) {
		err = hs_tls_link_keyring(req->keyring);
		if (err)
			return err;
	}

	msg = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &hs_nl_family, 0,
				HANDSHAKE_CMD_ACCEPT);
	if (!hdr) {
		err = -EMSGSIZE;
		goto out_free;
	}
	err = hs_tls_put_reply(msg, req, fd);
	if (err)
		goto out_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free:
	nlmsg_free(msg);
	return err;
}
