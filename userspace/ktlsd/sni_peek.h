/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server name a TLS peer asks for, read from its first record while it
 * is still in the socket (MSG_PEEK): for [allow] server_names, before any
 * handshake runs with the key.
 */
#ifndef KTLSD_SNI_PEEK_H
#define KTLSD_SNI_PEEK_H

#include <stddef.h>

/*
 * 0 and @name (NUL-terminated, "" without SNI) once the whole first record
 * is in @fd's receive queue; -EAGAIN before; -ECONNRESET if the peer left;
 * -EPROTO if the record is not a TLS handshake record, -EBADMSG if its
 * ClientHello is malformed or its name does not fit in @name_len - 2
 * bytes. Nothing is consumed.
 */
int ktlsd_sni_peek(int fd, char *name, size_t name_len);

#endif /* KTLSD_SNI_PEEK_H */
