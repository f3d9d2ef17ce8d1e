// SPDX-License-Identifier: GPL-2.0-or-later
/* Escaping peer-controlled text for logs and terminals (printable.h). */
#include <stdbool.h>

#include "ktls/printable.h"

static bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\\';
}

const char *__ktls_printable(char *dst, size_t size, const char *src,
			     size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t in, out = 0;

	if (!size)
		return dst;
	for (in = 0; in < len; in++) {
		unsigned char c = (unsigned char)src[in];

		if (plain(c)) {
			if (size - out < 2)
				break;
			dst[out++] = (char)c;
			continue;
		}
		if (size - out < 5)
			break;
		dst[out++] = '\\';
		dst[out++] = 'x';
		dst[out++] = hex[c >> 4];
		dst[out++] = hex[c & 15];
	}
	dst[out] = '\0';
	return dst;
}
