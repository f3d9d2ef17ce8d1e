/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer-controlled text (a server name, a request path, a certificate's
 * subject) made safe for a log line or a terminal: nothing it holds can
 * end the line, forge another one or drive the terminal.
 */
#ifndef KTLS_PRINTABLE_H
#define KTLS_PRINTABLE_H

#include <stddef.h>

/*
 * @dst (@size bytes, always NUL-terminated when @size > 0) = the @len bytes
 * of @src with every byte outside printable ASCII (0x20-0x7e), and the
 * backslash, written as \xNN. Truncated before an escape that would not
 * fit, never inside one. Returns @dst, for use as a printf argument.
 */
const char *__ktls_printable(char *dst, size_t size, const char *src,
			     size_t len);

/* Room for @len source bytes escaped, with the NUL. */
#define KTLS_PRINTABLE_SIZE(len) (4 * (len) + 1)

#endif /* KTLS_PRINTABLE_H */
