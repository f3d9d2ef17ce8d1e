// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * After the switch: the kernel decrypts every record, and hands non-data
 * records (alerts, post-handshake messages) to userspace with a
 * TLS_GET_RECORD_TYPE cmsg. Here they are read, acted on, and never passed
 * off as application data; alerts go out with TLS_SET_RECORD_TYPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/tls.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include "internal.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

#define RECORD_ALERT 21
#define RECORD_HANDSHAKE 22
#define RECORD_DATA 23

#define ALERT_WARNING 1
#define ALERT_FATAL 2
#define ALERT_CLOSE_NOTIFY 0
#define ALERT_BAD_RECORD_MAC 20
#define ALERT_UNEXPECTED_MESSAGE 10

#define HS_HELLO_REQUEST 0
#define HS_NEW_SESSION_TICKET 4
#define HS_KEY_UPDATE 24
#define HS_HEADER_LEN 4

#define KEY_UPDATE_WITHOUT_SESSION \
	"the peer sent a KeyUpdate, which needs the session's traffic secrets " \
	"(freed after the switch); connection closed"

#define BAD_RECORD_REASON \
	"a record failed authentication (tampered or corrupted); connection closed"

/*
 * The receiving side of one connection after the switch: a session, or
 * just the socket (ktls_recv_fd: no traffic secrets, no version at hand).
 */
struct rx {
	int fd;
	struct ktls_session *session;	/* NULL for ktls_recv_fd() */
	bool closed;
};

/* One record, or part of one, and its type. */
static ssize_t recv_record(int fd, void *buf, size_t len, uint8_t *type)
{
	char control[CMSG_SPACE(sizeof(uint8_t))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	do {
		n = recvmsg(fd, &msg, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	*type = RECORD_DATA;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg && cmsg->cmsg_level == SOL_TLS &&
	    cmsg->cmsg_type == TLS_GET_RECORD_TYPE)
		*type = *(uint8_t *)CMSG_DATA(cmsg);
	return n;
}

int ktls_send_record(struct ktls_session *session, uint8_t type,
		     const void *data, size_t len)
{
	char control[CMSG_SPACE(sizeof(uint8_t))] = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	cmsg->cmsg_level = SOL_TLS;
	cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
	cmsg->cmsg_len = CMSG_LEN(sizeof(uint8_t));
	*(uint8_t *)CMSG_DATA(cmsg) = type;
	do {
		n = sendmsg(session->fd, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

int ktls_send_alert(struct ktls_session *session, uint8_t level,
		    uint8_t description)
{
	uint8_t alert[2] = { level, description };

	if (!(session->installed & KTLS_TX))
		return ktls_fail(-EINVAL, "kernel TLS TX is not installed");
	return ktls_send_record(session, RECORD_ALERT, alert, sizeof(alert));
}

int ktls_close_notify(struct ktls_session *session)
{
	int ret = ktls_send_alert(session, ALERT_WARNING, ALERT_CLOSE_NOTIFY);

	if (ret)
		return ktls_fail(ret, "sending close_notify: %s",
				 strerror(-ret));
	return 0;
}

/*
 * Something the kernel cannot recover from: tell the peer, then close.
 * Without a session nothing says TX is in the kernel, and an alert sent
 * on a plain TCP socket would go out in the clear: then only close.
 */
static int fatal(struct rx *rx, uint8_t alert, int err)
{
	if (rx->session && (rx->session->installed & KTLS_TX))
		ktls_send_alert(rx->session, ALERT_FATAL, alert);
	shutdown(rx->fd, SHUT_RDWR);
	rx->closed = true;
	return err;
}

static int alert_record(struct rx *rx, const uint8_t *rec, ssize_t len)
{
	if (len != 2)
		return fatal(rx, ALERT_UNEXPECTED_MESSAGE,
			     ktls_fail(-EPROTO, "malformed alert record"));
	if (rec[1] == ALERT_CLOSE_NOTIFY) {
		rx->closed = true;
		return 1;
	}
	/*
	 * TLS 1.3 makes every other alert fatal; 1.2 by its level. Without
	 * a session the version is unknown: the level decides.
	 */
	if (rec[0] == ALERT_WARNING &&
	    (!rx->session || rx->session->version == KTLS_TLS_1_2))
		return 0;
	rx->closed = true;
	shutdown(rx->fd, SHUT_RDWR);
	return ktls_fail(-ECONNRESET, "the peer sent fatal alert %s (%d)",
			 ktls_alert_name(rec[1]), rec[1]);
}

/*
 * Read the rest of a handshake message whose first @have bytes are in
 * @msg, into @msg up to @cap bytes; the remainder is read and dropped.
 */
static int finish_message(struct rx *rx, uint8_t *msg, size_t have,
			  size_t cap, size_t *total)
{
	uint8_t scratch[512];
	uint8_t type;

	/* RFC 8446 5.1: even the header may be split across records. */
	while (have < HS_HEADER_LEN) {
		ssize_t n = recv_record(rx->fd, msg + have,
					HS_HEADER_LEN - have, &type);

		if (n <= 0 || type != RECORD_HANDSHAKE)
			return -EPROTO;
		have += (size_t)n;
	}
	*total = HS_HEADER_LEN + ((size_t)msg[1] << 16 | (size_t)msg[2] << 8 |
				  msg[3]);
	while (have < *total) {
		uint8_t *dst = have < cap ? msg + have : scratch;
		size_t room = have < cap ? cap - have : sizeof(scratch);
		ssize_t n;

		if (room > *total - have)
			room = *total - have;
		n = recv_record(rx->fd, dst, room, &type);
		if (n <= 0 || type != RECORD_HANDSHAKE)
			return -EPROTO;
		have += (size_t)n;
	}
	return 0;
}

/* The handshake message at @rec, of @len bytes read so far (@total in all). */
static int handshake_message(struct rx *rx, uint8_t *rec, size_t len,
			     size_t cap, size_t *total)
{
	int ret;

	ret = finish_message(rx, rec, len, cap, total);
	if (ret)
		return fatal(rx, ALERT_UNEXPECTED_MESSAGE,
			     ktls_fail(-EPROTO,
				       "malformed post-handshake message"));
	switch (rec[0]) {
	case HS_NEW_SESSION_TICKET:
		/* Resumption from tickets after the switch is not kept yet. */
		if (rx->session)
			rx->session->tickets_after_switch++;
		return 0;
	case HS_HELLO_REQUEST:
		/* TLS 1.2 renegotiation request: we never renegotiate. */
		return 0;
	case HS_KEY_UPDATE:
		/* RFC 8446 5.1: it precedes a key change, so ends its record. */
		if (*total != HS_HEADER_LEN + 1 || len != *total)
			return fatal(rx, ALERT_UNEXPECTED_MESSAGE,
				     ktls_fail(-EPROTO, "malformed KeyUpdate"));
		if (!rx->session)
			return fatal(rx, ALERT_UNEXPECTED_MESSAGE,
				     ktls_fail(-EPROTO, "%s",
					       KEY_UPDATE_WITHOUT_SESSION));
		ret = ktls_peer_key_update(rx->session, rec[HS_HEADER_LEN]);
		rx->closed = rx->session->rx_closed;
		return ret;
	}
	return fatal(rx, ALERT_UNEXPECTED_MESSAGE,
		     ktls_fail(-EPROTO,
			       "unexpected post-handshake message type %d",
			       rec[0]));
}

/* RFC 8446 5.1: one record may carry several messages; act on each. */
static int handshake_record(struct rx *rx, uint8_t *rec, ssize_t len,
			    size_t cap)
{
	size_t have = (size_t)len, total;
	int ret;

	for (;;) {
		ret = handshake_message(rx, rec, have, cap, &total);
		if (ret || rx->closed || total >= have)
			return ret;
		have -= total;
		memmove(rec, rec + total, have);
	}
}

/*
 * Before a deferred RX switch (a TLS 1.3 client keeping tickets): WolfSSL
 * reads, record by record, taking the tickets, until the first application
 * data; that data is returned from here, and kTLS RX goes in behind it.
 */
static ssize_t recv_userspace(struct ktls_session *session, void *buf,
			      size_t len)
{
	WOLFSSL_ALERT_HISTORY alerts;
	struct pollfd pfd = { .fd = session->fd, .events = POLLIN };
	int n, err;

	for (;;) {
		n = wolfSSL_read(session->ssl, buf, (int)len);
		if (n > 0) {
			ktls_save_resumption(session);
			/* If it fails, WolfSSL keeps reading: nothing is lost. */
			ktls_install_deferred_rx(session);
			return n;
		}
		err = wolfSSL_get_error(session->ssl, n);
		if (err == WOLFSSL_ERROR_ZERO_RETURN) {
			ktls_save_resumption(session);
			session->rx_closed = true;
			return 0;
		}
		if (err != WOLFSSL_ERROR_WANT_READ)
			break;
		if (fcntl(session->fd, F_GETFL) & O_NONBLOCK)
			return -EAGAIN;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return ktls_fail(-errno, "poll: %s", strerror(errno));
	}
	session->rx_closed = true;
	if (wolfSSL_get_alert_history(session->ssl, &alerts) ==
		    WOLFSSL_SUCCESS &&
	    alerts.last_rx.level == ALERT_FATAL)
		return ktls_fail(-ECONNRESET, "the peer sent fatal alert %s (%d)",
				 ktls_alert_name(alerts.last_rx.code),
				 alerts.last_rx.code);
	if (session->rio.peer_closed)
		return ktls_fail(-ECONNRESET,
				 "the peer closed the connection without close_notify (the data may be truncated)");
	return ktls_fail(-EIO, "reading before the switch failed (WolfSSL error %d)",
			 err);
}

/* Data records in @buf; everything else acted on here. */
static ssize_t recv_data(struct rx *rx, void *buf, size_t len)
{
	uint8_t type;
	ssize_t n;
	int ret;

	if (len < KTLS_RECV_MIN)
		return ktls_fail(-EINVAL,
				 "ktls_recv needs a buffer of at least %d bytes",
				 KTLS_RECV_MIN);
	while (!rx->closed) {
		n = recv_record(rx->fd, buf, len, &type);
		/* An event loop's everyday answer: no reason to write. */
		if (n == -EAGAIN)
			return n;
		if (n == -EBADMSG) {
			ret = ktls_fail(-EBADMSG, BAD_RECORD_REASON);
			return fatal(rx, ALERT_BAD_RECORD_MAC, ret);
		}
		if (n < 0)
			return ktls_fail((int)n, "reading from kernel TLS: %s",
					 strerror((int)-n));
		if (n == 0) {
			rx->closed = true;
			return ktls_fail(-ECONNRESET,
					 "the peer closed the connection without close_notify (the data may be truncated)");
		}
		if (type == RECORD_DATA)
			return n;
		if (type == RECORD_ALERT)
			ret = alert_record(rx, buf, n);
		else if (type == RECORD_HANDSHAKE)
			ret = handshake_record(rx, buf, n, len);
		else
			ret = fatal(rx, ALERT_UNEXPECTED_MESSAGE,
				    ktls_fail(-EPROTO,
					      "unexpected record type %d", type));
		if (ret < 0)
			return ret;
	}
	return 0;
}

ssize_t ktls_recv(struct ktls_session *session, void *buf, size_t len)
{
	struct rx rx = { .fd = session->fd, .session = session };
	ssize_t n;

	if (session->rx_deferred && !session->rx_closed)
		return recv_userspace(session, buf, len);
	if (!(session->installed & KTLS_RX))
		return ktls_fail(-EINVAL, "kernel TLS RX is not installed");
	rx.closed = session->rx_closed;
	n = recv_data(&rx, buf, len);
	session->rx_closed = rx.closed;
	return n;
}

/*
 * Nothing is kept between calls: a socket whose peer closed answers 0 or
 * an error again, from the kernel, on the next call.
 */
ssize_t ktls_recv_fd(int fd, void *buf, size_t len)
{
	struct rx rx = { .fd = fd };

	return recv_data(&rx, buf, len);
}

#define MAX_RECORD_PAYLOAD 16384

/*
 * Count what a send puts on the wire (the kernel closes a record at the end
 * of every call without MSG_MORE, so ceil(len / 16 KiB) is an upper bound),
 * and update the key first when the next call could cross the limit.
 */
static int before_send(struct ktls_session *session, size_t len)
{
	uint64_t records = (len + MAX_RECORD_PAYLOAD - 1) / MAX_RECORD_PAYLOAD;
	int ret;

	if (!(session->installed & KTLS_TX))
		return ktls_fail(-EINVAL, "kernel TLS TX is not installed");
	if (session->key_update_records &&
	    session->tx_records + records > session->key_update_records) {
		ret = ktls_update_keys(session, false);
		if (ret)
			return ret;
	}
	return 0;
}

static void after_send(struct ktls_session *session, ssize_t sent)
{
	if (sent > 0)
		session->tx_records += ((size_t)sent + MAX_RECORD_PAYLOAD - 1) /
				       MAX_RECORD_PAYLOAD;
}

ssize_t ktls_send(struct ktls_session *session, const void *buf, size_t len)
{
	ssize_t n;
	int ret;

	ret = before_send(session, len);
	if (ret)
		return ret;
	do {
		n = send(session->fd, buf, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return ktls_fail(-errno, "sending through kernel TLS: %s",
				 strerror(errno));
	after_send(session, n);
	return n;
}

ssize_t ktls_sendfile(struct ktls_session *session, int file_fd,
		      off_t *offset, size_t len)
{
	ssize_t n;
	int ret;

	ret = before_send(session, len);
	if (ret)
		return ret;
	do {
		n = sendfile(session->fd, file_fd, offset, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return ktls_fail(-errno, "sendfile into kernel TLS: %s",
				 strerror(errno));
	after_send(session, n);
	return n;
}
