// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * http_path: a request target to a file beneath the served root
 * (userspace/serve/http_path.c), as ktls-serve does it: the input is the
 * target of a request line, parsed by http_parse.c first. Against a small
 * root made once (a directory, index.html, symlinks up and out, a file
 * beside the root), whatever is opened must lie beneath the root, the
 * decoded path must hold no "." or ".." segment, and a redirect must
 * stay on this server: "/" then neither "/" nor "\" (a browser reads
 * "//host/" and "/\host/" as another host) and no dot segment.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "http_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int root_fd = -1;
static char root_real[PATH_MAX];
#define BASE_TEMPLATE "/tmp/http_path_fuzz.XXXXXX"
static char base[sizeof(BASE_TEMPLATE)];

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	return remove(path);
}

/* No directory left behind per run. */
static void remove_root(void)
{
	nftw(base, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static void make_root(void)
{
	char root[PATH_MAX], path[PATH_MAX];

	memcpy(base, BASE_TEMPLATE, sizeof(base));
	if (!mkdtemp(base))
		abort();
	atexit(remove_root);
	put(base, "outside.txt", "outside\n");
	snprintf(root, sizeof(root), "%s/root", base);
	mkdir(root, 0755);
	put(root, "index.html", "root\n");
	put(root, "a.txt", "a\n");
	snprintf(path, sizeof(path), "%s/sub", root);
	mkdir(path, 0755);
	put(path, "index.html", "sub\n");
	put(path, "b.txt", "b\n");
	snprintf(path, sizeof(path), "%s/sub/deeper", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/up", root);
	if (symlink("..", path))
		abort();
	snprintf(path, sizeof(path), "%s/etc", root);
	if (symlink("/etc", path))
		abort();
	snprintf(path, sizeof(path), "%s/sub/back", root);
	if (symlink("../a.txt", path))
		abort();
	if (!realpath(root, root_real))
		abort();
	root_fd = http_open_root(root);
	if (root_fd < 0)
		abort();
}

static bool has_dot_segment(const char *p, size_t len)
{
	size_t i = 0, seg;

	while (i < len) {
		while (i < len && p[i] == '/')
			i++;
		seg = i;
		while (i < len && p[i] != '/' && p[i] != '?')
			i++;
		if ((i - seg == 1 && p[seg] == '.') ||
		    (i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.'))
			return true;
		if (i < len && p[i] == '?')
			break;
	}
	return false;
}

static void check_beneath(int fd)
{
	char link[64], real[PATH_MAX];
	size_t n = strlen(root_real);
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, real, sizeof(real) - 1);
	if (len < 0)
		abort();
	real[len] = '\0';
	if (strncmp(real, root_real, n) || real[n] != '/')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] = "GET ",
			  tail[] = " HTTP/1.1\r\nHost: x\r\n\r\n";
	static struct http_target out;
	struct http_request req;
	size_t len = sizeof(head) - 1 + size + sizeof(tail) - 1;
	char *buf;
	int status;

	if (root_fd < 0)
		make_root();
	buf = malloc(len);
	if (!buf)
		return 0;
	memcpy(buf, head, sizeof(head) - 1);
	memcpy(buf + sizeof(head) - 1, data, size);
	memcpy(buf + sizeof(head) - 1 + size, tail, sizeof(tail) - 1);
	if (http_parse_request(buf, len, &req))
		goto out;
	status = http_open_target(root_fd, req.target, &out);
	switch (status) {
	case 0:
		if (out.fd < 0 || has_dot_segment(out.path, strlen(out.path)))
			abort();
		check_beneath(out.fd);
		close(out.fd);
		break;
	case 301:
		if (out.location[0] != '/' || out.location[1] == '/' ||
		    out.location[1] == '\\' ||
		    has_dot_segment(out.location, strlen(out.location)))
			abort();
		break;
	case 400: case 403: case 404: case 414: case 500:
		if (out.fd >= 0 || !out.why)
			abort();
		break;
	default:
		abort();
	}
out:
	free(buf);
	return 0;
}
