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

#include "ktls/ktls.h"

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
	int64_t accepted_ms;		/* CLOCK_MONOTONIC, at ACCEPT */
	uint64_t ring_seq;		/* libupcall's: keyrings it holds */
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
 * requests into @reqs. A request that fails to ACCEPT (the kernel gave it
 * up, or its reply was malformed and got DONE EIO) does not hold up the
 * ones behind it. Returns how many were accepted (0 if another daemon
 * took them); -errno if none was and some failed. If it returns @max,
 * call it again: more may be waiting.
 */
int upcall_accept(struct upcall *up, struct upcall_req *reqs, int max);
/*
 * How many requests the calling thread's last upcall_accept() could not
 * take; upcall_reason() says why the last of them failed.
 */
int upcall_accept_failures(void);

/*
 * Link @keyring into our process keyring for good (keyrings the
 * configuration names). A request's keyring is linked only while a
 * request naming it is in flight: DONE unlinks it unless it is one of
 * these.
 */
int upcall_keyring_link(struct upcall *up, int32_t keyring);

/*
 * Report the outcome: @status 0 or a positive errno (EACCES, ETIMEDOUT,
 * EKEYREJECTED, EIO...), with the peer's identities @remote_auth (key
 * serials) on success. Closes req->sockfd in every case. A refusal
 * (@status not 0) never goes out sooner than UPCALL_REFUSE_DELAY_MS after
 * the ACCEPT: this waits for what is left of it (see
 * upcall_refuse_wait_ms() to wait elsewhere instead).
 */
int upcall_done(struct upcall *up, struct upcall_req *req, int status,
		const int32_t *remote_auth, unsigned int num_remote_auth);

/* Where a handshake finds what the request does not name. */
struct upcall_serve_config {
	const char *ca_file;		/* trust store of a client; NULL: system */
	const char *cert_file;		/* server certificate without a key serial */
	const char *key_file;
	const char *server_name;	/* a client's name check without PEERNAME */
	int timeout_ms;			/* without TIMEOUT; 0: libktls's default */
	/* x509 client (mutual TLS) without key serials: its certificate */
	const char *client_cert_file;
	const char *client_key_file;
	/*
	 * x509 server: require a client certificate chaining to
	 * client_ca_file (required: never the system bundle) and report it
	 * as REMOTE_AUTH. Without it no client certificate is asked for.
	 * client_cert_optional: ask, verify one if sent, and accept a
	 * client without one (then no REMOTE_AUTH), as tlshd does.
	 */
	bool verify_client;
	bool client_cert_optional;
	const char *client_ca_file;
	/*
	 * CRLs (tlshd's x509.crl): crl_file for the servers a client checks
	 * against ca_file, client_crl_file for the client certificates a
	 * verify_client server checks against client_ca_file. NULL: none.
	 */
	const char *crl_file;
	const char *client_crl_file;
	/*
	 * Optional: a context for @k when the request names no key serials,
	 * so that one built from the files above serves many requests (a
	 * new context per handshake costs PEM parsing). 0 and *@ctx, with
	 * *@owned set if the handshake must free it; or -errno.
	 */
	int (*get_ctx)(void *arg, const struct ktls_config *k,
		       struct ktls_ctx **ctx, bool *owned);
	void *get_ctx_arg;
	/*
	 * Privilege separation (ktls/signer.h): the keys of cert_file and
	 * client_cert_file sign through these instead of key_file and
	 * client_key_file; files are read through read_file (ktls_config).
	 */
	const struct ktls_signer *signer, *client_signer;
	int (*read_file)(void *arg, const char *path, uint8_t **data,
			 size_t *len);
	void *read_file_arg;
};

/*
 * One request's handshake, run by the caller's event loop between
 * upcall_prepare() and upcall_finish(): step @session with
 * ktls_handshake_step() whenever the socket is ready for
 * ktls_session_wants(), until it returns 0 or an error other than -EAGAIN,
 * or the deadline of @timeout_ms passes.
 */
struct upcall_handshake {
	struct ktls_ctx *ctx;
	bool own_ctx;
	struct ktls_session *session;
	int timeout_ms;			/* the request's TIMEOUT, or the config's */
	int sock_flags;			/* restored before DONE */
	/*
	 * Key material from key serials (PEM), only while the context loads
	 * it: wiped before the handshake starts.
	 */
	uint8_t *cert_pem, *key_pem;
	size_t cert_len, key_len;
	char cert_name[48], key_name[48];
	const struct upcall_serve_config *cfg;
	char *psk_identity;		/* psk: from the key's description */
	uint8_t *psk_key;
	size_t psk_key_len;
	int32_t psk_serial;		/* psk: reported as REMOTE_AUTH */
	/* psk server: where the client's identity is looked up */
	struct upcall_psk_lookup *psk_lookup;
};

/*
 * Check @req and start its handshake on req->sockfd (made non-blocking)
 * with key material from its key serials, else from @cfg. -errno on
 * failure (upcall_reason() says why): then call upcall_finish() with it
 * and a NULL @hs, which reports the fitting status.
 */
int upcall_prepare(const struct upcall_req *req,
		   const struct upcall_serve_config *cfg,
		   struct upcall_handshake **hs);

/*
 * Privilege separation (ktlsd's upcall broker): the process that ACCEPTs
 * reads the request's key material with upcall_material_read() and hands
 * it, with the socket, to the process that runs the handshake, which calls
 * upcall_prepare_with() (the material is then the handshake's, wiped once
 * loaded), steps it, and ends it with upcall_complete(); the outcome goes
 * back to the first, which reports it with upcall_report().
 */
struct upcall_material {
	uint8_t *cert_pem, *key_pem;	/* x509 with key serials, as PEM */
	size_t cert_len, key_len;
	/* x509: instead of key_pem, the process that holds the key signs */
	const struct ktls_signer *signer;
	char *psk_identity;		/* psk client: the request's PSK */
	uint8_t *psk_key;
	size_t psk_key_len;
	int32_t psk_serial;
	/*
	 * psk server: where the client's identity is looked up (libktls's
	 * psk_find); NULL looks in the keyrings (psk_keyring.c).
	 */
	int (*psk_find)(void *arg, const char *identity, uint8_t *key,
			size_t key_max, size_t *key_len, const char **cipher);
	void *psk_find_arg;
};

/* Check @req and read its key serials into @m (zeroed first); -errno. */
int upcall_material_read(const struct upcall_req *req,
			 struct upcall_material *m);
/* Wipe and free what @m holds. */
void upcall_material_wipe(struct upcall_material *m);
/* upcall_prepare() with @m instead of the key serials; @m is wiped. */
int upcall_prepare_with(const struct upcall_req *req,
			const struct upcall_serve_config *cfg,
			struct upcall_material *m,
			struct upcall_handshake **hs);

/* How a handshake ended, as its DONE will say. */
struct upcall_outcome {
	int status;			/* 0 or a positive errno */
	bool peer_cert;			/* @peer: the verified peer's */
	struct ktls_cert_info peer;
	char why[512];			/* the reason, if @status */
};

/*
 * upcall_finish() without DONE: install kernel TLS (@err 0), fill @out,
 * free @hs. req->sockfd stays open. Returns out->status.
 */
int upcall_complete(struct upcall_req *req, struct upcall_handshake *hs,
		    int err, struct upcall_outcome *out);
/*
 * DONE for @out: a PSK request's REMOTE_AUTH is @psk_serial, an x509
 * one's a key made from out->peer (upcall_peer_key_store). As
 * upcall_finish() returns.
 */
int upcall_report(struct upcall *up, struct upcall_req *req,
		  const struct upcall_outcome *out, int32_t psk_serial);
/*
 * Store a verified peer's identity as a key (see keys.c) in the request's
 * keyring, else our process keyring; its serial in *@serial.
 */
int upcall_peer_key_store(const struct upcall_req *req,
			  const struct ktls_cert_info *cert, int32_t *serial);

/*
 * End the request: with @err 0, install kernel TLS in both directions and
 * store the verified peer's identity as a key (REMOTE_AUTH); then report
 * DONE with a deliberate status: 0, or EACCES (failed handshake or
 * verification), ETIMEDOUT, ENOKEY (no key material for it), EKEYREJECTED
 * (unusable key material), EOPNOTSUPP or EINVAL (a request we cannot
 * serve), EIO (our side failed, e.g. no kernel TLS). Frees @hs and closes
 * req->sockfd. Returns the status reported (upcall_reason() says why when
 * it is not 0), or -errno if DONE itself failed.
 */
int upcall_finish(struct upcall *up, struct upcall_req *req,
		  struct upcall_handshake *hs, int err);

/*
 * How long a REMOTE_AUTH key for a peer certificate lives: the consumer
 * reads it when DONE arrives; it must not pile up in a long-lived daemon.
 */
#define UPCALL_PEER_KEY_TIMEOUT_S 600

/* The status upcall_finish() reports for @err. */
int upcall_status_of(int err);

/*
 * Linux's handshake_req_submit() (seen on 6.12.117) announces a request
 * before it takes the socket reference the request holds; a DONE that
 * beats it drops a reference never taken and frees a live socket. A
 * handshake needs a round trip to the peer first, a refusal does not: it
 * waits this long before its DONE.
 */
#define UPCALL_REFUSE_DELAY_MS 100

/*
 * How many ms a refusing DONE for @req must still wait (0: none): an
 * event loop sets a deadline this far off instead of letting
 * upcall_done() block.
 */
int upcall_refuse_wait_ms(const struct upcall_req *req);

/*
 * Serve @req in one blocking call: upcall_prepare(), the handshake within
 * its timeout, upcall_finish(). Returns what upcall_finish() returns.
 */
int upcall_serve(struct upcall *up, struct upcall_req *req,
		 const struct upcall_serve_config *cfg);

/* "ok", "EACCES", "ENOKEY"...: a DONE status, for logs. */
const char *upcall_status_name(int status);
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
/* Set upcall_reason() (for the caller's own failures); returns @err. */
int upcall_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* KTLSD_UPCALL_H */
