// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-serve's HTTP part (userspace/serve/http.h) against real files in a
 * directory made per test: every status it can answer with, the exact
 * status line and the headers a client relies on, the bytes a body would
 * carry, escapes from the root (.., encoded, symlinked), byte ranges,
 * If-Modified-Since, pipelining, incremental input and a mutation fuzz.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"

#include "kselftest_harness.h"

/* hello.txt's mtime: Sun, 06 Nov 1994 08:49:37 GMT. */
#define HELLO_MTIME 784111777
#define HELLO_DATE "Sun, 06 Nov 1994 08:49:37 GMT"
#define HELLO "hello, world\n"
#define DATA_LEN 1000
#define NOBODY 65534

struct reply {
	ssize_t ret;
	struct http_response r;
	char head[sizeof(((struct http_response *)0)->head) + 1];
};

static void ask_len(struct reply *rep, int root_fd, const char *text,
		    size_t len)
{
	memset(rep, 0, sizeof(*rep));
	rep->ret = http_handle(root_fd, text, len, &rep->r);
	if (rep->r.head_len <= sizeof(rep->r.head))
		memcpy(rep->head, rep->r.head, rep->r.head_len);
}

static void ask(struct reply *rep, int root_fd, const char *text)
{
	ask_len(rep, root_fd, text, strlen(text));
}

static void done(struct reply *rep)
{
	if (rep->r.file_fd >= 0)
		close(rep->r.file_fd);
	rep->r.file_fd = -1;
}

/* The value of header @name in the reply, or NULL; in @out. */
static const char *header(const struct reply *rep, const char *name,
			  char *out, size_t size)
{
	const char *line = strstr(rep->head, "\r\n");
	size_t name_len = strlen(name);

	while (line && strncmp(line, "\r\n\r\n", 4)) {
		const char *next;

		line += 2;
		next = strstr(line, "\r\n");
		if (!next)
			return NULL;
		if (!strncmp(line, name, name_len) &&
		    !strncmp(line + name_len, ": ", 2)) {
			snprintf(out, size, "%.*s",
				 (int)(next - line - name_len - 2),
				 line + name_len + 2);
			return out;
		}
		line = next;
	}
	return NULL;
}

/* What follows the head's empty line: an error's text body. */
static const char *inline_body(const struct reply *rep)
{
	const char *end = strstr(rep->head, "\r\n\r\n");

	return end ? end + 4 : "";
}

/* The status line, exactly; @ctx says which case failed. */
#define ASSERT_STATUS_FOR(rep, line, ctx) do {				\
	const char *_want = "HTTP/1.1 " line "\r\n";			\
	ASSERT_EQ(0, strncmp((rep)->head, _want, strlen(_want)))	\
		TH_LOG("%s: expected \"%s\", got:\n%s", ctx, line,	\
		       (rep)->head);					\
} while (0)

#define ASSERT_STATUS(rep, line) ASSERT_STATUS_FOR(rep, line, "")

#define ASSERT_HEADER_FOR(rep, name, value, ctx) do {			\
	char _v[256];							\
	const char *_got = header(rep, name, _v, sizeof(_v));		\
	ASSERT_NE(NULL, _got)						\
		TH_LOG("%s: no %s in:\n%s", ctx, name, (rep)->head);	\
	ASSERT_STREQ(value, _got) TH_LOG("%s", ctx);			\
} while (0)

#define ASSERT_HEADER(rep, name, value) ASSERT_HEADER_FOR(rep, name, value, "")

#define ASSERT_NO_HEADER(rep, name) do {				\
	char _v[256];							\
	ASSERT_EQ(NULL, header(rep, name, _v, sizeof(_v)))		\
		TH_LOG("unexpected %s in:\n%s", name, (rep)->head);	\
} while (0)

static int write_file(int dir_fd, const char *name, const void *data,
		      size_t len)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static uint8_t data_byte(size_t i)
{
	return (i * 7 + 3) % 251;
}

FIXTURE(root) {
	char base[64];		/* holds root/ and outside.txt */
	int root_fd;
};

FIXTURE_SETUP(root)
{
	static const char * const plain[] = {
		"style.css", "app.js", "x.json", "pic.png", "pic.JPG",
		"a.gif", "v.svg", "doc.pdf", "m.wasm", "film.mp4",
		"t.tar", "archive.tar.gz", "z.zip", "noext", "dir.d/file",
	};
	const struct timespec times[2] = {
		{ .tv_sec = HELLO_MTIME }, { .tv_sec = HELLO_MTIME },
	};
	uint8_t data[DATA_LEN];
	char path[128];
	size_t i;
	int base_fd;

	snprintf(self->base, sizeof(self->base), "%s/http_test.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ASSERT_NE(NULL, mkdtemp(self->base));
	/* Traversable by the unprivileged child of the EACCES test. */
	ASSERT_EQ(0, chmod(self->base, 0755));
	base_fd = open(self->base, O_DIRECTORY | O_RDONLY);
	ASSERT_LE(0, base_fd);
	ASSERT_EQ(0, write_file(base_fd, "outside.txt", "outside\n", 8));
	ASSERT_EQ(0, mkdirat(base_fd, "root", 0755));
	self->root_fd = openat(base_fd, "root", O_DIRECTORY | O_RDONLY);
	close(base_fd);
	ASSERT_LE(0, self->root_fd);

	for (i = 0; i < DATA_LEN; i++)
		data[i] = data_byte(i);
	ASSERT_EQ(0, write_file(self->root_fd, "hello.txt", HELLO,
				strlen(HELLO)));
	ASSERT_EQ(0, utimensat(self->root_fd, "hello.txt", times, 0));
	ASSERT_EQ(0, write_file(self->root_fd, "data.bin", data, DATA_LEN));
	ASSERT_EQ(0, write_file(self->root_fd, "empty.txt", "", 0));
	ASSERT_EQ(0, write_file(self->root_fd, "index.html", "<h1>root</h1>\n",
				14));
	ASSERT_EQ(0, mkdirat(self->root_fd, "dir.d", 0755));
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		ASSERT_EQ(0, write_file(self->root_fd, plain[i], "x", 1));
	ASSERT_EQ(0, mkdirat(self->root_fd, "sub", 0755));
	ASSERT_EQ(0, write_file(self->root_fd, "sub/file.txt", "in sub\n", 7));
	ASSERT_EQ(0, mkdirat(self->root_fd, "site", 0755));
	ASSERT_EQ(0, write_file(self->root_fd, "site/index.html",
				"<h1>site</h1>\n", 14));
	ASSERT_EQ(0, symlinkat("sub/file.txt", self->root_fd, "link.txt"));
	ASSERT_EQ(0, symlinkat("/etc", self->root_fd, "etc"));
	ASSERT_EQ(0, symlinkat("..", self->root_fd, "up"));
	snprintf(path, sizeof(path), "%s/root/hello.txt", self->base);
	ASSERT_EQ(0, symlinkat(path, self->root_fd, "absolute.txt"));
	ASSERT_EQ(0, symlinkat("loop", self->root_fd, "loop"));
	ASSERT_EQ(0, mkfifoat(self->root_fd, "fifo", 0644));
	ASSERT_EQ(0, write_file(self->root_fd, "secret.txt", "secret\n", 7));
	ASSERT_EQ(0, fchmodat(self->root_fd, "secret.txt", 0, 0));

	/* Serve it the way ktls-serve does. */
	close(self->root_fd);
	snprintf(path, sizeof(path), "%s/root", self->base);
	self->root_fd = http_open_root(path);
	ASSERT_LE(0, self->root_fd);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	return remove(path);
}

FIXTURE_TEARDOWN(root)
{
	close(self->root_fd);
	nftw(self->base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TEST_F(root, open_root)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/none", self->base);
	ASSERT_EQ(-ENOENT, http_open_root(path));
	snprintf(path, sizeof(path), "%s/outside.txt", self->base);
	ASSERT_EQ(-ENOTDIR, http_open_root(path));
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: test\r\n\r\n"
#define HEAD(path) "HEAD " path " HTTP/1.1\r\nHost: test\r\n\r\n"

TEST_F(root, get_file)
{
	const char *text = GET("/hello.txt");
	char date[64], body[32] = "";
	struct reply rep;

	ask(&rep, self->root_fd, text);
	ASSERT_EQ((ssize_t)strlen(text), rep.ret);
	ASSERT_STATUS(&rep, "200 OK");
	ASSERT_EQ(200, rep.r.status);
	ASSERT_TRUE(rep.r.keep_alive);
	ASSERT_HEADER(&rep, "Server", "ktls-serve");
	ASSERT_HEADER(&rep, "Content-Type", "text/plain; charset=utf-8");
	ASSERT_HEADER(&rep, "Content-Length", "13");
	ASSERT_HEADER(&rep, "Last-Modified", HELLO_DATE);
	ASSERT_HEADER(&rep, "Accept-Ranges", "bytes");
	ASSERT_NO_HEADER(&rep, "Connection");
	ASSERT_NE(NULL, header(&rep, "Date", date, sizeof(date)));
	ASSERT_EQ(29U, strlen(date));
	ASSERT_STREQ(" GMT", date + 25);
	/* The body is the file's bytes, none of them in head[]. */
	ASSERT_STREQ("", inline_body(&rep));
	ASSERT_LE(0, rep.r.file_fd);
	ASSERT_EQ(0, rep.r.body_offset);
	ASSERT_EQ(13U, rep.r.body_len);
	ASSERT_EQ(13, pread(rep.r.file_fd, body, sizeof(body),
			    rep.r.body_offset));
	ASSERT_STREQ(HELLO, body);
	ASSERT_EQ(0, fcntl(rep.r.file_fd, F_GETFL) & O_NONBLOCK);
	done(&rep);
}

TEST_F(root, head_has_get_headers_without_body)
{
	struct reply rep;

	ask(&rep, self->root_fd, HEAD("/hello.txt"));
	ASSERT_STATUS(&rep, "200 OK");
	ASSERT_HEADER(&rep, "Content-Length", "13");
	ASSERT_HEADER(&rep, "Last-Modified", HELLO_DATE);
	ASSERT_EQ(-1, rep.r.file_fd);
	ASSERT_EQ(0U, rep.r.body_len);
	ASSERT_TRUE(rep.r.keep_alive);

	/* An error to a HEAD: its length, not its body. */
	ask(&rep, self->root_fd, HEAD("/nope"));
	ASSERT_STATUS(&rep, "404 Not Found");
	ASSERT_HEADER(&rep, "Content-Length", "28");
	ASSERT_STREQ("", inline_body(&rep));
	ASSERT_TRUE(rep.r.keep_alive);
}

TEST_F(root, empty_file)
{
	struct reply rep;

	ask(&rep, self->root_fd, GET("/empty.txt"));
	ASSERT_STATUS(&rep, "200 OK");
	ASSERT_HEADER(&rep, "Content-Length", "0");
	ASSERT_EQ(-1, rep.r.file_fd);
	ASSERT_EQ(0U, rep.r.body_len);
}

TEST_F(root, content_type_by_extension)
{
	static const struct {
		const char *path, *type;
	} cases[] = {
		{ "/index.html", "text/html; charset=utf-8" },
		{ "/style.css", "text/css; charset=utf-8" },
		{ "/app.js", "text/javascript; charset=utf-8" },
		{ "/x.json", "application/json" },
		{ "/hello.txt", "text/plain; charset=utf-8" },
		{ "/pic.png", "image/png" },
		{ "/pic.JPG", "image/jpeg" },
		{ "/a.gif", "image/gif" },
		{ "/v.svg", "image/svg+xml" },
		{ "/doc.pdf", "application/pdf" },
		{ "/m.wasm", "application/wasm" },
		{ "/film.mp4", "video/mp4" },
		{ "/t.tar", "application/x-tar" },
		{ "/archive.tar.gz", "application/gzip" },
		{ "/z.zip", "application/zip" },
		{ "/noext", "application/octet-stream" },
		/* The last segment's extension, not a directory's. */
		{ "/dir.d/file", "application/octet-stream" },
		/* Decoded first: %2E is the dot. */
		{ "/hello%2Etxt", "text/plain; charset=utf-8" },
		{ "/hello.txt?as=.png", "text/plain; charset=utf-8" },
		/* A directory's index.html. */
		{ "/", "text/html; charset=utf-8" },
	};
	char request[128];
	struct reply rep;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(request, sizeof(request), GET("%s"), cases[i].path);
		ask(&rep, self->root_fd, request);
		ASSERT_STATUS(&rep, "200 OK");
		ASSERT_HEADER_FOR(&rep, "Content-Type", cases[i].type,
				  cases[i].path);
		done(&rep);
	}
}

TEST_F(root, directories)
{
	char body[32] = "";
	struct reply rep;

	ask(&rep, self->root_fd, GET("/site/"));
	ASSERT_STATUS(&rep, "200 OK");
	ASSERT_HEADER(&rep, "Content-Length", "14");
	ASSERT_EQ(14, pread(rep.r.file_fd, body, sizeof(body), 0));
	ASSERT_STREQ("<h1>site</h1>\n", body);
	done(&rep);

	/* Without the slash, relative links in index.html would break. */
	ask(&rep, self->root_fd, GET("/site"));
	ASSERT_STATUS(&rep, "301 Moved Permanently");
	ASSERT_HEADER(&rep, "Location", "/site/");
	ASSERT_TRUE(rep.r.keep_alive);
	ASSERT_EQ(-1, rep.r.file_fd);
	ask(&rep, self->root_fd, GET("/site?page=2"));
	ASSERT_HEADER(&rep, "Location", "/site/?page=2");

	/* No index.html: no listing either. */
	ask(&rep, self->root_fd, GET("/sub/"));
	ASSERT_STATUS(&rep, "403 Forbidden");
	ASSERT_STREQ("403 Forbidden: directory without index.html (no listings)\n",
		     inline_body(&rep));
	ASSERT_TRUE(rep.r.keep_alive);
}

/*
 * A Location of "//site/" is another host to a browser: the redirect must
 * stay on this server whatever the slashes; a raw backslash ("/\site",
 * which browsers also read as "//site") never reaches a redirect.
 */
TEST_F(root, redirect_stays_on_this_server)
{
	static const struct {
		const char *target, *location;
	} cases[] = {
		{ "//site", "/site/" },
		{ "///site", "/site/" },
		{ "//site?x=//evil", "/site/?x=//evil" },
		{ "/%2Fsite", "/%2Fsite/" },
		{ "/%5Csite", "/%5Csite/" },
	};
	static const char * const backslashed[] = {
		"/\\site", "/\\\\site", "//\\site", "\\\\site",
	};
	char request[256], value[128];
	struct reply rep;
	size_t i;

	ASSERT_EQ(0, mkdirat(self->root_fd, "\\site", 0755));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(request, sizeof(request),
			 "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", cases[i].target);
		ask(&rep, self->root_fd, request);
		ASSERT_STATUS_FOR(&rep, "301 Moved Permanently",
				  cases[i].target);
		ASSERT_NE(NULL, header(&rep, "Location", value, sizeof(value)));
		ASSERT_STREQ(cases[i].location, value);
		/* Following it lands on the same directory. */
		snprintf(request, sizeof(request),
			 "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", value);
		ask(&rep, self->root_fd, request);
		ASSERT_NE(0, strncmp(rep.head, "HTTP/1.1 301", 12));
		done(&rep);
	}
	for (i = 0; i < sizeof(backslashed) / sizeof(backslashed[0]); i++) {
		snprintf(request, sizeof(request),
			 "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", backslashed[i]);
		ask(&rep, self->root_fd, request);
		ASSERT_STATUS_FOR(&rep, "400 Bad Request", backslashed[i]);
		ASSERT_EQ(NULL, header(&rep, "Location", value, sizeof(value)));
	}
}

TEST_F(root, not_found)
{
	struct reply rep;

	ask(&rep, self->root_fd, GET("/nope"));
	ASSERT_STATUS(&rep, "404 Not Found");
	ASSERT_HEADER(&rep, "Content-Type", "text/plain; charset=utf-8");
	ASSERT_HEADER(&rep, "Content-Length", "28");
	ASSERT_STREQ("404 Not Found: no such file\n", inline_body(&rep));
	ASSERT_EQ(404, rep.r.status);
	ASSERT_TRUE(rep.r.keep_alive);
	ASSERT_NO_HEADER(&rep, "Connection");
	ASSERT_EQ(-1, rep.r.file_fd);

	/* A file is not a directory. */
	ask(&rep, self->root_fd, GET("/hello.txt/"));
	ASSERT_STATUS(&rep, "404 Not Found");
	ask(&rep, self->root_fd, GET("/hello.txt/x"));
	ASSERT_STATUS(&rep, "404 Not Found");
}

/* Every way out of the root is refused; links that stay inside work. */
TEST_F(root, escapes)
{
	static const char * const forbidden[] = {
		"/../outside.txt",
		"/sub/../../outside.txt",
		"/%2e%2e/outside.txt",
		"/%2E%2E/outside.txt",
		"/.%2e/outside.txt",
		"/sub%2F..%2F..%2Foutside.txt",
		"/%2F..%2Foutside.txt",
		"/..",
		"/sub/..",
		"/./hello.txt",
		"/sub/./file.txt",
		"/etc/passwd",		/* symlink to /etc */
		"/etc/",
		"/up/outside.txt",	/* symlink to .. */
		"/up/root/hello.txt",	/* out and back in */
		"/absolute.txt",	/* absolute symlink, even into the root */
		"/loop",
		"/fifo",
		"//etc/passwd",
	};
	char request[128], body[16] = "";
	struct reply rep;
	size_t i;

	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		snprintf(request, sizeof(request), GET("%s"), forbidden[i]);
		ask(&rep, self->root_fd, request);
		ASSERT_STATUS_FOR(&rep, "403 Forbidden", forbidden[i]);
		ASSERT_EQ(-1, rep.r.file_fd);
		ASSERT_TRUE(rep.r.keep_alive);
	}

	ask(&rep, self->root_fd, GET("/link.txt"));
	ASSERT_STATUS(&rep, "200 OK");
	ASSERT_EQ(7, pread(rep.r.file_fd, body, sizeof(body), 0));
	ASSERT_STREQ("in sub\n", body);
	done(&rep);
	ask(&rep, self->root_fd, GET("/sub//file.txt"));
	ASSERT_STATUS(&rep, "200 OK");
	done(&rep);
}

/* EACCES: as an unprivileged user, who cannot read secret.txt. */
TEST_F(root, permission_denied)
{
	int wstatus;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct reply rep;

		if (!geteuid() && (setgroups(0, NULL) || setgid(NOBODY) ||
				   setuid(NOBODY)))
			_exit(2);
		ask(&rep, self->root_fd, GET("/secret.txt"));
		if (strncmp(rep.head, "HTTP/1.1 403 Forbidden\r\n", 24) ||
		    !strstr(rep.head, "403 Forbidden: permission denied\n"))
			_exit(1);
		/* The same user can read what is readable. */
		ask(&rep, self->root_fd, GET("/hello.txt"));
		_exit(strncmp(rep.head, "HTTP/1.1 200 OK\r\n", 17) ? 3 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &wstatus, 0));
	ASSERT_TRUE(WIFEXITED(wstatus));
	ASSERT_EQ(0, WEXITSTATUS(wstatus));
}

TEST_F(root, percent_decoding)
{
	static const char * const bad[] = {
		"/%00", "/hello.txt%00.png", "/%zz", "/abc%4", "/abc%",
		"/%0a", "/%7f",
	};
	char request[128];
	struct reply rep;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(request, sizeof(request), GET("%s"), bad[i]);
		ask(&rep, self->root_fd, request);
		ASSERT_STATUS_FOR(&rep, "400 Bad Request", bad[i]);
		ASSERT_HEADER(&rep, "Connection", "close");
		ASSERT_FALSE(rep.r.keep_alive);
	}
	/* The query is not part of the path, whatever it holds. */
	ask(&rep, self->root_fd, GET("/hello.txt?x=%zz&y=../.."));
	ASSERT_STATUS(&rep, "200 OK");
	done(&rep);
	ask(&rep, self->root_fd, GET("/%68ello.txt"));
	ASSERT_STATUS(&rep, "200 OK");
	done(&rep);
}

TEST_F(root, methods)
{
	struct reply rep;

	ask(&rep, self->root_fd, "POST /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
	ASSERT_STATUS(&rep, "405 Method Not Allowed");
	ASSERT_HEADER(&rep, "Allow", "GET, HEAD");
	ASSERT_TRUE(rep.r.keep_alive);
	ask(&rep, self->root_fd, "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
	ASSERT_STATUS(&rep, "400 Bad Request");
	ask(&rep, self->root_fd, "get / HTTP/1.1\r\nHost: t\r\n\r\n");
	ASSERT_STATUS(&rep, "405 Method Not Allowed");
	/* A body we will not read: answer, then close. */
	ask(&rep, self->root_fd,
	    "PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
	ASSERT_EQ((ssize_t)strlen("PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n"),
		  rep.ret);
	ASSERT_STATUS(&rep, "405 Method Not Allowed");
	ASSERT_HEADER(&rep, "Connection", "close");
	ASSERT_FALSE(rep.r.keep_alive);
	ask(&rep, self->root_fd, "G(T / HTTP/1.1\r\nHost: t\r\n\r\n");
	ASSERT_STATUS(&rep, "400 Bad Request");
}

TEST_F(root, versions_and_keep_alive)
{
	struct reply rep;

	ask(&rep, self->root_fd, "GET /hello.txt HTTP/1.0\r\n\r\n");
	ASSERT_STATUS(&rep, "200 OK");
	ASSERT_HEADER(&rep, "Connection", "close");
	ASSERT_FALSE(rep.r.keep_alive);
	done(&rep);
	ask(&rep, self->root_fd,
	    "GET /hello.txt HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
	ASSERT_HEADER(&rep, "Connection", "keep-alive");
	ASSERT_TRUE(rep.r.keep_alive);
	done(&rep);
	ask(&rep, self->root_fd,
	    "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: x, close\r\n\r\n");
	ASSERT_HEADER(&rep, "Connection", "close");
	ASSERT_FALSE(rep.r.keep_alive);
	done(&rep);
	/* Errors of a sound request keep HTTP/1.0's choice too. */
	ask(&rep, self->root_fd, "GET /nope HTTP/1.0\r\n\r\n");
	ASSERT_STATUS(&rep, "404 Not Found");
	ASSERT_FALSE(rep.r.keep_alive);

	ask(&rep, self->root_fd, "GET / HTTP/2.0\r\nHost: t\r\n\r\n");
	ASSERT_STATUS(&rep, "505 HTTP Version Not Supported");
	ASSERT_FALSE(rep.r.keep_alive);
	ask(&rep, self->root_fd, "GET / HTTP/1.2\r\nHost: t\r\n\r\n");
	ASSERT_STATUS(&rep, "505 HTTP Version Not Supported");
	ask(&rep, self->root_fd, "GET / HTTP/1\r\nHost: t\r\n\r\n");
	ASSERT_STATUS(&rep, "400 Bad Request");
	ask(&rep, self->root_fd, "GET / http/1.1\r\nHost: t\r\n\r\n");
	ASSERT_STATUS(&rep, "400 Bad Request");
	ask(&rep, self->root_fd, "GET /\r\n\r\n");
	ASSERT_STATUS(&rep, "400 Bad Request");
}

/* Requests that must be refused with 400 (or 413) and a closed connection. */
TEST_F(root, malformed)
{
	static const struct {
		const char *request, *status, *why;
	} cases[] = {
		{ "GET / HTTP/1.1\nHost: t\r\n\r\n", "400 Bad Request",
		  "line ended by a bare LF (HTTP needs CRLF)" },
		{ "GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", "400 Bad Request",
		  "bare CR in the request head" },
		{ "GET / HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n",
		  "400 Bad Request", "NUL byte in the request head" },
		{ "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n",
		  "400 Bad Request",
		  "header continuation line (obs-fold) refused" },
		{ "GET / HTTP/1.1\r\nHost : t\r\n\r\n", "400 Bad Request",
		  "malformed header line" },
		{ "GET / HTTP/1.1\r\nHost: t\r\nnocolon\r\n\r\n",
		  "400 Bad Request", "malformed header line" },
		{ "GET / HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n",
		  "400 Bad Request", "more than one Host header" },
		{ "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", "400 Bad Request",
		  "invalid Host header" },
		{ "GET / HTTP/1.1\r\n\r\n", "400 Bad Request",
		  "HTTP/1.1 request without a Host header" },
		{ "GET / HTTP/1.1\r\nHost: t\r\nX: a\x01\r\n\r\n",
		  "400 Bad Request", "control byte in a header value" },
		{ "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
		  "400 Bad Request",
		  "Transfer-Encoding: request bodies are not accepted" },
		{ "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n",
		  "413 Content Too Large",
		  "a GET or HEAD request takes no body" },
		{ "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n"
		  "Content-Length: 0\r\n\r\n", "400 Bad Request",
		  "repeated Content-Length" },
		{ "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
		  "400 Bad Request", "invalid Content-Length" },
		{ "GET / HTTP/1.1\r\nHost: t\r\n"
		  "Content-Length: 99999999999999999999\r\n\r\n",
		  "400 Bad Request", "invalid Content-Length" },
		{ "GET http://t/ HTTP/1.1\r\nHost: t\r\n\r\n", "400 Bad Request",
		  "the request target is not a path (origin-form)" },
		{ "GET hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", "400 Bad Request",
		  "the request target is not a path (origin-form)" },
		{ "GET  / HTTP/1.1\r\nHost: t\r\n\r\n", "400 Bad Request",
		  "malformed request line: no target" },
		{ "GET /  HTTP/1.1\r\nHost: t\r\n\r\n", "400 Bad Request",
		  "malformed request line: no version" },
		{ "GET /a\"b HTTP/1.1\r\nHost: t\r\n\r\n", "400 Bad Request",
		  "invalid byte in the request target" },
		{ "GET /#frag HTTP/1.1\r\nHost: t\r\n\r\n", "400 Bad Request",
		  "invalid byte in the request target" },
		{ " GET / HTTP/1.1\r\nHost: t\r\n\r\n", "400 Bad Request",
		  "malformed request line: no method" },
	};
	char expected_status[64], expected_body[160];
	struct reply rep;
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* Sizes by hand: one case holds a NUL. */
		len = strlen(cases[i].request);
		if (strstr(cases[i].why, "NUL"))
			len += 1 + strlen(cases[i].request + len + 1);
		ask_len(&rep, self->root_fd, cases[i].request, len);
		snprintf(expected_status, sizeof(expected_status),
			 "HTTP/1.1 %s\r\n", cases[i].status);
		snprintf(expected_body, sizeof(expected_body), "%s: %s\n",
			 cases[i].status, cases[i].why);
		ASSERT_EQ(0, strncmp(rep.head, expected_status,
				     strlen(expected_status)))
			TH_LOG("case %zu: got\n%s", i, rep.head);
		ASSERT_STREQ(expected_body, inline_body(&rep))
			TH_LOG("case %zu", i);
		ASSERT_HEADER(&rep, "Connection", "close");
		ASSERT_FALSE(rep.r.keep_alive);
		ASSERT_LT(0, rep.ret);
		ASSERT_GE((ssize_t)len, rep.ret);
		ASSERT_EQ(-1, rep.r.file_fd);
	}

	/* Content-Length: 0 is no body: fine. */
	ask(&rep, self->root_fd,
	    "GET /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
	ASSERT_STATUS(&rep, "200 OK");
	done(&rep);
}

/* A request of exactly @head_len bytes, padded with one X-Pad header. */
static char *padded_request(size_t head_len, const char *target)
{
	char *buf = malloc(head_len + 1);
	int prefix;

	if (!buf)
		return NULL;
	prefix = snprintf(buf, head_len + 1,
			  "GET %s HTTP/1.1\r\nHost: t\r\nX-Pad: ", target);
	memset(buf + prefix, 'a', head_len - prefix - 4);
	memcpy(buf + head_len - 4, "\r\n\r\n", 5);
	return buf;
}

TEST_F(root, bounds)
{
	char *buf, target[HTTP_MAX_HEAD + 2];
	struct reply rep;
	size_t i;

	buf = padded_request(HTTP_MAX_HEAD, "/hello.txt");
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((size_t)HTTP_MAX_HEAD, strlen(buf));
	ask(&rep, self->root_fd, buf);
	ASSERT_EQ(HTTP_MAX_HEAD, rep.ret);
	ASSERT_STATUS(&rep, "200 OK");
	done(&rep);
	free(buf);

	buf = padded_request(HTTP_MAX_HEAD + 1, "/hello.txt");
	ASSERT_NE(NULL, buf);
	ask(&rep, self->root_fd, buf);
	ASSERT_STATUS(&rep, "431 Request Header Fields Too Large");
	ASSERT_FALSE(rep.r.keep_alive);
	ASSERT_HEADER(&rep, "Connection", "close");
	ASSERT_LT(0, rep.ret);
	/* Incomplete but already too long: no need to wait for more. */
	ask_len(&rep, self->root_fd, buf, HTTP_MAX_HEAD);
	ASSERT_STATUS(&rep, "431 Request Header Fields Too Large");
	ASSERT_EQ(HTTP_MAX_HEAD, rep.ret);
	free(buf);

	/* 64 header lines pass, 65 do not. */
	buf = malloc(HTTP_MAX_HEAD);
	ASSERT_NE(NULL, buf);
	snprintf(buf, HTTP_MAX_HEAD, "GET /hello.txt HTTP/1.1\r\nHost: t\r\n");
	for (i = 1; i < 64; i++)
		strcat(buf, "X-A: b\r\n");
	strcat(buf, "\r\n");
	ask(&rep, self->root_fd, buf);
	ASSERT_STATUS(&rep, "200 OK");
	done(&rep);
	memcpy(buf + strlen(buf) - 2, "X-A: b\r\n\r\n", sizeof("X-A: b\r\n\r\n"));
	ask(&rep, self->root_fd, buf);
	ASSERT_STATUS(&rep, "431 Request Header Fields Too Large");
	ASSERT_STREQ("431 Request Header Fields Too Large: more than 64 header lines\n",
		     inline_body(&rep));
	free(buf);

	/* A target of 2048 bytes is read (and not found); 2049: 414. */
	target[0] = '/';
	memset(target + 1, 'a', 2047);
	target[2048] = '\0';
	buf = padded_request(2200, target);
	ask(&rep, self->root_fd, buf);
	ASSERT_STATUS(&rep, "404 Not Found");
	free(buf);
	target[2048] = 'a';
	target[2049] = '\0';
	buf = padded_request(2200, target);
	ask(&rep, self->root_fd, buf);
	ASSERT_STATUS(&rep, "414 URI Too Long");
	ASSERT_FALSE(rep.r.keep_alive);
	free(buf);
	/* A request line that never ends within the bound: still 414. */
	memset(target + 1, 'a', HTTP_MAX_HEAD);
	target[HTTP_MAX_HEAD + 1] = '\0';
	buf = malloc(2 * HTTP_MAX_HEAD);
	ASSERT_NE(NULL, buf);
	snprintf(buf, 2 * HTTP_MAX_HEAD, "GET %s", target);
	ask(&rep, self->root_fd, buf);
	ASSERT_STATUS(&rep, "414 URI Too Long");
	free(buf);
	/* A directory name too long for a Location header. */
	ASSERT_EQ(0, mkdirat(self->root_fd, "d", 0755));
	ASSERT_EQ(0, mkdirat(self->root_fd, "d/e", 0755));
	buf = malloc(2048);
	ASSERT_NE(NULL, buf);
	snprintf(buf, 2048, "GET /d");
	for (i = 0; i < 300; i++)
		strcat(buf, "//");
	strcat(buf, "e HTTP/1.1\r\nHost: t\r\n\r\n");
	ask(&rep, self->root_fd, buf);
	ASSERT_STATUS(&rep, "414 URI Too Long");
	free(buf);
}

TEST_F(root, ranges)
{
	static const struct {
		const char *range;
		const char *content_range;	/* NULL: 200, whole file */
		uint64_t first, count;
	} cases[] = {
		{ "bytes=0-0", "bytes 0-0/1000", 0, 1 },
		{ "bytes=999-999", "bytes 999-999/1000", 999, 1 },
		{ "bytes=999-", "bytes 999-999/1000", 999, 1 },
		{ "bytes=-1", "bytes 999-999/1000", 999, 1 },
		{ "bytes=-5000", "bytes 0-999/1000", 0, 1000 },
		{ "bytes=500-2000", "bytes 500-999/1000", 500, 500 },
		{ "bytes=10-19", "bytes 10-19/1000", 10, 10 },
		{ "Bytes=10-19", "bytes 10-19/1000", 10, 10 },
		{ "bytes=0-99999999999999999999999", "bytes 0-999/1000", 0,
		  1000 },
		/* Malformed: ignored. Several: the whole file. */
		{ "bytes=5-1", NULL, 0, 1000 },
		{ "bytes=abc", NULL, 0, 1000 },
		{ "bytes=", NULL, 0, 1000 },
		{ "bytes=-", NULL, 0, 1000 },
		{ "bytes=1-2x", NULL, 0, 1000 },
		{ "items=0-1", NULL, 0, 1000 },
		{ "bytes 0-1", NULL, 0, 1000 },
		{ "bytes=0-1,5-6", NULL, 0, 1000 },
	};
	uint8_t body[DATA_LEN];
	char request[256];
	struct reply rep;
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char length[24];

		snprintf(request, sizeof(request),
			 "GET /data.bin HTTP/1.1\r\nHost: t\r\nRange: %s\r\n\r\n",
			 cases[i].range);
		ask(&rep, self->root_fd, request);
		if (cases[i].content_range) {
			ASSERT_STATUS_FOR(&rep, "206 Partial Content", cases[i].range);
			ASSERT_HEADER(&rep, "Content-Range",
				      cases[i].content_range);
		} else {
			ASSERT_STATUS_FOR(&rep, "200 OK", cases[i].range);
			ASSERT_NO_HEADER(&rep, "Content-Range");
		}
		snprintf(length, sizeof(length), "%llu",
			 (unsigned long long)cases[i].count);
		ASSERT_HEADER(&rep, "Content-Length", length);
		ASSERT_EQ((off_t)cases[i].first, rep.r.body_offset);
		ASSERT_EQ(cases[i].count, rep.r.body_len);
		ASSERT_EQ((ssize_t)cases[i].count,
			  pread(rep.r.file_fd, body, cases[i].count,
				rep.r.body_offset));
		for (j = 0; j < cases[i].count; j++)
			ASSERT_EQ(data_byte(cases[i].first + j), body[j]);
		ASSERT_TRUE(rep.r.keep_alive);
		done(&rep);
	}
}

TEST_F(root, range_not_satisfiable)
{
	static const struct {
		const char *path, *range, *content_range;
	} cases[] = {
		{ "/data.bin", "bytes=1000-", "bytes */1000" },
		{ "/data.bin", "bytes=1000-1000", "bytes */1000" },
		{ "/data.bin", "bytes=99999999999999999999999-", "bytes */1000" },
		{ "/data.bin", "bytes=-0", "bytes */1000" },
		{ "/empty.txt", "bytes=0-0", "bytes */0" },
		{ "/empty.txt", "bytes=-1", "bytes */0" },
		{ "/empty.txt", "bytes=0-", "bytes */0" },
	};
	char request[256];
	struct reply rep;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(request, sizeof(request),
			 "GET %s HTTP/1.1\r\nHost: t\r\nRange: %s\r\n\r\n",
			 cases[i].path, cases[i].range);
		ask(&rep, self->root_fd, request);
		ASSERT_STATUS_FOR(&rep, "416 Range Not Satisfiable",
				  cases[i].range);
		ASSERT_HEADER(&rep, "Content-Range", cases[i].content_range);
		ASSERT_STREQ("416 Range Not Satisfiable: the range lies beyond the file\n",
			     inline_body(&rep));
		ASSERT_TRUE(rep.r.keep_alive);
		ASSERT_EQ(-1, rep.r.file_fd);
	}
}

TEST_F(root, range_head_and_if_range)
{
	struct reply rep;

	/* Range means nothing to HEAD (RFC 9110 section 14.2). */
	ask(&rep, self->root_fd,
	    "HEAD /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-1\r\n\r\n");
	ASSERT_STATUS(&rep, "200 OK");
	ASSERT_HEADER(&rep, "Content-Length", "13");

	ask(&rep, self->root_fd,
	    "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\n"
	    "If-Range: " HELLO_DATE "\r\n\r\n");
	ASSERT_STATUS(&rep, "206 Partial Content");
	ASSERT_HEADER(&rep, "Content-Range", "bytes 0-4/13");
	done(&rep);
	ask(&rep, self->root_fd,
	    "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\n"
	    "If-Range: Sun, 06 Nov 1994 08:49:36 GMT\r\n\r\n");
	ASSERT_STATUS(&rep, "200 OK");
	ASSERT_HEADER(&rep, "Content-Length", "13");
	done(&rep);
	ask(&rep, self->root_fd,
	    "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\n"
	    "If-Range: \"some-etag\"\r\n\r\n");
	ASSERT_STATUS(&rep, "200 OK");
	done(&rep);
	/* Two Range headers: invalid, ignored. */
	ask(&rep, self->root_fd,
	    "GET /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4\r\n"
	    "Range: bytes=0-4\r\n\r\n");
	ASSERT_STATUS(&rep, "200 OK");
	done(&rep);
}

TEST_F(root, if_modified_since)
{
	static const struct {
		const char *since, *status;
	} cases[] = {
		{ HELLO_DATE, "304 Not Modified" },
		{ "Sun, 06 Nov 1994 08:49:38 GMT", "304 Not Modified" },
		{ "Fri, 01 Jan 2100 00:00:00 GMT", "304 Not Modified" },
		{ "Sunday, 06-Nov-94 08:49:37 GMT", "304 Not Modified" },
		{ "Sun Nov  6 08:49:37 1994", "304 Not Modified" },
		{ "Sun, 06 Nov 1994 08:49:36 GMT", "200 OK" },
		{ "Sat, 05 Nov 1994 23:59:59 GMT", "200 OK" },
		{ "Sun Nov  6 08:49:36 1994", "200 OK" },
		/* Not an HTTP-date: ignored. */
		{ "yesterday", "200 OK" },
		{ "Sun, 06 Nov 1994 08:49:37 UTC", "200 OK" },
		{ "Sun, 31 Feb 2100 00:00:00 GMT", "200 OK" },
		{ "Sun, 06 Nov 1994 24:49:37 GMT", "200 OK" },
	};
	char request[256];
	struct reply rep;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(request, sizeof(request),
			 "GET /hello.txt HTTP/1.1\r\nHost: t\r\n"
			 "If-Modified-Since: %s\r\nRange: bytes=0-0\r\n\r\n",
			 cases[i].since);
		ask(&rep, self->root_fd, request);
		if (!strcmp(cases[i].status, "200 OK")) {
			/* Range applies once the precondition passed. */
			ASSERT_STATUS_FOR(&rep, "206 Partial Content", cases[i].since);
			done(&rep);
			continue;
		}
		ASSERT_STATUS_FOR(&rep, "304 Not Modified", cases[i].since);
		ASSERT_HEADER(&rep, "Last-Modified", HELLO_DATE);
		ASSERT_NO_HEADER(&rep, "Content-Length");
		ASSERT_STREQ("", inline_body(&rep));
		ASSERT_EQ(-1, rep.r.file_fd);
		ASSERT_EQ(0U, rep.r.body_len);
		ASSERT_TRUE(rep.r.keep_alive);
	}
}

TEST_F(root, pipelined)
{
	const char *first = GET("/hello.txt");
	const char *second = HEAD("/nope");
	char both[256];
	struct reply rep;

	snprintf(both, sizeof(both), "%s%s", first, second);
	ask(&rep, self->root_fd, both);
	ASSERT_EQ((ssize_t)strlen(first), rep.ret);
	ASSERT_STATUS(&rep, "200 OK");
	ASSERT_HEADER(&rep, "Content-Length", "13");
	done(&rep);
	ask(&rep, self->root_fd, both + strlen(first));
	ASSERT_EQ((ssize_t)strlen(second), rep.ret);
	ASSERT_STATUS(&rep, "404 Not Found");

	/* The second still incomplete: the first is answered anyway. */
	ask_len(&rep, self->root_fd, both, strlen(first) + 5);
	ASSERT_EQ((ssize_t)strlen(first), rep.ret);
	done(&rep);
}

TEST_F(root, incremental)
{
	const char *text = "\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n"
			   "Connection: keep-alive\r\n\r\n";
	size_t i, len = strlen(text);
	struct reply rep;

	for (i = 0; i < len; i++) {
		ask_len(&rep, self->root_fd, text, i);
		ASSERT_EQ(0, rep.ret) TH_LOG("after %zu of %zu bytes", i, len);
		ASSERT_EQ(-1, rep.r.file_fd);
	}
	ask_len(&rep, self->root_fd, text, len);
	ASSERT_EQ((ssize_t)len, rep.ret);
	ASSERT_STATUS(&rep, "200 OK");
	done(&rep);
}

/* xorshift64: the same mutations on every run. */
static uint64_t fuzz_state = 0x6b746c7364ULL;

static uint64_t fuzz_next(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return fuzz_state;
}

/* One random edit of @buf (@len bytes, room for @size). */
static size_t mutate(char *buf, size_t len, size_t size)
{
	static const char * const pieces[] = {
		"\r\n", "\r", "\n", "%", "%2e", "..", "/", " ", ":", "\0",
		"Range: bytes=", "Host: t\r\n", "Content-Length: 1\r\n",
		"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
		"-", ",", "\t", "\xff", "HTTP/1.0",
	};
	size_t pos = len ? fuzz_next() % len : 0;
	const char *piece;
	size_t piece_len;

	switch (fuzz_next() % 5) {
	case 0:		/* flip a byte */
		if (len)
			buf[pos] = fuzz_next();
		return len;
	case 1:		/* delete a run */
		piece_len = fuzz_next() % 8;
		if (piece_len > len - pos)
			piece_len = len - pos;
		memmove(buf + pos, buf + pos + piece_len, len - pos - piece_len);
		return len - piece_len;
	case 2:		/* truncate */
		return pos;
	default:	/* insert a piece that matters to HTTP */
		piece = pieces[fuzz_next() % (sizeof(pieces) / sizeof(pieces[0]))];
		piece_len = *piece ? strlen(piece) : 1;
		if (len + piece_len > size)
			return len;
		memmove(buf + pos + piece_len, buf + pos, len - pos);
		memcpy(buf + pos, piece, piece_len);
		return len + piece_len;
	}
}

static bool sane_status(int status)
{
	static const int known[] = {
		200, 206, 301, 304, 400, 403, 404, 405, 413, 414, 416, 431,
		505,
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (status == known[i])
			return true;
	return false;
}

TEST_F(root, fuzz)
{
	static const char * const seeds[] = {
		GET("/hello.txt"),
		HEAD("/site/"),
		"GET /data.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=10-20\r\n\r\n",
		"GET /%2e%2e/outside.txt?q=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"GET /link.txt HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: "
		HELLO_DATE "\r\n\r\n" GET("/data.bin"),
	};
	int canary_fd, iteration, edits;
	char buf[1024], status[16];
	struct reply rep;
	size_t len;

	canary_fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, canary_fd);
	close(canary_fd);
	for (iteration = 0; iteration < 5000; iteration++) {
		len = strlen(seeds[iteration % 5]);
		memcpy(buf, seeds[iteration % 5], len);
		for (edits = 1 + fuzz_next() % 4; edits; edits--)
			len = mutate(buf, len, sizeof(buf));
		ask_len(&rep, self->root_fd, buf, len);
		ASSERT_LE(0, rep.ret);
		ASSERT_GE((ssize_t)len, rep.ret);
		if (!rep.ret) {
			/* Waiting for more is only right below the bound. */
			ASSERT_GT((size_t)HTTP_MAX_HEAD, len);
			ASSERT_EQ(-1, rep.r.file_fd);
			continue;
		}
		ASSERT_TRUE(sane_status(rep.r.status))
			TH_LOG("status %d for iteration %d", rep.r.status,
			       iteration);
		ASSERT_GE(sizeof(rep.r.head), rep.r.head_len);
		snprintf(status, sizeof(status), "HTTP/1.1 %d ",
			 rep.r.status);
		ASSERT_EQ(0, strncmp(rep.head, status, strlen(status)));
		ASSERT_NE(NULL, strstr(rep.head, "\r\n\r\n"));
		if (rep.r.file_fd >= 0) {
			struct stat st;

			ASSERT_EQ(0, fstat(rep.r.file_fd, &st));
			ASSERT_LT(0U, rep.r.body_len);
			ASSERT_GE((uint64_t)st.st_size,
				  rep.r.body_offset + rep.r.body_len);
			done(&rep);
		} else {
			ASSERT_EQ(0U, rep.r.body_len);
		}
	}
	/* No descriptor leaked: the next free one is the same. */
	ASSERT_EQ(canary_fd, open("/dev/null", O_RDONLY));
	close(canary_fd);
}

TEST_HARNESS_MAIN
