// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * records: what the kernel hands ktls_recv() and ktls_recv_fd() after the
 * switch (userspace/lib/records.c): records with their
 * TLS_GET_RECORD_TYPE cmsg; post-handshake messages (NewSessionTicket,
 * KeyUpdate, HelloRequest), alerts, data, read errors. records.c is linked
 * as it is; only recvmsg() is replaced (-Wl,--wrap=recvmsg) by one that
 * serves the input's records the way kernel TLS does, a record at a time
 * and the rest of it on the next call if the buffer is short, and poll()
 * (ktls_recv_fd() waiting for a message's rest) answers at once. The
 * socket is a real socketpair, so shutdown() and alerts have somewhere to
 * go.
 *
 * Input: flags, buffer size, then records: type, 16-bit length, payload.
 *   flags: 1 a session (else ktls_recv_fd), 2 TLS 1.2 (else 1.3),
 *          4 server, 8 kernel TLS TX installed
 *   buffer: KTLS_RECV_MIN + 64 * this byte
 *   type 0xff: recvmsg fails, errno picked by the payload's first byte;
 *   type 0xfe: a record without the cmsg (the kernel's data records)
 * Checks: only a data record's bytes come back as data, every failure has
 * a ktls_reason(), and a clean end means every handshake message read was
 * acted on. Seeds: fuzz/seeds/records.py.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>
#include <linux/tls.h>
#include <sys/socket.h>

#include "ktls/tls_prot.h"
#include "fuzz.h"
#include "lib/ktls_internal.h"

#define FAKE_ERROR 0xff
#define FAKE_NO_CMSG 0xfe
#define MAX_CALLS 64

static struct {
	const uint8_t *data;
	size_t size, off;
	size_t left;		/* of the record being read */
	uint8_t type;
	const uint8_t *last;	/* what the last successful call returned */
	uint8_t last_type;
	bool eof;		/* served the end of the input */
	/* every handshake record byte served, in order */
	uint8_t hs[1 << 14];
	size_t hs_len;
} in;

static const int errnos[] = { EAGAIN, EBADMSG, EINTR, ECONNRESET,
			      EKEYEXPIRED, EINVAL, EIO };

/* The next record header, or false at the end of the input. */
static bool next_record(void)
{
	if (in.size - in.off < 3)
		return false;
	in.type = in.data[in.off];
	in.left = (size_t)in.data[in.off + 1] << 8 | in.data[in.off + 2];
	in.off += 3;
	if (in.left > in.size - in.off)
		in.left = in.size - in.off;
	return true;
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct cmsghdr *cmsg;
	size_t n;

	(void)fd;
	(void)flags;
	if (!in.left && !next_record()) {
		msg->msg_controllen = 0;
		in.eof = true;
		return 0;	/* the peer closed */
	}
	if (in.type == FAKE_ERROR) {
		errno = in.left ? errnos[in.data[in.off] % 7] : EIO;
		in.off += in.left;
		in.left = 0;
		return -1;
	}
	if (msg->msg_iovlen != 1)
		abort();	/* records.c reads into one buffer */
	n = msg->msg_iov[0].iov_len < in.left ? msg->msg_iov[0].iov_len :
						in.left;
	memcpy(msg->msg_iov[0].iov_base, in.data + in.off, n);
	in.last = in.data + in.off;
	in.last_type = in.type == FAKE_NO_CMSG ? TLS_RECORD_TYPE_DATA : in.type;
	if (in.type == TLS_RECORD_TYPE_HANDSHAKE &&
	    n < sizeof(in.hs) - in.hs_len) {
		memcpy(in.hs + in.hs_len, in.data + in.off, n);
		in.hs_len += n;
	} else if (in.type == TLS_RECORD_TYPE_HANDSHAKE) {
		in.hs_len = sizeof(in.hs);	/* too much to check */
	}
	in.off += n;
	in.left -= n;
	if (in.type == FAKE_NO_CMSG ||
	    msg->msg_controllen < CMSG_SPACE(sizeof(uint8_t))) {
		msg->msg_controllen = 0;
		return (ssize_t)n;
	}
	cmsg = CMSG_FIRSTHDR(msg);
	cmsg->cmsg_level = SOL_TLS;
	cmsg->cmsg_type = TLS_GET_RECORD_TYPE;
	cmsg->cmsg_len = CMSG_LEN(sizeof(uint8_t));
	*CMSG_DATA(cmsg) = in.type;
	msg->msg_controllen = CMSG_SPACE(sizeof(uint8_t));
	return (ssize_t)n;
}

int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	(void)timeout;
	for (nfds_t i = 0; i < nfds; i++)
		fds[i].revents = fds[i].events;
	return (int)nfds;
}

/*
 * A connection that ended cleanly (close_notify, or the peer's EOF) has
 * acted on every whole handshake message it read (RFC 8446 5.1: a record
 * may carry several; the last may be cut short by the peer's EOF): each
 * NewSessionTicket counted, and no KeyUpdate among them (the rekey fails
 * on this socket, so one acted on ends the connection with an error).
 */
static void check_messages(const struct ktls_session *s, bool session,
			   bool eof)
{
	unsigned int tickets = 0;
	size_t off = 0, len;

	while (off < in.hs_len) {
		if (in.hs_len - off < 4 && eof)
			break;
		if (in.hs_len - off < 4)
			abort();
		len = 4 + ((size_t)in.hs[off + 1] << 16 |
			   (size_t)in.hs[off + 2] << 8 | in.hs[off + 3]);
		if (len > in.hs_len - off && eof)
			break;
		if (len > in.hs_len - off)
			abort();
		if (in.hs[off] == TLS_HS_KEY_UPDATE)
			abort();
		tickets += in.hs[off] == TLS_HS_NEW_SESSION_TICKET;
		off += len;
	}
	if (session && tickets != s->tickets_after_switch)
		abort();
}

static void session_init(struct ktls_session *s, int fd, uint8_t flags)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->role = flags & 4 ? KTLS_ROLE_SERVER : KTLS_ROLE_CLIENT;
	s->version = flags & 2 ? KTLS_TLS_1_2 : KTLS_TLS_1_3;
	s->suite = __ktls_suite_find(flags & 2 ? 0xc02b : 0x1301);
	s->installed = KTLS_RX | (flags & 8 ? KTLS_TX : 0);
	s->client_traffic.len = 32;
	s->server_traffic.len = 32;
	memset(s->client_traffic.bytes, 0xc1, 32);
	memset(s->server_traffic.bytes, 0x5e, 32);
	if (!s->suite)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ktls_session session;
	uint8_t flags, *buf;
	size_t len;
	ssize_t n;
	int sv[2];

	if (size < 2)
		return 0;
	flags = data[0];
	len = KTLS_RECV_MIN + 64 * (size_t)data[1];
	memset(&in, 0, sizeof(in));
	in.data = data + 2;
	in.size = size - 2;
	buf = malloc(len);
	if (!buf || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		abort();
	session_init(&session, sv[0], flags);
	for (int i = 0; i < MAX_CALLS; i++) {
		__ktls_fail(0, "%s", "");
		n = flags & 1 ? ktls_recv(&session, buf, len) :
				ktls_recv_fd(sv[0], buf, len);
		if (n == -EAGAIN)
			continue;
		if (n <= 0) {
			/* On failure ktls_reason() says why. */
			if (n < 0 && !ktls_reason()[0])
				abort();
			if (in.hs_len < sizeof(in.hs) &&
			    (!n || (n == -ECONNRESET && in.eof)))
				check_messages(&session, flags & 1, n != 0);
			break;
		}
		/* Never anything but a data record's bytes as data. */
		if ((size_t)n > len || in.last_type != TLS_RECORD_TYPE_DATA ||
		    memcmp(buf, in.last, (size_t)n))
			abort();
	}
	close(sv[0]);
	close(sv[1]);
	free(buf);
	return 0;
}
