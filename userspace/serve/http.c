// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * http_handle(): one request in, one planned response out. The order of
 * decisions follows RFC 9110: a well-formed head, the method, the target,
 * then preconditions (If-Modified-Since, section 13.2.2) before Range.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "http_internal.h"

const char *http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* Append to head[]; head_len past the buffer marks an overflow. */
__attribute__((format(printf, 2, 3)))
static void add(struct http_response *resp, const char *fmt, ...)
{
	size_t room;
	va_list ap;
	int n;

	if (resp->head_len >= sizeof(resp->head)) {
		resp->head_len = sizeof(resp->head) + 1;
		return;
	}
	room = sizeof(resp->head) - resp->head_len;
	va_start(ap, fmt);
	n = vsnprintf(resp->head + resp->head_len, room, fmt, ap);
	va_end(ap);
	/* vsnprintf() keeps the last byte for its NUL: n == room is short. */
	if (n < 0 || (size_t)n >= room)
		resp->head_len = sizeof(resp->head) + 1;
	else
		resp->head_len += n;
}

/* Status line, Date, Server. */
static void start(struct http_response *resp, int status)
{
	char date[HTTP_DATE_LEN + 1];

	resp->status = status;
	resp->head_len = 0;
	http_date_format(time(NULL), date);
	add(resp, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: ktls-serve\r\n",
	    status, http_status_text(status), date);
}

/* Connection, the empty line; false if head[] overflowed. */
static bool finish(struct http_response *resp, const struct http_request *req)
{
	if (!resp->keep_alive)
		add(resp, "Connection: close\r\n");
	else if (req->minor == 0)
		add(resp, "Connection: keep-alive\r\n");
	add(resp, "\r\n");
	return resp->head_len <= sizeof(resp->head);
}

static void drop_file(struct http_response *resp)
{
	if (resp->file_fd >= 0)
		close(resp->file_fd);
	resp->file_fd = -1;
	resp->body_offset = 0;
	resp->body_len = 0;
}

/* The last resort when a response does not fit into head[]. */
static void internal_error(struct http_response *resp)
{
	static const char body[] = "500 Internal Server Error: response too large\n";

	drop_file(resp);
	resp->keep_alive = false;
	start(resp, 500);
	add(resp, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    sizeof(body) - 1, body);
}

/*
 * An error (or redirect) with a short text body. 400, 414, 431 and the
 * like close the connection; 403/404/405/416 on a sound request need not.
 */
static void error_response(struct http_response *resp,
			   const struct http_request *req, int status,
			   const char *why, const char *extra_header)
{
	char body[160];
	int body_len;

	drop_file(resp);
	body_len = snprintf(body, sizeof(body), "%d %s: %s\n", status,
			    http_status_text(status), why ? why : "refused");
	if (body_len < 0 || (size_t)body_len >= sizeof(body))
		body_len = sizeof(body) - 1;
	switch (status) {
	case 301: case 403: case 404: case 405: case 416:
		break;
	default:
		resp->keep_alive = false;
	}
	start(resp, status);
	if (status == 405)
		add(resp, "Allow: GET, HEAD\r\n");
	if (extra_header)
		add(resp, "%s\r\n", extra_header);
	add(resp, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\n", body_len);
	if (!finish(resp, req)) {
		internal_error(resp);
		return;
	}
	/* HEAD gets the headers of the GET, without the body. */
	if (req->method != HTTP_HEAD)
		add(resp, "%.*s", body_len, body);
	if (resp->head_len > sizeof(resp->head))
		internal_error(resp);
}

/* If-Modified-Since at or after the file's mtime: 304. */
static bool not_modified(const struct http_request *req, time_t mtime)
{
	time_t since;

	return !http_date_parse(req->if_modified_since, &since) &&
	       since >= mtime;
}

/* If-Range: the range applies only if the date is the file's mtime. */
static bool range_applies(const struct http_request *req, time_t mtime)
{
	time_t date;

	if (!req->if_range.ptr)
		return true;
	/* An entity tag never matches: we send none. */
	return !http_date_parse(req->if_range, &date) && date == mtime;
}

static void file_response(struct http_response *resp,
			  const struct http_request *req,
			  const struct http_target *file)
{
	uint64_t size = file->st.st_size, first = 0, count = size;
	time_t mtime = file->st.st_mtim.tv_sec;
	char modified[HTTP_DATE_LEN + 1], extra[80];
	enum http_range_result range = HTTP_RANGE_NONE;
	int status = 200;

	resp->file_fd = file->fd;
	http_date_format(mtime, modified);
	if (not_modified(req, mtime)) {
		drop_file(resp);
		start(resp, 304);
		add(resp, "Last-Modified: %s\r\n", modified);
		if (!finish(resp, req))
			internal_error(resp);
		return;
	}
	/* Range is defined for GET only (RFC 9110 section 14.2). */
	if (req->method == HTTP_GET && range_applies(req, mtime))
		range = http_range_parse(req->range, size, &first, &count);
	if (range == HTTP_RANGE_UNSATISFIABLE) {
		snprintf(extra, sizeof(extra), "Content-Range: bytes */%llu",
			 (unsigned long long)size);
		error_response(resp, req, 416, "the range lies beyond the file",
			       extra);
		return;
	}
	if (range == HTTP_RANGE_PARTIAL)
		status = 206;

	start(resp, status);
	add(resp, "Content-Type: %s\r\nContent-Length: %llu\r\n"
	    "Last-Modified: %s\r\nAccept-Ranges: bytes\r\n",
	    http_mime_type(file->path, strlen(file->path)),
	    (unsigned long long)count, modified);
	if (status == 206)
		add(resp, "Content-Range: bytes %llu-%llu/%llu\r\n",
		    (unsigned long long)first,
		    (unsigned long long)(first + count - 1),
		    (unsigned long long)size);
	if (!finish(resp, req)) {
		internal_error(resp);
		return;
	}
	resp->body_offset = first;
	resp->body_len = count;
	if (req->method == HTTP_HEAD || !count)
		drop_file(resp);
}

static void plan(int root_fd, const struct http_request *req,
		 struct http_response *resp)
{
	char header[HTTP_MAX_LOCATION + sizeof("Location: ")];
	struct http_target file;
	int status;

	resp->keep_alive = req->keep_alive;
	if (req->method == HTTP_OTHER) {
		error_response(resp, req, 405, "only GET and HEAD are served",
			       NULL);
		return;
	}
	status = http_open_target(root_fd, req->target, &file);
	if (status == 301) {
		snprintf(header, sizeof(header), "Location: %s", file.location);
		error_response(resp, req, 301,
			       "the directory's address ends in a slash",
			       header);
	} else if (status) {
		error_response(resp, req, status, file.why, NULL);
	} else {
		file_response(resp, req, &file);
	}
}

ssize_t http_handle(int root_fd, const char *buf, size_t len,
		    struct http_response *resp)
{
	struct http_request req;
	int status;

	memset(resp, 0, sizeof(*resp));
	resp->file_fd = -1;
	if (!len)
		return 0;
	status = http_parse_request(buf, len, &req);
	if (status == -EAGAIN)
		return 0;
	if (status)
		error_response(resp, &req, status, req.error, NULL);
	else
		plan(root_fd, &req, resp);
	return req.head_len;
}
