// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The request head, parsed by hand rather than with Debian's libhttp-parser
 * 2.9: as packaged (a non-strict build) that library accepts bare LF line
 * ends and obs-fold continuation lines, folding them into the value, and
 * bounds a head only at its compile-time 80 KiB. It would need callbacks to
 * enforce every bound below and to refuse folding anyway, while ktls-serve
 * parses nothing but a GET or HEAD head without a body: a few strict rules
 * are easier to guarantee than a general parser plus a policy around it.
 *
 * What is accepted (RFC 9112 sections 2-6, tightened):
 *   - lines end in CRLF; a bare CR, a bare LF or a NUL anywhere: 400;
 *   - the head, its empty last line included, is at most HTTP_MAX_HEAD
 *     bytes with at most HTTP_MAX_HEADERS header lines: 431 beyond;
 *   - request-line = method SP origin-form SP "HTTP/1." DIGIT, one SP
 *     each; a target over HTTP_MAX_TARGET bytes: 414; versions other than
 *     HTTP/1.0 and HTTP/1.1: 505;
 *   - field = token ":" OWS value OWS; whitespace before the colon, or a
 *     line that starts with whitespace (obs-fold): 400; control bytes in a
 *     value: 400;
 *   - Host at most once, and present in HTTP/1.1: 400 otherwise;
 *   - no body. Transfer-Encoding: 400, since we never read a body and its
 *     framing would desynchronise the connection. A repeated or invalid
 *     Content-Length: 400. Content-Length > 0 on GET or HEAD: 413 (we take
 *     0 bytes); on another method the 405 closes the connection.
 * Errors are reported as soon as the line holding them is complete, so a
 * client is not left waiting for the rest of a head already refused.
 * Empty lines before the request line are skipped (RFC 9112 section 2.2).
 */
#include <errno.h>
#include <string.h>

#include "http.h"
#include "http_internal.h"

/* RFC 9110 section 5.6.2: tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* Bytes allowed in an origin-form target (RFC 3986 pchar, '/', '?'). */
static bool is_target_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return !strchr("\"<>\\^`{|}#", c);
}

/* Bytes allowed in a Host value: reg-name, IP literal, port. */
static bool is_host_char(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("-._~!$&'()*+,;=:[]%", c);
}

bool http_span_eq(struct http_span span, const char *lower)
{
	size_t i;

	if (span.len != strlen(lower))
		return false;
	for (i = 0; i < span.len; i++) {
		char c = span.ptr[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != lower[i])
			return false;
	}
	return true;
}

/* What the header lines said, beyond struct http_request. */
struct head_state {
	bool have_request_line;
	unsigned int headers;
	unsigned int hosts;
	bool content_length_seen;
	uint64_t content_length;
	bool conn_close, conn_keep_alive;
	bool range_repeated, if_range_repeated, ims_repeated;
};

static int refuse(struct http_request *req, int status, const char *why)
{
	req->error = why;
	return status;
}

static int parse_request_line(const char *line, size_t len,
			      struct http_request *req)
{
	const char *end = line + len, *p = line, *target;

	while (p < end && is_tchar(*p))
		p++;
	if (p == line || p == end || *p != ' ')
		return refuse(req, 400, "malformed request line: no method");
	if (p - line == 3 && !memcmp(line, "GET", 3))
		req->method = HTTP_GET;
	else if (p - line == 4 && !memcmp(line, "HEAD", 4))
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;

	target = ++p;
	while (p < end && *p != ' ') {
		if (p - target >= HTTP_MAX_TARGET)
			return refuse(req, 414, "request target over 2048 bytes");
		if (!is_target_char(*p))
			return refuse(req, 400, "invalid byte in the request target");
		p++;
	}
	if (p == target)
		return refuse(req, 400, "malformed request line: no target");
	if (*target != '/')
		return refuse(req, 400,
			      "the request target is not a path (origin-form)");
	req->target.ptr = target;
	req->target.len = p - target;

	if (p == end || ++p == end || *p == ' ')
		return refuse(req, 400, "malformed request line: no version");
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive. */
	if (end - p != 8 || memcmp(p, "HTTP/", 5) || p[5] < '0' ||
	    p[5] > '9' || p[6] != '.' || p[7] < '0' || p[7] > '9')
		return refuse(req, 400, "malformed HTTP version");
	if (p[5] != '1' || p[7] > '1')
		return refuse(req, 505, "only HTTP/1.0 and HTTP/1.1 are served");
	req->minor = p[7] - '0';
	return 0;
}

/* Connection: a list of tokens; close and keep-alive matter. */
static void parse_connection(struct http_span value, struct head_state *st)
{
	const char *p = value.ptr, *end = value.ptr + value.len;

	while (p < end) {
		struct http_span option;

		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		option.ptr = p;
		while (p < end && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		option.len = p - option.ptr;
		if (http_span_eq(option, "close"))
			st->conn_close = true;
		else if (http_span_eq(option, "keep-alive"))
			st->conn_keep_alive = true;
	}
}

static int parse_content_length(struct http_span value,
				struct head_state *st, struct http_request *req)
{
	size_t i;

	if (st->content_length_seen)
		return refuse(req, 400, "repeated Content-Length");
	st->content_length_seen = true;
	/* 19 digits always fit in 64 bits. */
	if (!value.len || value.len > 19)
		return refuse(req, 400, "invalid Content-Length");
	for (i = 0; i < value.len; i++) {
		if (value.ptr[i] < '0' || value.ptr[i] > '9')
			return refuse(req, 400, "invalid Content-Length");
		st->content_length = st->content_length * 10 +
				     (value.ptr[i] - '0');
	}
	return 0;
}

/* A header we act on at most once; a repeated one is invalid, ignored. */
static void keep_single(struct http_span *field, bool *repeated,
			struct http_span value)
{
	if (field->ptr || *repeated) {
		*repeated = true;
		field->ptr = NULL;
		return;
	}
	*field = value;
}

static int parse_header_line(const char *line, size_t len,
			     struct head_state *st, struct http_request *req)
{
	const char *end = line + len, *p = line;
	struct http_span name, value;

	if (*line == ' ' || *line == '\t')
		return refuse(req, 400,
			      "header continuation line (obs-fold) refused");
	if (++st->headers > HTTP_MAX_HEADERS)
		return refuse(req, 431, "more than 64 header lines");
	while (p < end && is_tchar(*p))
		p++;
	if (p == end || *p != ':' || p == line)
		return refuse(req, 400, "malformed header line");
	name.ptr = line;
	name.len = p - line;

	p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	value.ptr = p;
	value.len = end - p;
	for (; p < end; p++) {
		unsigned char c = *p;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return refuse(req, 400, "control byte in a header value");
	}

	if (http_span_eq(name, "host")) {
		size_t i;

		if (++st->hosts > 1)
			return refuse(req, 400, "more than one Host header");
		for (i = 0; i < value.len; i++)
			if (!is_host_char(value.ptr[i]))
				return refuse(req, 400, "invalid Host header");
	} else if (http_span_eq(name, "connection")) {
		parse_connection(value, st);
	} else if (http_span_eq(name, "content-length")) {
		return parse_content_length(value, st, req);
	} else if (http_span_eq(name, "transfer-encoding")) {
		return refuse(req, 400,
			      "Transfer-Encoding: request bodies are not accepted");
	} else if (http_span_eq(name, "range")) {
		keep_single(&req->range, &st->range_repeated, value);
	} else if (http_span_eq(name, "if-range")) {
		keep_single(&req->if_range, &st->if_range_repeated, value);
	} else if (http_span_eq(name, "if-modified-since")) {
		keep_single(&req->if_modified_since, &st->ims_repeated, value);
	}
	return 0;
}

/* The whole head is in: what the headers mean together. */
static int finish_head(struct head_state *st, struct http_request *req)
{
	if (req->minor == 1 && !st->hosts)
		return refuse(req, 400, "HTTP/1.1 request without a Host header");
	if (req->minor == 1)
		req->keep_alive = !st->conn_close;
	else
		req->keep_alive = st->conn_keep_alive && !st->conn_close;
	if (st->content_length) {
		if (req->method != HTTP_OTHER)
			return refuse(req, 413,
				      "a GET or HEAD request takes no body");
		/* The unread body would be taken for the next request. */
		req->has_body = true;
		req->keep_alive = false;
	}
	return 0;
}

/* The head ran past HTTP_MAX_HEAD: 414 if the target alone is too long. */
static int refuse_oversized(const char *buf, size_t len, bool in_request_line,
			    struct http_request *req)
{
	const char *space = memchr(buf, ' ', len);

	if (in_request_line && space) {
		size_t rest = len - (space + 1 - buf);
		const char *next = memchr(space + 1, ' ', rest);

		if ((next ? (size_t)(next - space - 1) : rest) > HTTP_MAX_TARGET)
			return refuse(req, 414, "request target over 2048 bytes");
	}
	return refuse(req, 431, "request head over 8192 bytes");
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	size_t scan = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	size_t line_start = 0, i;
	struct head_state st;
	int status;

	memset(req, 0, sizeof(*req));
	memset(&st, 0, sizeof(st));
	/* Errors drop everything received: the connection closes. */
	req->head_len = len;

	for (i = 0; i < scan; i++) {
		const char *line = buf + line_start;
		size_t line_len = i - line_start;

		if (buf[i] == '\0')
			return refuse(req, 400, "NUL byte in the request head");
		if (buf[i] == '\n')
			return refuse(req, 400,
				      "line ended by a bare LF (HTTP needs CRLF)");
		if (buf[i] != '\r')
			continue;
		if (i + 1 >= HTTP_MAX_HEAD)
			break;
		if (i + 1 == len)
			return -EAGAIN;
		if (buf[i + 1] != '\n')
			return refuse(req, 400, "bare CR in the request head");
		i++;
		line_start = i + 1;

		if (!line_len && !st.have_request_line)
			continue;	/* empty lines before the request */
		if (!line_len) {
			status = finish_head(&st, req);
			if (!status)
				req->head_len = i + 1;
			return status;
		}
		if (!st.have_request_line) {
			status = parse_request_line(line, line_len, req);
			st.have_request_line = true;
		} else {
			status = parse_header_line(line, line_len, &st, req);
		}
		if (status)
			return status;
	}
	if (len < HTTP_MAX_HEAD)
		return -EAGAIN;
	return refuse_oversized(buf + line_start, scan - line_start,
				!st.have_request_line, req);
}
