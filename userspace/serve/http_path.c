// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A request target to a file beneath the served root. Nothing is normalised
 * silently: the path is percent-decoded once, and a decoded path holding a
 * "." or ".." segment is refused whatever its spelling (.., %2e%2e, %2F..).
 * The kernel then enforces the root: openat2() with RESOLVE_BENEATH fails
 * with EXDEV for anything resolving outside @root_fd (an absolute symlink,
 * one climbing out, a ".." we missed), and RESOLVE_NO_MAGICLINKS refuses
 * /proc links. Relative symlinks that stay inside the root are followed.
 *
 * The file is first opened with O_PATH, which has no side effect on a fifo
 * or a device, and opened for reading only once it is known to be regular.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "http.h"
#include "http_internal.h"

#define INDEX_NAME "index.html"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* @path = @raw percent-decoded and NUL-terminated; 0 or 400. */
static int decode_path(struct http_span raw, char *path, const char **why)
{
	size_t in, out = 0;

	for (in = 0; in < raw.len; in++) {
		unsigned char c = raw.ptr[in];

		if (c == '%') {
			int hi, lo;

			if (raw.len - in < 3)
				goto bad_escape;
			hi = hex_value(raw.ptr[in + 1]);
			lo = hex_value(raw.ptr[in + 2]);
			if (hi < 0 || lo < 0)
				goto bad_escape;
			c = hi << 4 | lo;
			in += 2;
			if (!c) {
				*why = "%00 in the path";
				return 400;
			}
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "control byte in the path";
			return 400;
		}
		path[out++] = c;
	}
	path[out] = '\0';
	return 0;

bad_escape:
	*why = "invalid percent-escape in the path";
	return 400;
}

/* 403 if any segment of @path is "." or "..". */
static int refuse_dot_segments(const char *path, const char **why)
{
	const char *seg = path;

	while (*seg) {
		size_t len = strcspn(seg, "/");

		if ((len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.')) {
			*why = "dot segment in the path";
			return 403;
		}
		seg += len;
		if (*seg == '/')
			seg++;
	}
	return 0;
}

static int open_beneath(int root_fd, const char *rel, uint64_t flags)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

static int open_status(int err, const char **why)
{
	switch (err) {
	case -ENOENT:
	case -ENOTDIR:
		*why = "no such file";
		return 404;
	case -ENAMETOOLONG:
		*why = "path too long";
		return 404;
	case -EXDEV:
		*why = "the path leads outside the served directory";
		return 403;
	case -ELOOP:
		*why = "symbolic link loop or /proc magic link";
		return 403;
	case -EACCES:
	case -EPERM:
		*why = "permission denied";
		return 403;
	default:
		*why = "cannot open the file";
		return 500;
	}
}

/*
 * The 301 target for a directory named without its trailing slash. It
 * must stay on this server: a browser reads "//d/" as host d. So the
 * leading slashes collapse into one (the same directory: the root ignores
 * them). "/\\d" never gets here: the parser refuses a raw backslash.
 */
static int redirect(struct http_span target, size_t path_len, char *location,
		    size_t location_size, const char **why)
{
	size_t skip = 0;
	int n;

	/* A span, not a string; and never all slashes (that is the root). */
	while (skip < path_len && target.ptr[skip] == '/')
		skip++;
	n = snprintf(location, location_size, "/%.*s/%.*s",
		     (int)(path_len - skip), target.ptr + skip,
		     (int)(target.len - path_len), target.ptr + path_len);
	if (n < 0 || (size_t)n >= location_size) {
		*why = "directory path too long to redirect";
		return 414;
	}
	return 301;
}

int http_open_root(const char *dir)
{
	int root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int probe_fd;

	if (root_fd < 0)
		return -errno;
	/* Fail now, not on the first request, if openat2() is missing. */
	probe_fd = open_beneath(root_fd, ".", O_PATH);
	if (probe_fd < 0) {
		close(root_fd);
		return probe_fd;
	}
	close(probe_fd);
	return root_fd;
}

int http_open_target(int root_fd, struct http_span target,
		     struct http_target *out)
{
	const char *query = memchr(target.ptr, '?', target.len);
	struct http_span raw = {
		.ptr = target.ptr,
		.len = query ? (size_t)(query - target.ptr) : target.len,
	};
	char *path = out->path;
	const char **why = &out->why;
	struct stat *st = &out->st;
	int path_fd, file_fd, status, flags;
	const char *rel;
	size_t path_len;

	out->fd = -1;
	out->why = NULL;
	if (raw.len > HTTP_MAX_TARGET) {
		*why = "request target over 2048 bytes";
		return 414;
	}
	if (!raw.len || raw.ptr[0] != '/') {
		*why = "the request target is not a path (origin-form)";
		return 400;
	}
	status = decode_path(raw, path, why);
	if (!status)
		status = refuse_dot_segments(path, why);
	if (status)
		return status;

	/* Beneath the root: "/a/b" is "a/b", and "/" the root itself. */
	rel = path + strspn(path, "/");
	path_len = strlen(path);
	path_fd = open_beneath(root_fd, *rel ? rel : ".", O_PATH);
	if (path_fd < 0)
		return open_status(path_fd, why);
	if (fstat(path_fd, st)) {
		status = open_status(-errno, why);
		goto close_path;
	}
	if (S_ISDIR(st->st_mode)) {
		close(path_fd);
		if (path[path_len - 1] != '/')
			return redirect(target, raw.len, out->location,
					sizeof(out->location), why);
		/* From the root again, so index.html may link to a sibling. */
		memcpy(path + path_len, INDEX_NAME, sizeof(INDEX_NAME));
		rel = path + strspn(path, "/");
		path_fd = open_beneath(root_fd, rel, O_PATH);
		if (path_fd == -ENOENT) {
			*why = "directory without index.html (no listings)";
			return 403;
		}
		if (path_fd < 0)
			return open_status(path_fd, why);
		if (fstat(path_fd, st)) {
			status = open_status(-errno, why);
			goto close_path;
		}
	}
	if (!S_ISREG(st->st_mode)) {
		*why = "not a regular file";
		status = 403;
		goto close_path;
	}

	/* Non-blocking in case a fifo was swapped in since the O_PATH open. */
	file_fd = open_beneath(root_fd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (file_fd < 0) {
		status = open_status(file_fd, why);
		goto close_path;
	}
	if (fstat(file_fd, st) || !S_ISREG(st->st_mode)) {
		*why = "not a regular file";
		status = 403;
		goto close_file;
	}
	flags = fcntl(file_fd, F_GETFL);
	if (flags < 0 || fcntl(file_fd, F_SETFL, flags & ~O_NONBLOCK)) {
		status = open_status(-errno, why);
		goto close_file;
	}
	close(path_fd);
	out->fd = file_fd;
	return 0;

close_file:
	close(file_fd);
close_path:
	close(path_fd);
	return status;
}
