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

/**
 * tls_client_hello_anon - ask the daemon for a TLS client handshake
 * @args: the socket, done callback and its data, peer name, timeout (ms)
 *        and keyring of the request
 * @flags: memory allocation flags
 *
 * The client presents no certificate; it verifies the server against
 * @args->ta_peername (or the daemon's configured name). The daemon installs
 * kernel TLS on @args->ta_sock before it reports success.
 *
 * Return: 0 if the request is queued: @args->ta_done then runs exactly
 * once, with the daemon's status, unless tls_handshake_cancel() withdraws
 * the request first. Otherwise a negative errno and no callback: -EINVAL
 * for a socket without a file, a missing done callback or more than
 * TLS_MAX_PEERIDS peer ids, -ENOMEM, -EBUSY if the socket already has
 * a request, -EAGAIN if too many are pending, -ESRCH if no daemon listens
 * in the socket's network namespace, -EOPNOTSUPP if that namespace is
 * going away.
 */
int tls_client_hello_anon(const struct tls_handshake_args *args, gfp_t flags)
{
	return hs_tls_submit(args, flags, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
			     HANDSHAKE_AUTH_UNAUTH);
}
EXPORT_SYMBOL(tls_client_hello_anon);

/**
 * tls_client_hello_x509 - ask for a TLS client handshake with a certificate
 * @args: the socket, done callback and its data, peer name, timeout (ms)
 *        and keyring of the request
 * @flags: memory allocation flags
 *
 * As tls_client_hello_anon(), and the client presents the certificate and
 * private key named by @args->ta_my_cert and @args->ta_my_privkey (key
 * serials; TLS_NO_CERT for the daemon's configured ones) if the server asks.
 *
 * Return: 0 if the request is queued: @args->ta_done then runs exactly
 * once, with the daemon's status, unless tls_handshake_cancel() withdraws
 * the request first. Otherwise a negative errno and no callback: -EINVAL
 * for a socket without a file, a missing done callback or more than
 * TLS_MAX_PEERIDS peer ids, -ENOMEM, -EBUSY if the socket already has
 * a request, -EAGAIN if too many are pending, -ESRCH if no daemon listens
 * in the socket's network namespace, -EOPNOTSUPP if that namespace is
 * going away.
 */
int tls_client_hello_x509(const struct tls_handshake_args *args, gfp_t flags)
{
	return hs_tls_submit(args, flags, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
			     HANDSHAKE_AUTH_X509);
}
EXPORT_SYMBOL(tls_client_hello_x509);

/**
 * tls_client_hello_psk - ask for a TLS 1.3 client handshake with a PSK
 * @args: the socket, done callback and its data, peer name, timeout (ms)
 *        and keyring of the request
 * @flags: memory allocation flags
 *
 * The client offers the pre-shared keys named by @args->ta_my_peerids
 * (@args->ta_num_peerids key serials, at least one, each key's description
 * its PSK identity); the server is authenticated by the key alone.
 *
 * Return: 0 if the request is queued: @args->ta_done then runs exactly
 * once, with the daemon's status, unless tls_handshake_cancel() withdraws
 * the request first. Otherwise a negative errno and no callback: -EINVAL
 * for a socket without a file, a missing done callback or more than
 * TLS_MAX_PEERIDS peer ids, no PSK, -ENOMEM, -EBUSY if the socket already has
 * a request, -EAGAIN if too many are pending, -ESRCH if no daemon listens
 * in the socket's network namespace, -EOPNOTSUPP if that namespace is
 * going away.
 */
int tls_client_hello_psk(const struct tls_handshake_args *args, gfp_t flags)
{
	if (!args->ta_num_peerids)
		return -EINVAL;
	return hs_tls_submit(args, flags, HANDSHAKE_MSG_TYPE_CLIENTHELLO,
			     HANDSHAKE_AUTH_PSK);
}
EXPORT_SYMBOL(tls_client_hello_psk);

/**
 * tls_server_hello_x509 - ask for a TLS server handshake with a certificate
 * @args: the socket, done callback and its data, peer name, timeout (ms)
 *        and keyring of the request
 * @flags: memory allocation flags
 *
 * The server presents the certificate and key of @args->ta_my_cert and
 * @args->ta_my_privkey, or the daemon's configured ones; whether a client
 * certificate is required is the daemon's configuration. The client's
 * verified identity comes back as the done callback's peer key.
 *
 * Return: 0 if the request is queued: @args->ta_done then runs exactly
 * once, with the daemon's status, unless tls_handshake_cancel() withdraws
 * the request first. Otherwise a negative errno and no callback: -EINVAL
 * for a socket without a file, a missing done callback or more than
 * TLS_MAX_PEERIDS peer ids, -ENOMEM, -EBUSY if the socket already has
 * a request, -EAGAIN if too many are pending, -ESRCH if no daemon listens
 * in the socket's network namespace, -EOPNOTSUPP if that namespace is
 * going away.
 */
int tls_server_hello_x509(const struct tls_handshake_args *args, gfp_t flags)
{
	return hs_tls_submit(args, flags, HANDSHAKE_MSG_TYPE_SERVERHELLO,
			     HANDSHAKE_AUTH_X509);
}
EXPORT_SYMBOL(tls_server_hello_x509);

/**
 * tls_server_hello_psk - ask for a TLS 1.3 server handshake with a PSK
 * @args: the socket, done callback and its data, peer name, timeout (ms)
 *        and keyring of the request
 * @flags: memory allocation flags
 *
 * The daemon finds the key for the identity the client offers in
 * @args->ta_keyring (or its configured keyrings) and reports it as the
 * peer key.
 *
 * Return: 0 if the request is queued: @args->ta_done then runs exactly
 * once, with the daemon's status, unless tls_handshake_cancel() withdraws
 * the request first. Otherwise a negative errno and no callback: -EINVAL
 * for a socket without a file, a missing done callback or more than
 * TLS_MAX_PEERIDS peer ids, -ENOMEM, -EBUSY if the socket already has
 * a request, -EAGAIN if too many are pending, -ESRCH if no daemon listens
 * in the socket's network namespace, -EOPNOTSUPP if that namespace is
 * going away.
 */
int tls_server_hello_psk(const struct tls_handshake_args *args, gfp_t flags)
{
	return hs_tls_submit(args, flags, HANDSHAKE_MSG_TYPE_SERVERHELLO,
			     HANDSHAKE_AUTH_PSK);
}
EXPORT_SYMBOL(tls_server_hello_psk);

/**
 * tls_handshake_cancel - withdraw a handshake request
 * @sk: the socket a tls_*_hello() call was made for
 *
 * Return: true if the request was withdrawn before the daemon reported:
 * the done callback will not run. False if there is none, or the callback
 * already ran or is running.
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

/**
 * tls_handshake_close - send close_notify on a kernel TLS socket
 * @sock: a socket the daemon put into kernel TLS
 *
 * Sends the close_notify alert as a TLS record, without waiting for send
 * space. On a socket without the tls ULP it sends nothing: the alert would
 * go out as plain bytes.
 */
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
