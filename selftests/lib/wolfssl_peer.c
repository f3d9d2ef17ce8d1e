// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls/tls_prot.h"
#include "wolfssl_peer.h"

int wolfssl_peer_init(void)
{
	return wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : -EIO;
}

static int peer_recv(WOLFSSL *ssl, char *buf, int len, void *arg)
{
	struct wolfssl_peer *peer = arg;
	ssize_t n;

	(void)ssl;
	if (peer->hold_last_flight && peer->sent_any)
		peer->holding = true;
	n = recv(peer->fd, buf, (size_t)len, 0);
	if (n == 0)
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	if (n < 0)
		return errno == ECONNRESET ? WOLFSSL_CBIO_ERR_CONN_RST :
					     WOLFSSL_CBIO_ERR_GENERAL;
	return (int)n;
}

static int peer_send(WOLFSSL *ssl, char *buf, int len, void *arg)
{
	struct wolfssl_peer *peer = arg;
	ssize_t n;

	(void)ssl;
	peer->sent_any = true;
	/* The last byte of a record is its AEAD tag: any flip breaks it. */
	if (peer->corrupt_next && len > TLS_RECORD_HEADER_LEN) {
		buf[len - 1] ^= 0x01;
		peer->corrupt_next = false;
	}
	if (peer->holding) {
		if (peer->held_len + (size_t)len > sizeof(peer->held))
			return WOLFSSL_CBIO_ERR_GENERAL;
		memcpy(peer->held + peer->held_len, buf, (size_t)len);
		peer->held_len += (size_t)len;
		return len;
	}
	n = send(peer->fd, buf, (size_t)len, MSG_NOSIGNAL);
	return n < 0 ? WOLFSSL_CBIO_ERR_CONN_CLOSE : (int)n;
}

int wolfssl_peer_new(struct wolfssl_peer *peer, enum ktls_role role, int fd,
		     const struct test_opts *opts, bool session_tickets)
{
	bool server = role == KTLS_ROLE_SERVER;
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	int version = opts->version == KTLS_TLS_1_2 ? WOLFSSL_TLSV1_2 :
						      WOLFSSL_TLSV1_3;

	memset(peer, 0, sizeof(*peer));
	peer->fd = fd;
	peer->ctx = wolfSSL_CTX_new(server ? wolfSSLv23_server_method() :
					     wolfSSLv23_client_method());
	if (!peer->ctx)
		return -ENOMEM;
	if (opts->version &&
	    (wolfSSL_CTX_SetMinVersion(peer->ctx, version) != WOLFSSL_SUCCESS ||
	     wolfSSL_CTX_set_max_proto_version(peer->ctx, opts->version) !=
		     WOLFSSL_SUCCESS))
		goto fail;
	test_pki_file(opts->rsa ? "server-rsa.pem" : "server.pem", cert,
		      sizeof(cert));
	test_pki_file(opts->rsa ? "server-rsa.key" : "server.key", key,
		      sizeof(key));
	test_pki_file("ca.pem", ca, sizeof(ca));
	if (server) {
		if (wolfSSL_CTX_use_certificate_chain_file(peer->ctx, cert) !=
			    WOLFSSL_SUCCESS ||
		    wolfSSL_CTX_use_PrivateKey_file(peer->ctx, key,
						    WOLFSSL_FILETYPE_PEM) !=
			    WOLFSSL_SUCCESS)
			goto fail;
		if (!session_tickets)
			wolfSSL_CTX_no_ticket_TLSv13(peer->ctx);
	} else if (wolfSSL_CTX_load_verify_locations(peer->ctx, ca, NULL) !=
		   WOLFSSL_SUCCESS) {
		goto fail;
	}
	wolfSSL_CTX_SetIORecv(peer->ctx, peer_recv);
	wolfSSL_CTX_SetIOSend(peer->ctx, peer_send);
	peer->ssl = wolfSSL_new(peer->ctx);
	if (!peer->ssl)
		goto fail;
	wolfSSL_SetIOReadCtx(peer->ssl, peer);
	wolfSSL_SetIOWriteCtx(peer->ssl, peer);
	/*
	 * One key share for the group our side prefers by default (the
	 * hybrid): a classical one would make our server ask for a retry,
	 * and a held last flight would then hold the second ClientHello.
	 */
	if (!server && opts->version != KTLS_TLS_1_2 &&
	    wolfSSL_UseKeyShare(peer->ssl, WOLFSSL_X25519MLKEM768) !=
		    WOLFSSL_SUCCESS)
		goto fail;
	return 0;
fail:
	wolfssl_peer_free(peer);
	return -EINVAL;
}

int wolfssl_peer_handshake(struct wolfssl_peer *peer)
{
	int ret = wolfSSL_is_server(peer->ssl) ? wolfSSL_accept(peer->ssl) :
						 wolfSSL_connect(peer->ssl);

	return ret == WOLFSSL_SUCCESS ? 0 : -ECONNABORTED;
}

int wolfssl_peer_write(struct wolfssl_peer *peer, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		int n = wolfSSL_write(peer->ssl, (const char *)buf + done,
				      (int)(len - done));

		if (n <= 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int wolfssl_peer_flush(struct wolfssl_peer *peer)
{
	ssize_t n;

	peer->holding = false;
	peer->hold_last_flight = false;
	if (!peer->held_len)
		return 0;
	n = send(peer->fd, peer->held, peer->held_len, MSG_NOSIGNAL);
	if (n != (ssize_t)peer->held_len)
		return -EIO;
	peer->held_len = 0;
	return 0;
}

static ssize_t stream_send(void *handle, const void *buf, size_t len)
{
	int n = wolfSSL_write(((struct wolfssl_peer *)handle)->ssl, buf,
			      (int)len);

	return n > 0 ? n : -EIO;
}

static ssize_t stream_recv(void *handle, void *buf, size_t len)
{
	int n = wolfSSL_read(((struct wolfssl_peer *)handle)->ssl, buf,
			     (int)len);

	return n > 0 ? n : -EIO;
}

static void stream_abort(void *handle)
{
	shutdown(((struct wolfssl_peer *)handle)->fd, SHUT_RDWR);
}

void wolfssl_peer_stream(struct wolfssl_peer *peer, struct stream *stream)
{
	stream->send = stream_send;
	stream->recv = stream_recv;
	stream->abort = stream_abort;
	stream->handle = peer;
}

void wolfssl_peer_free(struct wolfssl_peer *peer)
{
	wolfSSL_free(peer->ssl);
	wolfSSL_CTX_free(peer->ctx);
	peer->ssl = NULL;
	peer->ctx = NULL;
}
