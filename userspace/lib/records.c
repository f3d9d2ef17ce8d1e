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

#include "ktls/tls_prot.h"
#include "ktls_internal.h"

/* ktls_recv_fd() keeps nothing: how long it waits for a message's rest. */
#define FD_MESSAGE_WAIT_MS 5000

#define KEY_UPDATE_WITHOUT_SESSION \
	"the peer sent a KeyUpdate, which needs the session's traffic secrets " \
	"(freed after the switch); connection closed"

/*
 * Linux 6.14+ stops reading after a handshake record that starts with a
 * KeyUpdate until TLS_RX is set again: the rest of a KeyUpdate split
 * across records can never be read.
 */
#define SPLIT_KEY_UPDATE_REASON \
	"the peer split a KeyUpdate across records, which kernel TLS cannot " \
	"read past (it waits for the new key after the first part); connection closed"

#define BAD_RECORD_REASON \
	"a record failed authentication (tampered or corrupted); connection closed"

/*
 * The receiving side of one connection after the switch: a session, or
 * just the socket (ktls_recv_fd: no traffic secrets; the version and
 * whether TX is in the kernel are asked of the socket).
 */
struct rx {
	int fd;
	struct ktls_session *session;	/* NULL for ktls_recv_fd() */
	struct ktls_hs_msg *msg;	/* the session's, or the call's */
	uint16_t version;
	bool tx;		/* alerts can go out through kernel TLS */
	bool closed;
};

/* One record, or part of one, and its type; *@control: it had a cmsg. */
static ssize_t recv_record(int fd, void *buf, size_t len, uint8_t *type,
			   bool *control)
{
	char cbuf[CMSG_SPACE(sizeof(uint8_t))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	do {
		n = recvmsg(fd, &msg, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	*type = TLS_RECORD_TYPE_DATA;
	*control = false;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg && cmsg->cmsg_level == SOL_TLS &&
	    cmsg->cmsg_type == TLS_GET_RECORD_TYPE) {
		*type = *(uint8_t *)CMSG_DATA(cmsg);
		*control = true;
	}
	return n;
}

static int send_record(int fd, uint8_t type, const void *data, size_t len)
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
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

int __ktls_send_record(struct ktls_session *session, uint8_t type,
		       const void *data, size_t len)
{
	return send_record(session->fd, type, data, len);
}

int ktls_send_alert(struct ktls_session *session, uint8_t level,
		    uint8_t description)
{
	uint8_t alert[2] = { level, description };

	if (!(session->installed & KTLS_TX))
		return __ktls_fail(-EINVAL, "kernel TLS TX is not installed");
	return __ktls_send_record(session, TLS_RECORD_TYPE_ALERT, alert,
				sizeof(alert));
}

void __ktls_plain_alert(int fd, uint8_t description)
{
	const uint8_t alert[] = {
		TLS_RECORD_TYPE_ALERT, 3, 3, 0, 2, TLS_ALERT_LEVEL_FATAL,
		description
	};

	if (send(fd, alert, sizeof(alert), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return;
}

int ktls_close_notify_fd(int fd)
{
	static const uint8_t alert[2] = { TLS_ALERT_LEVEL_WARNING,
					    TLS_ALERT_DESC_CLOSE_NOTIFY };
	struct tls_crypto_info info;
	socklen_t len = sizeof(info);
	int ret;

	/* Without TX in the kernel the alert would go out as plain bytes. */
	if (getsockopt(fd, SOL_TLS, TLS_TX, &info, &len) || len != sizeof(info))
		return __ktls_fail(-EINVAL,
				 "close_notify: fd %d has no kernel TLS TX installed",
				 fd);
	ret = send_record(fd, TLS_RECORD_TYPE_ALERT, alert, sizeof(alert));
	if (ret)
		return __ktls_fail(ret, "sending close_notify: %s",
				 strerror(-ret));
	return 0;
}

int ktls_close_notify(struct ktls_session *session)
{
	int ret = ktls_send_alert(session, TLS_ALERT_LEVEL_WARNING,
				  TLS_ALERT_DESC_CLOSE_NOTIFY);

	if (ret)
		return __ktls_fail(ret, "sending close_notify: %s",
				 strerror(-ret));
	return 0;
}

/*
 * A socket without its session: the kernel says whether TX is set and
 * which version RX runs (only the header of crypto_info, never the key).
 */
static void ask_socket(struct rx *rx)
{
	struct tls_crypto_info info;
	socklen_t len = sizeof(info);

	rx->version = 0;
	if (getsockopt(rx->fd, SOL_TLS, TLS_RX, &info, &len) == 0 &&
	    len == sizeof(info))
		rx->version = info.version;
	len = sizeof(info);
	rx->tx = getsockopt(rx->fd, SOL_TLS, TLS_TX, &info, &len) == 0 &&
		 len == sizeof(info);
}

/*
 * Something the kernel cannot recover from: tell the peer, then close.
 * Only where TX is known to be in the kernel: an alert sent on a plain
 * TCP socket would go out in the clear.
 */
static int fatal(struct rx *rx, uint8_t alert, int err)
{
	uint8_t rec[2] = { TLS_ALERT_LEVEL_FATAL, alert };

	if (rx->tx)
		send_record(rx->fd, TLS_RECORD_TYPE_ALERT, rec, sizeof(rec));
	shutdown(rx->fd, SHUT_RDWR);
	rx->closed = true;
	return err;
}

static int alert_record(struct rx *rx, const uint8_t *rec, ssize_t len)
{
	/* RFC 8446 6: an alert is two bytes; anything else is undecodable. */
	if (len != 2)
		return fatal(rx, TLS_ALERT_DESC_DECODE_ERROR,
			     __ktls_fail(-EPROTO,
					 "malformed alert record (%zd bytes)",
				       len));
	if (rec[1] == TLS_ALERT_DESC_CLOSE_NOTIFY) {
		rx->closed = true;
		return 1;
	}
	/*
	 * TLS 1.3 makes every other alert fatal; 1.2 by its level. Where the
	 * version is unknown the level decides.
	 */
	if (rec[0] == TLS_ALERT_LEVEL_WARNING && rx->version != KTLS_TLS_1_3)
		return 0;
	rx->closed = true;
	shutdown(rx->fd, SHUT_RDWR);
	return __ktls_fail(-ECONNRESET, "the peer sent fatal alert %s (%d)",
			 __ktls_alert_name(rec[1]), rec[1]);
}

/* A whole message: act on it. */
static int handshake_message(struct rx *rx, bool at_record_end)
{
	struct ktls_hs_msg *m = rx->msg;
	int ret;

	switch (m->header[0]) {
	case TLS_HS_NEW_SESSION_TICKET:
		/* Resumption from tickets after the switch is not kept yet. */
		if (rx->session)
			rx->session->tickets_after_switch++;
		return 0;
	case TLS_HS_HELLO_REQUEST:
		/* TLS 1.2 renegotiation request: we never renegotiate. */
		return 0;
	case TLS_HS_KEY_UPDATE:
		if (!at_record_end)
			return fatal(rx, TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
				     __ktls_fail(-EPROTO,
						 "a KeyUpdate did not end its record"));
		/* RFC 8446 4.6.3: update_not_requested(0), update_requested(1) */
		if (m->first > 1)
			return fatal(rx, TLS_ALERT_DESC_ILLEGAL_PARAMETER,
				     __ktls_fail(-EPROTO,
						 "KeyUpdate with request_update %d",
					       m->first));
		if (!rx->session)
			return fatal(rx, TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
				     __ktls_fail(-EPROTO, "%s",
						 KEY_UPDATE_WITHOUT_SESSION));
		ret = __ktls_peer_key_update(rx->session, m->first);
		rx->closed = rx->session->rx_closed;
		return ret;
	}
	return 0;
}

/* The header is whole: is this a message we take, of a length that fits? */
static int handshake_header(struct rx *rx)
{
	struct ktls_hs_msg *m = rx->msg;
	uint8_t type = m->header[0];

	m->body_len = (uint32_t)m->header[1] << 16 |
		      (uint32_t)m->header[2] << 8 | m->header[3];
	switch (type) {
	case TLS_HS_NEW_SESSION_TICKET:
		if (rx->version != KTLS_TLS_1_2)
			return 0;
		break;
	case TLS_HS_HELLO_REQUEST:
		if (rx->version != KTLS_TLS_1_3) {
			if (m->body_len)
				return fatal(rx, TLS_ALERT_DESC_DECODE_ERROR,
					     __ktls_fail(-EPROTO,
							 "HelloRequest with a body"));
			return 0;
		}
		break;
	case TLS_HS_KEY_UPDATE:
		if (rx->version != KTLS_TLS_1_2) {
			if (m->body_len != 1)
				return fatal(rx, TLS_ALERT_DESC_DECODE_ERROR,
					     __ktls_fail(-EPROTO,
							 "malformed KeyUpdate (%u bytes)",
						       m->body_len));
			return 0;
		}
		break;
	}
	return fatal(rx, TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
		     __ktls_fail(-EPROTO,
				 "unexpected post-handshake message type %d",
			       type));
}

/*
 * RFC 8446 5.1: one record may carry several messages, and one message
 * (even its header) may span records. The bytes of each read go through
 * here; rx->msg keeps a message's progress from one read to the next.
 */
static int handshake_bytes(struct rx *rx, const uint8_t *p, size_t n)
{
	struct ktls_hs_msg *m = rx->msg;
	size_t take;
	int ret;

	if (!n)
		return fatal(rx, TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
			     __ktls_fail(-EPROTO, "empty handshake record"));
	while (n && !rx->closed) {
		if (m->header_len < sizeof(m->header)) {
			take = sizeof(m->header) - m->header_len;
			take = take < n ? take : n;
			memcpy(m->header + m->header_len, p, take);
			m->header_len += take;
			p += take;
			n -= take;
			if (m->header_len < sizeof(m->header))
				break;
			m->body_read = 0;
			ret = handshake_header(rx);
			if (ret)
				return ret;
		}
		take = m->body_len - m->body_read;
		take = take < n ? take : n;
		if (take && !m->body_read)
			m->first = p[0];
		m->body_read += take;
		p += take;
		n -= take;
		if (m->body_read < m->body_len)
			break;
		m->header_len = 0;
		/*
		 * RFC 8446 5.1: a KeyUpdate must end its record. A read that
		 * filled the buffer exactly may have left some of the record
		 * behind, but reading on to find out would make the kernel
		 * decrypt the next record (under the new key) with the old
		 * one and abort the socket: the end of the read counts.
		 */
		ret = handshake_message(rx, !n);
		if (ret)
			return ret;
	}
	return 0;
}

static bool in_message(const struct rx *rx)
{
	return rx->msg->header_len != 0 ||
	       rx->msg->body_read < rx->msg->body_len;
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
			__ktls_save_resumption(session);
			/* If it fails, WolfSSL keeps reading: nothing is lost. */
			__ktls_install_deferred_rx(session);
			return n;
		}
		err = wolfSSL_get_error(session->ssl, n);
		if (err == WOLFSSL_ERROR_ZERO_RETURN) {
			__ktls_save_resumption(session);
			session->rx_closed = true;
			return 0;
		}
		if (err != WOLFSSL_ERROR_WANT_READ)
			break;
		if (fcntl(session->fd, F_GETFL) & O_NONBLOCK)
			return -EAGAIN;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return __ktls_fail(-errno, "poll: %s", strerror(errno));
	}
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
	return __ktls_fail(-EIO, "reading before the switch failed (WolfSSL error %d)",
			 err);
}

/*
 * ktls_recv_fd() has nowhere to keep a message cut short by a
 * non-blocking socket: it waits here, a bounded time, for the rest.
 */
static int wait_rest(struct rx *rx)
{
	struct pollfd pfd = { .fd = rx->fd, .events = POLLIN };
	int n;

	do {
		n = poll(&pfd, 1, FD_MESSAGE_WAIT_MS);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		return 0;
	return fatal(rx, TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
		     __ktls_fail(-ETIMEDOUT,
				 "the rest of a post-handshake message did not come within %d s",
			       FD_MESSAGE_WAIT_MS / 1000));
}

/* One record that is not data, or data where none may be. */
static int control_record(struct rx *rx, uint8_t type, uint8_t *buf,
			  ssize_t n)
{
	/* RFC 8446 5.1: nothing may come between a message's records. */
	if (in_message(rx) && type != TLS_RECORD_TYPE_HANDSHAKE)
		return fatal(rx, TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
			     __ktls_fail(-EPROTO,
					 "a record of type %d inside a split handshake message",
				       type));
	if (type == TLS_RECORD_TYPE_ALERT)
		return alert_record(rx, buf, n);
	if (type == TLS_RECORD_TYPE_HANDSHAKE)
		return handshake_bytes(rx, buf, (size_t)n);
	return fatal(rx, TLS_ALERT_DESC_UNEXPECTED_MESSAGE,
		     __ktls_fail(-EPROTO, "unexpected record type %d", type));
}

/* Data records in @buf; everything else acted on here. */
static ssize_t recv_data(struct rx *rx, void *buf, size_t len)
{
	uint8_t type = TLS_RECORD_TYPE_DATA;
	bool control = false;
	ssize_t n;
	int ret;

	if (len < KTLS_RECV_MIN)
		return __ktls_fail(-EINVAL,
				 "ktls_recv needs a buffer of at least %d bytes",
				 KTLS_RECV_MIN);
	while (!rx->closed) {
		n = recv_record(rx->fd, buf, len, &type, &control);
		/* An event loop's everyday answer: no reason to write. */
		if (n == -EAGAIN && in_message(rx) && !rx->session) {
			ret = wait_rest(rx);
			if (ret)
				return ret;
			continue;
		}
		if (n == -EAGAIN)
			return n;
		if (n == -EBADMSG) {
			ret = __ktls_fail(-EBADMSG, BAD_RECORD_REASON);
			return fatal(rx, TLS_ALERT_DESC_BAD_RECORD_MAC, ret);
		}
		if (n == -EKEYEXPIRED && in_message(rx) &&
		    rx->msg->header[0] == TLS_HS_KEY_UPDATE)
			return fatal(rx, TLS_ALERT_DESC_INTERNAL_ERROR,
				     __ktls_fail(-EKEYEXPIRED,
						 SPLIT_KEY_UPDATE_REASON));
		if (n < 0)
			return __ktls_fail((int)n, "reading from kernel TLS: %s",
					 strerror((int)-n));
		/* An empty record has its type; the end of the stream none. */
		if (n == 0 && !control) {
			rx->closed = true;
			return __ktls_fail(-ECONNRESET,
					 "the peer closed the connection without close_notify (the data may be truncated)");
		}
		if (type == TLS_RECORD_TYPE_DATA && !in_message(rx)) {
			if (n > 0)
				return n;
			continue;	/* RFC 8446 5.1 allows empty data */
		}
		ret = control_record(rx, type, buf, n);
		if (ret < 0)
			return ret;
	}
	return 0;
}

ssize_t ktls_recv(struct ktls_session *session, void *buf, size_t len)
{
	struct rx rx = {
		.fd = session->fd,
		.session = session,
		.msg = &session->hs_msg,
		.version = session->version,
		.tx = session->installed & KTLS_TX,
	};
	ssize_t n;

	if (session->rx_deferred && !session->rx_closed)
		return recv_userspace(session, buf, len);
	if (!(session->installed & KTLS_RX))
		return __ktls_fail(-EINVAL, "kernel TLS RX is not installed");
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
	struct ktls_hs_msg msg = { 0 };
	struct rx rx = { .fd = fd, .msg = &msg };

	ask_socket(&rx);
	return recv_data(&rx, buf, len);
}

/*
 * Count what a send puts on the wire (the kernel closes a record at the end
 * of every call without MSG_MORE, so ceil(len / 16 KiB) is an upper bound),
 * and update the key first when the next call could cross the limit.
 */
static int before_send(struct ktls_session *session, size_t len)
{
	uint64_t records = (len + TLS_MAX_PLAINTEXT - 1) / TLS_MAX_PLAINTEXT;
	int ret;

	if (!(session->installed & KTLS_TX))
		return __ktls_fail(-EINVAL, "kernel TLS TX is not installed");
	/* A KeyUpdate the peer asked for goes before our next data. */
	ret = ktls_flush_key_update(session);
	if (ret)
		return ret;
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
		session->tx_records += ((size_t)sent + TLS_MAX_PLAINTEXT - 1) /
				       TLS_MAX_PLAINTEXT;
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
		return __ktls_fail(-errno, "sending through kernel TLS: %s",
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
		return __ktls_fail(-errno, "sendfile into kernel TLS: %s",
				 strerror(errno));
	after_send(session, n);
	return n;
}
