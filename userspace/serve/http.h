/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ktls-serve's HTTP/1.1 semantics: parse one request, map its target to a
 * file beneath the served root, and plan the response (status line,
 * headers, and which bytes of which file form the body). No IO on the
 * connection happens here; the caller sends head[] and then the body.
 */
#ifndef KTLS_SERVE_HTTP_H
#define KTLS_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_MAX_HEAD 8192	/* request line + headers, hard bound */

struct http_response {
	char head[1024];	/* status line and headers, ready to send */
	size_t head_len;
	int file_fd;		/* body source (owned by the caller after return), -1: none */
	off_t body_offset;	/* first byte of the file to send */
	uint64_t body_len;	/* bytes of the file to send */
	int status;		/* 200, 206, 304, 400, ... (for logs) */
	bool keep_alive;	/* false: close the connection after sending */
};

/*
 * The directory to serve, as the @root_fd of http_handle(): an O_PATH
 * descriptor, checked to work with openat2() (Linux 5.6+). Returns the fd
 * or -errno: -ENOENT, -ENOTDIR, -EACCES for @dir itself, -ENOSYS when the
 * kernel has no openat2(); say which in the error (strerror(-ret)).
 */
int http_open_root(const char *dir);

/*
 * Parse the request at the start of @buf (@len bytes received so far) and plan
 * its response, serving files beneath the directory @root_fd only. Returns the
 * bytes the request took (> 0) with @resp filled; 0 if more bytes are needed;
 * a malformed or oversized request (or @len >= HTTP_MAX_HEAD without a complete
 * head) yields > 0 with an error response (400/431...) and keep_alive false.
 * Small error bodies are inside head[].
 */
ssize_t http_handle(int root_fd, const char *buf, size_t len,
		    struct http_response *resp);

/* "Not Found" for 404, and so on; "Unknown" for a status we never send. */
const char *http_status_text(int status);

#endif /* KTLS_SERVE_HTTP_H */
