// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The peer's SNI from its first record, peeked. The ClientHello itself is
 * parsed by WolfSSL's wolfSSL_SNI_GetFromBuffer(), the same code that will
 * parse it again in the handshake; here only the record is framed.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "ktls/tls_prot.h"
#include "sni_peek.h"

int ktlsd_sni_peek(int fd, char *name, size_t name_len)
{
	static __thread unsigned char
		buf[TLS_RECORD_HEADER_LEN + TLS_MAX_PLAINTEXT];
	unsigned int size;
	size_t need;
	ssize_t n;
	int ret;

	if (name_len < 2)
		return -EINVAL;
	n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	if (n == 0)
		return -ECONNRESET;
	if (buf[0] != TLS_RECORD_TYPE_HANDSHAKE)
		return -EPROTO;
	if (n < TLS_RECORD_HEADER_LEN)
		return -EAGAIN;
	need = TLS_RECORD_HEADER_LEN + ((size_t)buf[3] << 8 | buf[4]);
	if (need > sizeof(buf))
		return -EPROTO;
	if ((size_t)n < need)
		return -EAGAIN;
	size = (unsigned int)name_len - 1;
	ret = wolfSSL_SNI_GetFromBuffer(buf, (unsigned int)need,
					WOLFSSL_SNI_HOST_NAME,
					(unsigned char *)name, &size);
	if (ret < 0)
		return -EBADMSG;
	if (ret != WOLFSSL_SUCCESS)
		size = 0;
	/* It cuts a longer name to fit: that one cannot be checked. */
	if (size >= name_len - 1)
		return -EBADMSG;
	name[size] = '\0';
	/* A name with a NUL in it would match as its prefix. */
	if (strlen(name) != size)
		return -EBADMSG;
	return 0;
}
