/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libupcall: the daemon's side of the kernel's TLS handshake upcall (the
 * "handshake" generic netlink family of Linux 6.4+, or ktlsd_handshake.ko
 * on 6.1). The kernel announces a request (READY); we ACCEPT it and get
 * the socket as a file descriptor with what the kernel wants done; after
 * the handshake we report DONE.
 *
 * Functions return 0 or a negative errno; on failure upcall_reason() (per
 * thread) says why in words an operator can act on.
 */
#ifndef KTLSD_UPCALL_H
#define KTLSD_UPCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/handshake.h>

/* The kernel sends at most 5 peer identities (TLS_MAX_PEERIDS). */
#define UPCALL_MAX_PEERIDS 8

/* What the running kernel's family offers, learnt at upcall_open(). */
struct upcall_caps {
	uint16_t family_id;
	uint32_t version;
	uint32_t mcgrp_tlshd;
	bool accept;			/* the ACCEPT command exists */
	bool done;			/* the DONE command exists */
	/*
	 * HANDSHAKE_A_ACCEPT_KEYRING: the ACCEPT reply is not described by
	 * any policy the kernel exposes, so this turns true when a reply
	 * carries it (ktlsd_handshake.ko and kernels newer than 6.12).
	 */
	bool keyring_seen;
};

/* One accepted request. Key serials are 0 when absent. */
struct upcall_req {
	int sockfd;			/* ours: closed by upcall_done() */
	uint32_t msg_type;		/* HANDSHAKE_MSG_TYPE_CLIENTHELLO/SERVERHELLO */
	uint32_t auth_mode;		/* HANDSHAKE_AUTH_UNAUTH/PSK/X509 */
	uint32_t timeout_ms;		/* 0: the kernel gave none */
	unsigned int num_peerids;
	int32_t peerids[UPCALL_MAX_PEERIDS];
	int32_t cert;			/* x509: certificate key serial */
	int32_t privkey;		/* x509: private key serial */
	int32_t keyring;
	char peername[256];		/* "" if none */
};

struct upcall;

/*
 * Find the handshake family and join its "tlshd" group. -ENOENT if the
 * kernel has neither net/handshake nor ktlsd_handshake.ko loaded.
 */
int upcall_open(struct upcall **up);
void upcall_close(struct upcall *up);

/* Poll this for POLLIN; then call upcall_accept(). */
int upcall_fd(const struct upcall *up);
const struct upcall_caps *upcall_caps(const struct upcall *up);

/*
 * Read the READY notifications and ACCEPT what is waiting, up to @max
 * requests into @reqs. Returns how many (0 if another daemon took them),
 * or -errno. If it returns @max, call it again: more may be waiting.
 */
int upcall_accept(struct upcall *up, struct upcall_req *reqs, int max);

/*
 * Report the outcome: @status 0 or a positive errno (EACCES, ETIMEDOUT,
 * EKEYREJECTED, EIO...), with the peer's identities @remote_auth (key
 * serials) on success. Closes req->sockfd in every case.
 */
int upcall_done(struct upcall *up, struct upcall_req *req, int status,
		const int32_t *remote_auth, unsigned int num_remote_auth);

/* Where upcall_serve() finds what the request does not name. */
struct upcall_serve_config {
	const char *ca_file;		/* trust store of a client; NULL: system */
	const char *cert_file;		/* server certificate without a key serial */
	const char *key_file;
	const char *server_name;	/* a client's name check without PEERNAME */
	int timeout_ms;			/* without TIMEOUT; 0: libktls's default */
};

/*
 * Serve @req with libktls: the handshake the kernel asked for (blocking,
 * within its TIMEOUT), kernel TLS in both directions, then DONE. Returns
 * the status reported (0, or a positive errno: EACCES for a failed
 * handshake, ETIMEDOUT, EKEYREJECTED for unusable key material, EOPNOTSUPP
 * for a request we cannot serve; upcall_reason() says why), or -errno if
 * DONE itself failed.
 */
int upcall_serve(struct upcall *up, struct upcall_req *req,
		 const struct upcall_serve_config *cfg);

/* "client"/"server", "unauth"/"psk"/"x509", for logs. */
const char *upcall_msg_type_name(uint32_t msg_type);
const char *upcall_auth_name(uint32_t auth_mode);

/*
 * Key material the kernel passes by key serial (keyutils): the payload of
 * @serial (a PEM or DER certificate or key, or a PSK) in a malloc'd buffer
 * the caller frees with upcall_key_free(), which wipes it.
 */
int upcall_key_read(int32_t serial, uint8_t **data, size_t *len);
/* A PSK: its identity is the key's description. */
int upcall_psk_read(int32_t serial, char **identity, uint8_t **key,
		    size_t *len);
void upcall_key_free(uint8_t *data, size_t len);

const char *upcall_reason(void);

#endif /* KTLSD_UPCALL_H */
