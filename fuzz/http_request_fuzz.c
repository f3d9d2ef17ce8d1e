// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * http_request: ktls-serve's request parser (userspace/serve/http_parse.c)
 * on whatever a client sends. Every span it returns must lie inside the
 * input, a complete head must end in its empty line, and a refusal must
 * say why with a status ktls-serve answers with.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(struct http_span span, const char *buf, size_t len)
{
	if (!span.ptr)
		return;
	if (span.ptr < buf || span.len > len ||
	    (size_t)(span.ptr - buf) > len - span.len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly @size bytes: ASan sees any read past it. */
	char *buf = malloc(size ? size : 1);
	struct http_request req;
	int status;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&req, 0, sizeof(req));
	status = http_parse_request(buf, size, &req);
	if (status == 0) {
		if (req.head_len < 4 || req.head_len > size ||
		    memcmp(buf + req.head_len - 2, "\r\n", 2))
			abort();
		if (req.minor != 0 && req.minor != 1)
			abort();
		check_span(req.target, buf, req.head_len);
		if (!req.target.ptr || !req.target.len ||
		    req.target.ptr[0] != '/')
			abort();
		check_span(req.range, buf, req.head_len);
		check_span(req.if_range, buf, req.head_len);
		check_span(req.if_modified_since, buf, req.head_len);
	} else if (status != -EAGAIN) {
		switch (status) {
		case 400: case 413: case 414: case 431: case 505:
			break;
		default:
			abort();
		}
		if (!req.error || req.head_len > size)
			abort();
	} else if (size >= HTTP_MAX_HEAD) {
		/* A head that long is refused, never waited for. */
		abort();
	}
	free(buf);
	return 0;
}
