// SPDX-License-Identifier: GPL-2.0-or-later
/* Content-Type by file extension; application/octet-stream otherwise. */
#include <string.h>

#include "http_internal.h"

static const struct {
	const char *ext;	/* lowercase, without the dot */
	const char *type;
} mime_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "csv", "text/csv; charset=utf-8" },
	{ "xml", "application/xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "svg", "image/svg+xml" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "pdf", "application/pdf" },
	{ "wasm", "application/wasm" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "tar", "application/x-tar" },
	{ "gz", "application/gzip" },
	{ "tgz", "application/gzip" },
	{ "xz", "application/x-xz" },
	{ "zst", "application/zstd" },
	{ "zip", "application/zip" },
};

const char *http_mime_type(const char *name, size_t len)
{
	const char *dot = NULL, *p;
	struct http_span ext;
	size_t i;

	/* The extension of the last path segment only. */
	for (p = name; p < name + len; p++) {
		if (*p == '/')
			dot = NULL;
		else if (*p == '.')
			dot = p;
	}
	if (dot) {
		ext.ptr = dot + 1;
		ext.len = name + len - ext.ptr;
		for (i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
			if (http_span_eq(ext, mime_types[i].ext))
				return mime_types[i].type;
	}
	return "application/octet-stream";
}
