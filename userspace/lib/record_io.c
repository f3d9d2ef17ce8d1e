// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Record-exact reads for WolfSSL's IO callbacks. WolfSSL asks for a header,
 * then a body; we also clamp every read to the current record ourselves, so
 * the guarantee does not rest on WolfSSL's buffering: nothing past the last
 * record WolfSSL consumed is ever taken out of the socket.
 */
#include <errno.h>
#include <sys/socket.h>

#include "ktls_internal.h"

void __ktls_record_io_init(struct ktls_record_io *rio, int fd)
{
	*rio = (struct ktls_record_io){ .fd = fd };
}

bool __ktls_record_io_at_boundary(const struct ktls_record_io *rio)
{
	return rio->header_len == 0 && rio->body_left == 0;
}

static int cbio_error(struct ktls_record_io *rio, int err)
{
	rio->last_errno = err;
	switch (err) {
	case EAGAIN:
		return WOLFSSL_CBIO_ERR_WANT_READ;
	case EINTR:
		return WOLFSSL_CBIO_ERR_ISR;
	case ECONNRESET:
		return WOLFSSL_CBIO_ERR_CONN_RST;
	case EPIPE:
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	default:
		return WOLFSSL_CBIO_ERR_GENERAL;
	}
}

void __ktls_record_io_free(struct ktls_record_io *rio)
{
	__ktls_hello_check_free(rio);
	__ktls_hs_alerts_free(rio);
}

/*
 * Account for @n bytes read into @buf against the record framing, and let
 * hello_check.c see each header and body before WolfSSL does.
 */
static int consume(struct ktls_record_io *rio, WOLFSSL *ssl, const char *buf,
		   size_t n)
{
	if (rio->body_left) {
		rio->body_left -= n;
		if (__ktls_hello_check_body(rio, ssl, (const uint8_t *)buf, n))
			return -EPROTO;
		return __ktls_hs_alerts_body(rio, ssl, (const uint8_t *)buf, n);
	}
	for (size_t i = 0; i < n; i++) {
		if (rio->first_len < TLS_RECORD_HEADER_LEN)
			rio->first[rio->first_len++] = (uint8_t)buf[i];
		rio->header[rio->header_len++] = (uint8_t)buf[i];
	}
	if (rio->header_len < TLS_RECORD_HEADER_LEN)
		return 0;
	rio->type = rio->header[0];
	rio->body_left = (size_t)rio->header[3] << 8 | rio->header[4];
	rio->header_len = 0;
	if (__ktls_hello_check_header(rio, rio->header))
		return -EPROTO;
	return __ktls_hs_alerts_header(rio, ssl, rio->header);
}

/*
 * Follow what we send, record by record: once a CCS or an encrypted record
 * has gone out, an alert of ours could no longer be plaintext.
 */
static void sent(struct ktls_record_io *rio, const uint8_t *buf, size_t n)
{
	while (n) {
		size_t k;

		if (rio->out_body_left) {
			k = n < rio->out_body_left ? n : rio->out_body_left;
			rio->out_body_left -= k;
			buf += k;
			n -= k;
			continue;
		}
		rio->out_header[rio->out_header_len++] = *buf++;
		n--;
		if (rio->out_header_len < TLS_RECORD_HEADER_LEN)
			continue;
		rio->out_header_len = 0;
		rio->out_body_left = (size_t)rio->out_header[3] << 8 |
				     rio->out_header[4];
		if (rio->out_header[0] == TLS_RECORD_TYPE_ALERT) {
			rio->alert_sent = true;
		} else if (rio->out_header[0] != TLS_RECORD_TYPE_HANDSHAKE) {
			/* hello_check.c's part is over */
			rio->encrypted = true;
			__ktls_hello_check_free(rio);
		}
	}
}

int __ktls_record_io_recv(WOLFSSL *ssl, char *buf, int len, void *ctx)
{
	struct ktls_record_io *rio = ctx;
	size_t want = (size_t)len;
	ssize_t n;

	if (rio->body_left) {
		if (want > rio->body_left)
			want = rio->body_left;
	} else if (want > TLS_RECORD_HEADER_LEN - rio->header_len) {
		want = TLS_RECORD_HEADER_LEN - rio->header_len;
	}

	/* MSG_DONTWAIT: the handshake loop polls, and owns the deadline. */
	n = recv(rio->fd, buf, want, MSG_DONTWAIT);
	if (n < 0)
		return cbio_error(rio, errno);
	if (n == 0) {
		rio->peer_closed = true;
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	}
	if (rio->sent) {
		rio->round_trips++;
		rio->sent = false;
	}
	/* Refused: WolfSSL sees an IO error and adds no alert of its own. */
	if (consume(rio, ssl, buf, (size_t)n))
		return WOLFSSL_CBIO_ERR_GENERAL;
	return (int)n;
}

int __ktls_record_io_send(WOLFSSL *ssl, char *buf, int len, void *ctx)
{
	struct ktls_record_io *rio = ctx;
	ssize_t n;

	(void)ssl;
	/* Its records would be encrypted a second time by the kernel. */
	if (rio->tx_in_kernel)
		return cbio_error(rio, EPERM);
	if (!rio->out_header_len && !rio->out_body_left &&
	    __ktls_hello_check_send(rio, (const uint8_t *)buf, (size_t)len))
		return WOLFSSL_CBIO_ERR_GENERAL;
	n = send(rio->fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return cbio_error(rio, errno);
	sent(rio, (const uint8_t *)buf, (size_t)n);
	rio->sent = true;
	return (int)n;
}
