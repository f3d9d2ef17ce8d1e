/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between the files of ktls-serve's HTTP part: the parsed request and one
 * function per concern (parse, target path, range, date, media type).
 * Functions that decide a response return 0 to go on, or the HTTP status
 * (4xx/5xx, 301) to answer with instead.
 */
#ifndef KTLS_SERVE_HTTP_INTERNAL_H
#define KTLS_SERVE_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#define HTTP_MAX_HEADERS 64	/* header lines per request */
#define HTTP_MAX_TARGET 2048	/* request-target bytes (414 beyond) */
#define HTTP_MAX_LOCATION 512	/* a 301's Location: fits head[] with the rest */

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER,		/* a valid token we do not serve: 405 */
};

/* A bounded view into the request buffer: never NUL-terminated. */
struct http_span {
	const char *ptr;
	size_t len;
};

struct http_request {
	size_t head_len;	/* bytes up to and including the empty line */
	enum http_method method;
	int minor;		/* HTTP/1.minor: 0 or 1 */
	struct http_span target;
	bool keep_alive;	/* from the version and Connection */
	bool has_body;		/* Content-Length > 0 or Transfer-Encoding */
	/* Optional headers; ptr NULL when absent (or repeated: invalid). */
	struct http_span range;
	struct http_span if_range;
	struct http_span if_modified_since;
	/* Why the request was refused, for the error body. */
	const char *error;
};

/*
 * Parse the head at the start of @buf. Returns 0 with @req filled; -EAGAIN
 * if the head is not complete yet; or the HTTP status of the error response
 * (400, 413, 414, 431, 505) with req->error saying why and req->head_len
 * the bytes to drop (all of them when the head was never complete).
 */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/* Case-insensitive equality of a span and a lowercase literal. */
bool http_span_eq(struct http_span span, const char *lower);

/* What a request-target led to. */
struct http_target {
	int fd;			/* the regular file, O_RDONLY; -1 if none */
	struct stat st;
	/* The decoded path opened (with index.html), for the media type. */
	char path[HTTP_MAX_TARGET + sizeof("/index.html")];
	/* For a 301: the target with a slash added. */
	char location[HTTP_MAX_LOCATION];
	const char *why;	/* for an error status: the cause */
};

/*
 * The file a request-target names beneath @root_fd: percent-decoded, query
 * stripped, dot segments refused, opened with openat2(RESOLVE_BENEATH).
 * Directories serve their index.html. Returns 0 with @out->fd open; 301
 * with @out->location for a directory named without a trailing slash; or
 * the error status (400, 403, 404, 414, 500) with @out->why.
 */
int http_open_target(int root_fd, struct http_span target,
		     struct http_target *out);

enum http_range_result {
	HTTP_RANGE_NONE,	/* absent, malformed or multiple: send all */
	HTTP_RANGE_PARTIAL,	/* 206 with *@first, *@count */
	HTTP_RANGE_UNSATISFIABLE,	/* 416 */
};

/* Evaluate a Range header value against a file of @size bytes. */
enum http_range_result http_range_parse(struct http_span value,
					uint64_t size, uint64_t *first,
					uint64_t *count);

#define HTTP_DATE_LEN 29	/* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* @out (HTTP_DATE_LEN + 1 bytes) = @t as an IMF-fixdate. */
void http_date_format(time_t t, char *out);

/*
 * An HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms that
 * RFC 9110 says to accept) into *@t. 0, or -EINVAL if it is not one.
 */
int http_date_parse(struct http_span value, time_t *t);

/* Content-Type for a file name, by its extension. */
const char *http_mime_type(const char *name, size_t len);

#endif /* KTLS_SERVE_HTTP_INTERNAL_H */
