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
#include <time.h>
#include <unistd.h>
#include <keyutils.h>

#include "upcall_internal.h"
#include "psk_keyring.h"

/* Key material from a key serial, as PEM (tlshd takes DER). */
static int key_read_pem(int32_t serial, bool private_key, uint8_t **pem,
			size_t *pem_len)
{
	uint8_t *data;
	size_t size;
	int err;

	err = upcall_key_read(serial, &data, &size);
	if (err)
		return err == -ENOKEY ? err : -EKEYREJECTED;
	if (upcall_is_pem(data, size)) {
		*pem = data;
		*pem_len = size;
		return 0;
	}
	err = upcall_der_to_pem(serial, data, size, private_key, pem, pem_len);
	upcall_key_free(data, size);
	return err;
}

/*
 * ktls_config.read_file: the request's key material by the names
 * pick_identity() gave it; any other file as the configuration reads it.
 */
static int serial_read(void *arg, const char *path, uint8_t **data,
		       size_t *len)
{
	struct upcall_handshake *hs = arg;
	const uint8_t *src = NULL;
	size_t src_len = 0;

	if (hs->cert_pem && !strcmp(path, hs->cert_name)) {
		src = hs->cert_pem;
		src_len = hs->cert_len;
	} else if (hs->key_pem && !strcmp(path, hs->key_name)) {
		src = hs->key_pem;
		src_len = hs->key_len;
	}
	if (!src) {
		if (hs->cfg->read_file)
			return hs->cfg->read_file(hs->cfg->read_file_arg, path,
						  data, len);
		return ktls_read_file("file", path, data, len);
	}
	*data = malloc(src_len + 1);
	if (!*data)
		return -ENOMEM;
	memcpy(*data, src, src_len);
	(*data)[src_len] = 0;
	*len = src_len;
	return 0;
}

/* Loaded (or refused): the key material goes now. */
static void key_material_wipe(struct upcall_handshake *hs)
{
	upcall_key_free(hs->cert_pem, hs->cert_len);
	upcall_key_free(hs->key_pem, hs->key_len);
	hs->cert_pem = NULL;
	hs->key_pem = NULL;
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
 * (psk_keyring.c), or asks whoever read the request (@m's psk_find); the
 * key it used is REMOTE_AUTH.
 */
static int pick_psk(const struct upcall_req *req, struct upcall_material *m,
		    struct upcall_handshake *hs, struct ktls_config *k)
{
	int err;

	/* The PSK authenticates the server: no certificate name to check. */
	k->server_name = NULL;
	k->min_version = KTLS_TLS_1_3;
	if (req->msg_type == HANDSHAKE_MSG_TYPE_SERVERHELLO) {
		if (m->psk_find) {
			k->psk_find = m->psk_find;
			k->psk_find_arg = m->psk_find_arg;
			return 0;
		}
		err = upcall_psk_lookup_new(req, &hs->psk_serial,
					    &hs->psk_lookup);
		if (err)
			return err;
		k->psk_find = upcall_psk_find;
		k->psk_find_arg = hs->psk_lookup;
		return 0;
	}
	if (!m->psk_key)
		return upcall_fail(-ENOKEY, "a PSK client handshake needs the PSK");
	hs->psk_identity = m->psk_identity;
	hs->psk_key = m->psk_key;
	hs->psk_key_len = m->psk_key_len;
	hs->psk_serial = m->psk_serial;
	m->psk_identity = NULL;
	m->psk_key = NULL;
	k->psk_identity = hs->psk_identity;
	k->psk_key = hs->psk_key;
	k->psk_key_len = hs->psk_key_len;
	k->ciphers = upcall_psk_cipher(hs->psk_identity);
	return 0;
}

/* The request's own certificate and key, from key serials or files. */
static int pick_identity(const struct upcall_req *req,
			 const struct upcall_serve_config *cfg,
			 struct upcall_material *m,
			 struct upcall_handshake *hs, struct ktls_config *k)
{
	bool client = req->msg_type == HANDSHAKE_MSG_TYPE_CLIENTHELLO;

	if (req->auth_mode != HANDSHAKE_AUTH_X509)
		return 0;
	if (req->cert) {
		if (!m->cert_pem || (!m->key_pem && !m->signer))
			return upcall_fail(-ENOKEY, "the request names certificate "
					   "key %d but no private key", req->cert);
		hs->cert_pem = m->cert_pem;
		hs->cert_len = m->cert_len;
		hs->key_pem = m->key_pem;
		hs->key_len = m->key_len;
		m->cert_pem = NULL;
		m->key_pem = NULL;
		snprintf(hs->cert_name, sizeof(hs->cert_name),
			 "certificate key %d", req->cert);
		snprintf(hs->key_name, sizeof(hs->key_name),
			 "private key %d", req->privkey);
		k->cert_file = hs->cert_name;
		k->key_file = hs->key_name;
		if (m->signer) {
			k->signer = m->signer;
			k->key_file = NULL;
		}
		return 0;
	}
	k->cert_file = client ? cfg->client_cert_file : cfg->cert_file;
	k->key_file = client ? cfg->client_key_file : cfg->key_file;
	k->signer = client ? cfg->client_signer : cfg->signer;
	if (k->signer)
		k->key_file = NULL;
	if (!k->cert_file || !*k->cert_file ||
	    (!k->signer && (!k->key_file || !*k->key_file)))
		return upcall_fail(-ENOKEY, "an x509 %s handshake without key "
				   "serials needs a configured %scertificate "
				   "and private key, and there is none",
				   upcall_msg_type_name(req->msg_type),
				   client ? "client " : "server ");
	return 0;
}

void upcall_material_wipe(struct upcall_material *m)
{
	upcall_key_free(m->cert_pem, m->cert_len);
	upcall_key_free(m->key_pem, m->key_len);
	upcall_key_free(m->psk_key, m->psk_key_len);
	free(m->psk_identity);
	m->cert_pem = NULL;
	m->key_pem = NULL;
	m->psk_key = NULL;
	m->psk_identity = NULL;
}

int upcall_material_read(const struct upcall_req *req,
			 struct upcall_material *m)
{
	int err;

	memset(m, 0, sizeof(*m));
	err = check_request(req);
	if (err)
		return err;
	if (req->auth_mode == HANDSHAKE_AUTH_X509 && req->cert) {
		if (!req->privkey)
			return upcall_fail(-ENOKEY, "the request names certificate "
					   "key %d but no private key", req->cert);
		err = key_read_pem(req->cert, false, &m->cert_pem,
				   &m->cert_len);
		if (!err)
			err = key_read_pem(req->privkey, true, &m->key_pem,
					   &m->key_len);
	} else if (req->auth_mode == HANDSHAKE_AUTH_PSK &&
		   req->msg_type == HANDSHAKE_MSG_TYPE_CLIENTHELLO) {
		if (!req->num_peerids || req->peerids[0] <= 0)
			return upcall_fail(-ENOKEY, "a PSK client handshake needs the "
					   "PSK's key serial in the request (peer "
					   "identity), and the request has none");
		err = upcall_psk_read(req->peerids[0], &m->psk_identity,
				      &m->psk_key, &m->psk_key_len);
		if (err && err != -ENOKEY)
			err = -EKEYREJECTED;
		if (!err)
			m->psk_serial = req->peerids[0];
	}
	if (err)
		upcall_material_wipe(m);
	return err;
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
	key_material_wipe(hs);
	free(hs);
}

int upcall_prepare(const struct upcall_req *req,
		   const struct upcall_serve_config *cfg,
		   struct upcall_handshake **out)
{
	struct upcall_material m;
	int err;

	*out = NULL;
	err = upcall_material_read(req, &m);
	if (err)
		return err;
	return upcall_prepare_with(req, cfg, &m, out);
}

int upcall_prepare_with(const struct upcall_req *req,
			const struct upcall_serve_config *cfg,
			struct upcall_material *m,
			struct upcall_handshake **out)
{
	struct ktls_config k = {
		.ca_file = cfg->ca_file,
		.handshake_timeout_ms = req->timeout_ms ? (int)req->timeout_ms :
					cfg->timeout_ms,
		.read_file = cfg->read_file,
		.read_file_arg = cfg->read_file_arg,
	};
	struct upcall_handshake *hs;
	int err;

	*out = NULL;
	err = check_request(req);
	if (err)
		goto wipe_material;
	hs = calloc(1, sizeof(*hs));
	if (!hs) {
		err = upcall_fail(-ENOMEM, "out of memory");
		goto wipe_material;
	}
	hs->cfg = cfg;
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
		/* Every client that checks a certificate checks revocation. */
		if (req->auth_mode != HANDSHAKE_AUTH_PSK)
			k.crl_file = cfg->crl_file;
	} else {
		k.role = KTLS_ROLE_SERVER;
		if (req->auth_mode == HANDSHAKE_AUTH_X509 &&
		    cfg->verify_client) {
			k.verify_client = true;
			k.client_cert_optional = cfg->client_cert_optional;
			k.ca_file = cfg->client_ca_file;
			k.crl_file = cfg->client_crl_file;
		}
	}
	/* The request's keyring is linked from ACCEPT to DONE (keys.c). */
	if (req->auth_mode == HANDSHAKE_AUTH_PSK)
		err = pick_psk(req, m, hs, &k);
	else
		err = pick_identity(req, cfg, m, hs, &k);
	if (err)
		goto free_hs;
	if (cfg->get_ctx && !req->cert &&
	    req->auth_mode != HANDSHAKE_AUTH_PSK) {
		err = cfg->get_ctx(cfg->get_ctx_arg, &k, &hs->ctx,
				   &hs->own_ctx);
	} else {
		if (hs->cert_pem) {
			k.read_file = serial_read;
			k.read_file_arg = hs;
		}
		err = ktls_ctx_new(&k, &hs->ctx);
		hs->own_ctx = !err;
	}
	key_material_wipe(hs);
	if (err) {
		/* Key material given by the request is the request's fault. */
		err = upcall_fail(req->cert || hs->psk_key || hs->psk_lookup ||
				  m->psk_find ?
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
	upcall_material_wipe(m);
	*out = hs;
	return 0;

restore_flags:
	fcntl(req->sockfd, F_SETFL, hs->sock_flags);
free_hs:
	handshake_free(hs);
wipe_material:
	upcall_material_wipe(m);
	return err;
}

int upcall_complete(struct upcall_req *req, struct upcall_handshake *hs,
		    int err, struct upcall_outcome *out)
{
	memset(out, 0, sizeof(*out));
	if (!err && !hs)
		err = upcall_fail(-EINVAL, "upcall_complete: no handshake");
	if (!err) {
		err = ktls_install(hs->session, KTLS_TX | KTLS_RX);
		if (err)
			upcall_fail(err, "%s handshake: %s",
				    upcall_msg_type_name(req->msg_type),
				    ktls_reason());
	}
	/* A PSK proves who the peer is; a certificate is read for the key. */
	if (!err && req->auth_mode != HANDSHAKE_AUTH_PSK &&
	    ktls_session_peer_certs(hs->session) > 0 &&
	    !ktls_session_peer_cert(hs->session, 0, &out->peer))
		out->peer_cert = true;
	out->status = upcall_status_of(err);
	if (out->status)
		snprintf(out->why, sizeof(out->why), "%s", upcall_reason());
	/* The session's secrets go before the kernel hears anything. */
	if (hs) {
		/* The consumer shares the file: give it back as it came. */
		if (hs->sock_flags >= 0)
			fcntl(req->sockfd, F_SETFL, hs->sock_flags);
		handshake_free(hs);
	}
	return out->status;
}

int upcall_report(struct upcall *up, struct upcall_req *req,
		  const struct upcall_outcome *out, int32_t psk_serial)
{
	int32_t peer_key = 0;
	char why[sizeof(out->why)];
	int status = out->status, ret;

	snprintf(why, sizeof(why), "%s", out->why);
	if (!status && req->auth_mode == HANDSHAKE_AUTH_PSK)
		peer_key = psk_serial;		/* the PSK we both proved */
	else if (!status && out->peer_cert &&
		 upcall_peer_key_store(req, &out->peer, &peer_key)) {
		status = EIO;
		snprintf(why, sizeof(why), "%s", upcall_reason());
	}
	ret = upcall_done(up, req, status, peer_key ? &peer_key : NULL,
			  peer_key ? 1 : 0);
	if (ret)
		return ret;
	if (status)
		upcall_fail(0, "%s", why);
	return status;
}

int upcall_finish(struct upcall *up, struct upcall_req *req,
		  struct upcall_handshake *hs, int err)
{
	struct upcall_outcome out;
	int32_t psk_serial = hs ? hs->psk_serial : 0;

	upcall_complete(req, hs, err, &out);
	return upcall_report(up, req, &out, psk_serial);
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
