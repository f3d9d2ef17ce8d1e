// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * http_range: the Range header (userspace/serve/http_range.c). The first
 * 8 bytes are the file size, the rest the header value. A partial answer
 * must name a non-empty range inside the file; nothing may overflow.
 */
#include <stdlib.h>
#include <string.h>

#include "http_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t file_size = 0, first = 0, count = 0;
	struct http_span value;
	enum http_range_result r;
	char *buf;

	if (size < sizeof(file_size))
		return 0;
	memcpy(&file_size, data, sizeof(file_size));
	/* Sizes a file can have (off_t), small ones more often. */
	if (data[0] & 1)
		file_size &= 0xffff;
	file_size &= INT64_MAX;
	size -= sizeof(file_size);
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + sizeof(file_size), size);
	value.ptr = buf;
	value.len = size;
	r = http_range_parse(value, file_size, &first, &count);
	switch (r) {
	case HTTP_RANGE_PARTIAL:
		if (!count || first >= file_size || count > file_size - first)
			abort();
		break;
	case HTTP_RANGE_NONE:
	case HTTP_RANGE_UNSATISFIABLE:
		break;
	default:
		abort();
	}
	free(buf);
	return 0;
}
