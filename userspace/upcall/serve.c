// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Serve one accepted request with libktls: the handshake the kernel asked
 * for, kernel TLS in both directions, then DONE with a deliberate status.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktls/ktls.h"
#include "internal.h"

/*
 * libktls reads PEM files: hand it key material from a key serial as a
 * memfd, named through /proc/self/fd. Nothing touches the disk.
 */
static int key_to_memfd(int32_t serial, int *fd, char *path, size_t len)
{
	static const char pem[] = "-----BEGIN ";
	uint8_t *data;
	size_t size;
	int err;

	err = upcall_key_read(serial, &data, &size);
	if (err)
		return err;
	if (size < sizeof(pem) - 1 || memcmp(data, pem, sizeof(pem) - 1)) {
		upcall_key_free(data, size);
		return upcall_fail(-EKEYREJECTED, "key %d is not PEM; DER key "
				   "material is not supported yet",
				   serial);
	}
	*fd = memfd_create("upcall-key", MFD_CLOEXEC);
	if (*fd < 0 || write(*fd, data, size) != (ssize_t)size) {
		err = upcall_fail(-errno, "copying key %d to a memfd: %s",
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

/* The errno DONE reports (negated) when serving failed with @err. */
static int status_of(int err)
{
	switch (err) {
	case -ETIMEDOUT:
	case -EKEYREJECTED:
	case -EOPNOTSUPP:
		return err;
	case -ENOENT:		/* no kernel TLS */
	case -ENOMEM:
		return -EIO;
	}
	return -EACCES;
}

static int check_request(const struct upcall_req *req)
{
	if (req->msg_type != HANDSHAKE_MSG_TYPE_CLIENTHELLO &&
	    req->msg_type != HANDSHAKE_MSG_TYPE_SERVERHELLO)
		return upcall_fail(-EOPNOTSUPP, "unknown handshake message type %u",
				   req->msg_type);
	if (req->auth_mode == HANDSHAKE_AUTH_PSK)
		return upcall_fail(-EOPNOTSUPP, "PSK handshakes are not supported yet");
	if (req->auth_mode == HANDSHAKE_AUTH_X509 &&
	    req->msg_type == HANDSHAKE_MSG_TYPE_CLIENTHELLO)
		return upcall_fail(-EOPNOTSUPP, "x509 client handshakes (a "
				   "client certificate) are not supported yet");
	if (req->auth_mode != HANDSHAKE_AUTH_X509 &&
	    req->auth_mode != HANDSHAKE_AUTH_UNAUTH)
		return upcall_fail(-EOPNOTSUPP, "unknown auth mode %u",
				   req->auth_mode);
	if (req->auth_mode == HANDSHAKE_AUTH_UNAUTH &&
	    req->msg_type == HANDSHAKE_MSG_TYPE_SERVERHELLO)
		return upcall_fail(-EOPNOTSUPP, "a server cannot be unauthenticated");
	return 0;
}

static int run_handshake(const struct upcall_req *req,
			 const struct upcall_serve_config *cfg)
{
	char cert_path[64], key_path[64];
	struct ktls_config config = {
		.ca_file = cfg->ca_file,
		.cert_file = cfg->cert_file,
		.key_file = cfg->key_file,
		.handshake_timeout_ms = req->timeout_ms ? (int)req->timeout_ms :
					cfg->timeout_ms,
	};
	struct ktls_session *session = NULL;
	int cert_fd = -1, key_fd = -1;
	struct ktls_ctx *ctx = NULL;
	int err;

	if (req->msg_type == HANDSHAKE_MSG_TYPE_CLIENTHELLO) {
		config.role = KTLS_ROLE_CLIENT;
		config.server_name = req->peername[0] ? req->peername :
				     cfg->server_name;
	} else {
		config.role = KTLS_ROLE_SERVER;
	}
	if (req->cert) {
		err = key_to_memfd(req->cert, &cert_fd, cert_path,
				   sizeof(cert_path));
		if (!err)
			err = key_to_memfd(req->privkey, &key_fd, key_path,
					   sizeof(key_path));
		if (err) {
			err = -EKEYREJECTED;
			goto out;
		}
		config.cert_file = cert_path;
		config.key_file = key_path;
	}

	err = ktls_ctx_new(&config, &ctx);
	if (!err)
		err = ktls_handshake(ctx, req->sockfd, &session);
	if (!err)
		err = ktls_install(session, KTLS_TX | KTLS_RX);
	if (err)
		upcall_fail(err, "%s handshake: %s",
			    upcall_msg_type_name(req->msg_type), ktls_reason());
out:
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	if (cert_fd >= 0)
		close(cert_fd);
	if (key_fd >= 0)
		close(key_fd);
	return err;
}

int upcall_serve(struct upcall *up, struct upcall_req *req,
		 const struct upcall_serve_config *cfg)
{
	char why[512] = "";
	int status = 0, err;

	err = check_request(req);
	if (!err)
		err = run_handshake(req, cfg);
	if (err) {
		snprintf(why, sizeof(why), "%s", upcall_reason());
		status = -status_of(err);
	}
	err = upcall_done(up, req, status, NULL, 0);
	if (err)
		return err;
	if (status)
		upcall_fail(0, "%s", why);
	return status;
}
