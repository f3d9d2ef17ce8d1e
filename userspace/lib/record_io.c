// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Record-exact reads for WolfSSL's IO callbacks. WolfSSL asks for a header,
 * then a body; we also clamp every read to the current record ourselves, so
 * the guarantee does not rest on WolfSSL's buffering: nothing past the last
 * record WolfSSL consumed is ever taken out of the socket.
 */
#include <errno.h>
#include <sys/socket.h>

#include "internal.h"

void ktls_record_io_init(struct ktls_record_io *rio, int fd)
{
	*rio = (struct ktls_record_io){ .fd = fd };
}

bool ktls_record_io_at_boundary(const struct ktls_record_io *rio)
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

/* Account for @n bytes read into @buf against the record framing. */
static void consume(struct ktls_record_io *rio, const char *buf, size_t n)
{
	if (rio->body_left) {
		rio->body_left -= n;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (rio->first_len < TLS_RECORD_HEADER_LEN)
			rio->first[rio->first_len++] = (uint8_t)buf[i];
		rio->header[rio->header_len++] = (uint8_t)buf[i];
	}
	if (rio->header_len == TLS_RECORD_HEADER_LEN) {
		rio->body_left = (size_t)rio->header[3] << 8 | rio->header[4];
		rio->header_len = 0;
	}
}

int ktls_record_io_recv(WOLFSSL *ssl, char *buf, int len, void *ctx)
{
	struct ktls_record_io *rio = ctx;
	size_t want = (size_t)len;
	ssize_t n;

	(void)ssl;
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
	consume(rio, buf, (size_t)n);
	return (int)n;
}

int ktls_record_io_send(WOLFSSL *ssl, char *buf, int len, void *ctx)
{
	struct ktls_record_io *rio = ctx;
	ssize_t n;

	(void)ssl;
	/* Its records would be encrypted a second time by the kernel. */
	if (rio->tx_in_kernel)
		return cbio_error(rio, EPERM);
	n = send(rio->fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return cbio_error(rio, errno);
	rio->sent = true;
	return (int)n;
}
