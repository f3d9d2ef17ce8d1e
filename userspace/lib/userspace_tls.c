// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Userspace TLS for kernels without kernel TLS: the session stays in
 * WolfSSL, which encrypts and decrypts every record. Callers that chose
 * this path say so (ktls-serve prints it); nothing here falls back on its
 * own.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>

#include "ktls/tls_prot.h"
#include "ktls_internal.h"

static bool blocking(const struct ktls_session *session)
{
	return !(fcntl(session->fd, F_GETFL) & O_NONBLOCK);
}

/* On a blocking socket wait here; on a non-blocking one the caller does. */
static int wait_or_again(struct ktls_session *session, short events)
{
	struct pollfd pfd = { .fd = session->fd, .events = events };

	session->wants = events;
	if (!blocking(session))
		return -EAGAIN;
	if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
		return __ktls_fail(-errno, "poll: %s", strerror(errno));
	return 0;
}

static int usable(struct ktls_session *session)
{
	if (session->installed)
		return __ktls_fail(-EINVAL,
				 "userspace TLS after kernel TLS was installed: use ktls_recv/ktls_send");
	return 0;
}

/* Why WolfSSL stopped, once it is not for want of IO. */
static int failure(struct ktls_session *session, const char *what, int err)
{
	WOLFSSL_ALERT_HISTORY alerts;

	session->rx_closed = true;
	if (wolfSSL_get_alert_history(session->ssl, &alerts) ==
		    WOLFSSL_SUCCESS &&
	    alerts.last_rx.level == TLS_ALERT_LEVEL_FATAL)
		return __ktls_fail(-ECONNRESET, "the peer sent fatal alert %s (%d)",
				 __ktls_alert_name(alerts.last_rx.code),
				 alerts.last_rx.code);
	if (session->rio.peer_closed)
		return __ktls_fail(-ECONNRESET,
				 "the peer closed the connection without close_notify (the data may be truncated)");
	if (session->rio.last_errno == EPIPE ||
	    session->rio.last_errno == ECONNRESET)
		return __ktls_fail(-session->rio.last_errno,
				 "%s: the peer reset the connection", what);
	return __ktls_fail(-EIO, "%s failed (WolfSSL error %d)", what, err);
}

ssize_t ktls_tls_recv(struct ktls_session *session, void *buf, size_t len)
{
	int n, err, ret;

	ret = usable(session);
	if (ret)
		return ret;
	if (session->rx_closed)
		return 0;
	for (;;) {
		session->rio.last_errno = 0;
		n = wolfSSL_read(session->ssl, buf, len > INT32_MAX ?
						    INT32_MAX : (int)len);
		/*
		 * A TLS 1.3 ticket comes before the data (or the close):
		 * keep it for the next handshake, as ktls_recv() does.
		 */
		if (n > 0) {
			__ktls_save_resumption(session);
			return n;
		}
		err = wolfSSL_get_error(session->ssl, n);
		if (err == WOLFSSL_ERROR_ZERO_RETURN) {
			__ktls_save_resumption(session);
			session->rx_closed = true;
			return 0;
		}
		if (err == WOLFSSL_ERROR_WANT_READ)
			ret = wait_or_again(session, POLLIN);
		else if (err == WOLFSSL_ERROR_WANT_WRITE)
			ret = wait_or_again(session, POLLOUT);
		else
			break;
		if (ret)
			return ret;
	}
	/* Closed or reset without close_notify: a ticket read stands. */
	if (session->rio.peer_closed || session->rio.last_errno == ECONNRESET)
		__ktls_save_resumption(session);
	return failure(session, "userspace TLS read", err);
}

/*
 * WolfSSL sends all of @len or nothing; after -EAGAIN call again with the
 * same buffer and length once the socket is writable.
 */
ssize_t ktls_tls_send(struct ktls_session *session, const void *buf,
		      size_t len)
{
	int n, err, ret;

	ret = usable(session);
	if (ret)
		return ret;
	if (len > INT32_MAX)
		len = INT32_MAX;
	for (;;) {
		session->rio.last_errno = 0;
		n = wolfSSL_write(session->ssl, buf, (int)len);
		if (n > 0)
			return n;
		err = wolfSSL_get_error(session->ssl, n);
		if (err == WOLFSSL_ERROR_WANT_WRITE)
			ret = wait_or_again(session, POLLOUT);
		else if (err == WOLFSSL_ERROR_WANT_READ)
			ret = wait_or_again(session, POLLIN);
		else
			return failure(session, "userspace TLS write", err);
		if (ret)
			return ret;
	}
}

int ktls_tls_close_notify(struct ktls_session *session)
{
	int ret, err;

	ret = usable(session);
	if (ret)
		return ret;
	for (;;) {
		session->rio.last_errno = 0;
		/* Sent (or flushed, on a later call): the peer's may follow. */
		ret = wolfSSL_shutdown(session->ssl);
		if (ret == WOLFSSL_SUCCESS || ret == WOLFSSL_SHUTDOWN_NOT_DONE)
			return 0;
		err = wolfSSL_get_error(session->ssl, ret);
		if (err != WOLFSSL_ERROR_WANT_WRITE)
			return failure(session, "userspace TLS close_notify", err);
		ret = wait_or_again(session, POLLOUT);
		if (ret)
			return ret;
	}
}
