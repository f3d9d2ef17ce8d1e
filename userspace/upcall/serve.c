// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Serve one accepted request with libktls: check it, start the handshake
 * the kernel asked for (upcall_prepare), let the caller step it, then
 * install kernel TLS and report DONE with a deliberate status
 * (upcall_finish). upcall_serve() does all three in one blocking call.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <keyutils.h>

#include "internal.h"
#include "psk_keyring.h"

/*
 * libktls reads PEM files: hand it key material from a key serial as a
 * memfd, named through /proc/self/fd. Nothing touches the disk. DER (what
 * tlshd takes) becomes PEM first.
 */
static int key_to_memfd(int32_t serial, bool private_key, int *fd,
			char *path, size_t len)
{
	uint8_t *data, *pem;
	size_t size, pem_len;
	int err;

	err = upcall_key_read(serial, &data, &size);
	if (err)
		return err == -ENOKEY ? err : -EKEYREJECTED;
	if (!upcall_is_pem(data, size)) {
		err = upcall_der_to_pem(serial, data, size, private_key, &pem,
					&pem_len);
		upcall_key_free(data, size);
		if (err)
			return err;
		data = pem;
		size = pem_len;
	}
	*fd = memfd_create("upcall-key", MFD_CLOEXEC);
	if (*fd < 0 || write(*fd, data, size) != (ssize_t)size) {
		err = upcall_fail(-EIO, "copying key %d to a memfd: %s",
				  serial, strerror(errno));
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		upcall_key_free(data, size);
		return err;
	}
	upcall_key_free(data, size);
	snprintf(path, len, "/proc/self/fd/%d", *fd);
	return 0;
}

/*
 * Once the context holds the key material, the memfd has done its job:
 * overwrite its pages and close it, so no PEM outlives the load.
 */
static void key_memfd_wipe(int *fd)
{
	static const uint8_t zeros[4096];
	struct stat st;
	off_t off;

	if (*fd < 0)
		return;
	if (!fstat(*fd, &st))
		for (off = 0; off < st.st_size; off += sizeof(zeros))
			if (pwrite(*fd, zeros, sizeof(zeros), off) < 0)
				break;
	close(*fd);	/* its last reference: the pages go too */
	*fd = -1;
}

/* DONE's status is a positive errno, as the kernel's attribute wants. */
int upcall_status_of(int err)
{
	int status = EACCES;

	switch (err) {
	case 0:
		return 0;
	case -ETIMEDOUT:
	case -EKEYREJECTED:
	case -ENOKEY:
	case -EOPNOTSUPP:
	case -EINVAL:
		status = -err;
		break;
	case -ENOENT:		/* no kernel TLS */
	case -ESHUTDOWN:	/* the daemon stops */
	case -ENOMEM:
	case -EIO:
	case -EPROTO:		/* WolfSSL kept data at the switch */
		status = EIO;
		break;
	}
	return status;
}

static int check_request(const struct upcall_req *req)
{
	if (req->msg_type != HANDSHAKE_MSG_TYPE_CLIENTHELLO &&
	    req->msg_type != HANDSHAKE_MSG_TYPE_SERVERHELLO)
		return upcall_fail(-EINVAL, "unknown handshake message type %u",
				   req->msg_type);
	if (req->auth_mode != HANDSHAKE_AUTH_X509 &&
	    req->auth_mode != HANDSHAKE_AUTH_UNAUTH &&
	    req->auth_mode != HANDSHAKE_AUTH_PSK)
		return upcall_fail(-EOPNOTSUPP, "unknown auth mode %u",
				   req->auth_mode);
	if (req->auth_mode == HANDSHAKE_AUTH_UNAUTH &&
	    req->msg_type == HANDSHAKE_MSG_TYPE_SERVERHELLO)
		return upcall_fail(-EOPNOTSUPP, "a server cannot be unauthenticated");
	return 0;
}

/*
 * psk: a client uses the key the request names (its first peer identity);
 * the key's description is the PSK identity, and an NVMe identity's hash
 * field picks the suite. A server finds the key for the identity the
 * client offers among the request's peer identities and in its keyring
 * (psk_keyring.c); the key it used is REMOTE_AUTH.
 */
static int pick_psk(const struct upcall_req *req, struct upcall_handshake *hs,
		    struct ktls_config *k)
{
	int err;

	/* The PSK authenticates the server: no certificate name to check. */
	k->server_name = NULL;
	k->min_version = KTLS_TLS_1_3;
	if (req->msg_type == HANDSHAKE_MSG_TYPE_SERVERHELLO) {
		err = upcall_psk_lookup_new(req, &hs->psk_serial,
					    &hs->psk_lookup);
		if (err)
			return err;
		k->psk_find = upcall_psk_find;
		k->psk_find_arg = hs->psk_lookup;
		return 0;
	}
	if (!req->num_peerids || req->peerids[0] <= 0)
		return upcall_fail(-ENOKEY, "a PSK client handshake needs the "
				   "PSK's key serial in the request (peer "
				   "identity), and the request has none");
	err = upcall_psk_read(req->peerids[0], &hs->psk_identity,
			      &hs->psk_key, &hs->psk_key_len);
	if (err)
		return err == -ENOKEY ? err : -EKEYREJECTED;
	hs->psk_serial = req->peerids[0];
	k->psk_identity = hs->psk_identity;
	k->psk_key = hs->psk_key;
	k->psk_key_len = hs->psk_key_len;
	k->ciphers = upcall_psk_cipher(hs->psk_identity);
	return 0;
}

/* The request's own certificate and key, from key serials or files. */
static int pick_identity(const struct upcall_req *req,
			 const struct upcall_serve_config *cfg,
			 struct upcall_handshake *hs, struct ktls_config *k,
			 char *cert_path, char *key_path, size_t path_len)
{
	bool client = req->msg_type == HANDSHAKE_MSG_TYPE_CLIENTHELLO;
	int err;

	if (req->auth_mode != HANDSHAKE_AUTH_X509)
		return 0;
	if (req->cert) {
		if (!req->privkey)
			return upcall_fail(-ENOKEY, "the request names certificate "
					   "key %d but no private key", req->cert);
		err = key_to_memfd(req->cert, false, &hs->cert_fd, cert_path,
				   path_len);
		if (!err)
			err = key_to_memfd(req->privkey, true, &hs->key_fd,
					   key_path, path_len);
		if (err)
			return err;
		k->cert_file = cert_path;
		k->key_file = key_path;
		return 0;
	}
	k->cert_file = client ? cfg->client_cert_file : cfg->cert_file;
	k->key_file = client ? cfg->client_key_file : cfg->key_file;
	if (!k->cert_file || !*k->cert_file || !k->key_file || !*k->key_file)
		return upcall_fail(-ENOKEY, "an x509 %s handshake without key "
				   "serials needs a configured %scertificate "
				   "and private key, and there is none",
				   upcall_msg_type_name(req->msg_type),
				   client ? "client " : "server ");
	return 0;
}

static void handshake_free(struct upcall_handshake *hs)
{
	if (!hs)
		return;
	ktls_session_free(hs->session);
	if (hs->own_ctx)
		ktls_ctx_free(hs->ctx);
	free(hs->psk_identity);
	upcall_key_free(hs->psk_key, hs->psk_key_len);
	upcall_psk_lookup_free(hs->psk_lookup);
	if (hs->cert_fd >= 0)
		close(hs->cert_fd);
	if (hs->key_fd >= 0)
		close(hs->key_fd);
	free(hs);
}

int upcall_prepare(const struct upcall_req *req,
		   const struct upcall_serve_config *cfg,
		   struct upcall_handshake **out)
{
	char cert_path[64], key_path[64];
	struct ktls_config k = {
		.ca_file = cfg->ca_file,
		.handshake_timeout_ms = req->timeout_ms ? (int)req->timeout_ms :
					cfg->timeout_ms,
	};
	struct upcall_handshake *hs;
	int err;

	*out = NULL;
	err = check_request(req);
	if (err)
		return err;
	hs = calloc(1, sizeof(*hs));
	if (!hs)
		return upcall_fail(-ENOMEM, "out of memory");
	hs->cert_fd = -1;
	hs->key_fd = -1;
	hs->sock_flags = -1;
	if (req->msg_type == HANDSHAKE_MSG_TYPE_CLIENTHELLO) {
		k.role = KTLS_ROLE_CLIENT;
		k.server_name = req->peername[0] ? req->peername :
				cfg->server_name;
		if (req->auth_mode != HANDSHAKE_AUTH_PSK &&
		    (!k.server_name || !*k.server_name)) {
			err = upcall_fail(-EINVAL, "a client handshake needs the "
					  "server's name to verify: the request "
					  "has no PEERNAME and none is configured");
			goto free_hs;
		}
	} else {
		k.role = KTLS_ROLE_SERVER;
		if (req->auth_mode == HANDSHAKE_AUTH_X509 &&
		    cfg->verify_client) {
			k.verify_client = true;
			k.client_cert_optional = cfg->client_cert_optional;
			k.ca_file = cfg->client_ca_file;
		}
	}
	/* The request's keyring is linked from ACCEPT to DONE (keys.c). */
	if (req->auth_mode == HANDSHAKE_AUTH_PSK)
		err = pick_psk(req, hs, &k);
	else
		err = pick_identity(req, cfg, hs, &k, cert_path, key_path,
				    sizeof(cert_path));
	if (err)
		goto free_hs;
	if (cfg->get_ctx && !req->cert &&
	    req->auth_mode != HANDSHAKE_AUTH_PSK) {
		err = cfg->get_ctx(cfg->get_ctx_arg, &k, &hs->ctx,
				   &hs->own_ctx);
	} else {
		err = ktls_ctx_new(&k, &hs->ctx);
		hs->own_ctx = !err;
	}
	/* Loaded (or refused): the private key leaves its memfd now. */
	key_memfd_wipe(&hs->cert_fd);
	key_memfd_wipe(&hs->key_fd);
	if (err) {
		/* Key material given by the request is the request's fault. */
		err = upcall_fail(req->cert || hs->psk_key || hs->psk_lookup ?
				  -EKEYREJECTED : -EIO,
				  "%s handshake: %s",
				  upcall_msg_type_name(req->msg_type),
				  ktls_reason());
		goto free_hs;
	}
	/* A shared context has the config's timeout, not this request's. */
	hs->timeout_ms = k.handshake_timeout_ms ? k.handshake_timeout_ms :
			 ktls_ctx_timeout_ms(hs->ctx);
	hs->sock_flags = fcntl(req->sockfd, F_GETFL);
	if (hs->sock_flags < 0 ||
	    fcntl(req->sockfd, F_SETFL, hs->sock_flags | O_NONBLOCK)) {
		err = upcall_fail(-EIO, "fcntl on the request's socket: %s",
				  strerror(errno));
		goto free_hs;
	}
	err = ktls_handshake_start(hs->ctx, req->sockfd, &hs->session);
	if (err) {
		err = upcall_fail(err, "%s handshake: %s",
				  upcall_msg_type_name(req->msg_type),
				  ktls_reason());
		goto restore_flags;
	}
	*out = hs;
	return 0;

restore_flags:
	fcntl(req->sockfd, F_SETFL, hs->sock_flags);
free_hs:
	handshake_free(hs);
	return err;
}

int upcall_finish(struct upcall *up, struct upcall_req *req,
		  struct upcall_handshake *hs, int err)
{
	int32_t peer_key = 0;
	char why[512] = "";
	int status, ret;

	if (!err && !hs)
		err = upcall_fail(-EINVAL, "upcall_finish: no handshake");
	if (!err) {
		err = ktls_install(hs->session, KTLS_TX | KTLS_RX);
		if (err)
			upcall_fail(err, "%s handshake: %s",
				    upcall_msg_type_name(req->msg_type),
				    ktls_reason());
	}
	if (!err && hs->psk_serial)
		peer_key = hs->psk_serial;	/* the PSK we both proved */
	else if (!err)
		err = upcall_peer_key_add(req, hs->session, &peer_key);
	status = upcall_status_of(err);
	if (status)
		snprintf(why, sizeof(why), "%s", upcall_reason());
	/* The session's secrets go before the kernel hears anything. */
	if (hs) {
		/* The consumer shares the file: give it back as it came. */
		if (hs->sock_flags >= 0)
			fcntl(req->sockfd, F_SETFL, hs->sock_flags);
		handshake_free(hs);
	}
	ret = upcall_done(up, req, status, peer_key ? &peer_key : NULL,
			  peer_key ? 1 : 0);
	if (ret)
		return ret;
	if (status)
		upcall_fail(0, "%s", why);
	return status;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int upcall_serve(struct upcall *up, struct upcall_req *req,
		 const struct upcall_serve_config *cfg)
{
	struct upcall_handshake *hs;
	int64_t deadline;
	int err;

	err = upcall_prepare(req, cfg, &hs);
	if (err)	/* upcall_done() holds the refusal back long enough */
		return upcall_finish(up, req, NULL, err);
	deadline = now_ms() + hs->timeout_ms;
	while ((err = ktls_handshake_step(hs->session)) == -EAGAIN) {
		struct pollfd pfd = {
			.fd = req->sockfd,
			.events = ktls_session_wants(hs->session),
		};
		int64_t left = deadline - now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			err = upcall_fail(-ETIMEDOUT, "%s handshake timed out: "
					  "the peer did not finish in %d ms",
					  upcall_msg_type_name(req->msg_type),
					  hs->timeout_ms);
			break;
		}
	}
	if (err && err != -ETIMEDOUT)
		upcall_fail(err, "%s handshake: %s",
			    upcall_msg_type_name(req->msg_type), ktls_reason());
	return upcall_finish(up, req, hs, err);
}
