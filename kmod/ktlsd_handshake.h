/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel TLS handshake API of Linux's <net/handshake.h>, provided by
 * ktlsd_handshake.ko on kernels without net/handshake. Same names, types
 * and semantics, so a consumer builds unchanged against either.
 */
#ifndef KTLSD_HANDSHAKE_H
#define KTLSD_HANDSHAKE_H

#include <linux/key.h>
#include <linux/net.h>
#include <linux/types.h>

enum {
	TLS_NO_KEYRING = 0,
	TLS_NO_PEERID = 0,
	TLS_NO_CERT = 0,
	TLS_NO_PRIVKEY = 0,
};

#define TLS_MAX_PEERIDS 5

/* Called once per accepted request: @status 0 or -errno. */
typedef void (*tls_done_func_t)(void *data, int status, key_serial_t peerid);

struct tls_handshake_args {
	struct socket		*ta_sock;
	tls_done_func_t		ta_done;
	void			*ta_data;
	const char		*ta_peername;
	unsigned int		ta_timeout_ms;
	key_serial_t		ta_keyring;
	key_serial_t		ta_my_cert;
	key_serial_t		ta_my_privkey;
	unsigned int		ta_num_peerids;
	key_serial_t		ta_my_peerids[TLS_MAX_PEERIDS];
};

int tls_client_hello_anon(const struct tls_handshake_args *args, gfp_t flags);
int tls_client_hello_x509(const struct tls_handshake_args *args, gfp_t flags);
int tls_client_hello_psk(const struct tls_handshake_args *args, gfp_t flags);
int tls_server_hello_x509(const struct tls_handshake_args *args, gfp_t flags);
int tls_server_hello_psk(const struct tls_handshake_args *args, gfp_t flags);

bool tls_handshake_cancel(struct sock *sk);
void tls_handshake_close(struct socket *sock);

#endif /* KTLSD_HANDSHAKE_H */
