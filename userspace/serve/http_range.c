// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Range: bytes=first-last, first- and -suffix (RFC 9110 section 14.1.2).
 * One range only: a list of several is answered with the whole file (200),
 * which RFC 9110 allows, rather than multipart/byteranges. A header that
 * does not parse is ignored (200), as section 14.2 requires; a range that
 * parses but lies beyond the file is unsatisfiable (416).
 */
#include <string.h>

#include "http_internal.h"

/* Digits at *@p into *@value, saturating; false if there are none. */
static bool parse_pos(const char **p, const char *end, uint64_t *value)
{
	const char *start = *p;

	*value = 0;
	for (; *p < end && **p >= '0' && **p <= '9'; (*p)++) {
		unsigned int digit = **p - '0';

		if (*value > (UINT64_MAX - digit) / 10)
			*value = UINT64_MAX;
		else
			*value = *value * 10 + digit;
	}
	return *p > start;
}

enum http_range_result http_range_parse(struct http_span value,
					uint64_t size, uint64_t *first,
					uint64_t *count)
{
	const char *p = value.ptr, *end = value.ptr + value.len;
	struct http_span unit = { .ptr = p };
	uint64_t start, last;
	bool has_start;

	if (!p)
		return HTTP_RANGE_NONE;
	while (p < end && *p != '=')
		p++;
	unit.len = p - unit.ptr;
	if (p == end || !http_span_eq(unit, "bytes"))
		return HTTP_RANGE_NONE;
	p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (memchr(p, ',', end - p))
		return HTTP_RANGE_NONE;	/* several ranges: the whole file */

	has_start = parse_pos(&p, end, &start);
	if (p == end || *p != '-')
		return HTTP_RANGE_NONE;
	p++;
	if (!has_start) {
		/* -suffix: the last @last bytes. */
		if (!parse_pos(&p, end, &last) || p != end)
			return HTTP_RANGE_NONE;
		if (!last || !size)
			return HTTP_RANGE_UNSATISFIABLE;
		*count = last < size ? last : size;
		*first = size - *count;
		return HTTP_RANGE_PARTIAL;
	}
	/* first- runs to the end. */
	last = UINT64_MAX;
	if (p != end &&
	    (!parse_pos(&p, end, &last) || p != end || last < start))
		return HTTP_RANGE_NONE;
	if (start >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	if (last > size - 1)
		last = size - 1;
	*first = start;
	*count = last - start + 1;
	return HTTP_RANGE_PARTIAL;
}
