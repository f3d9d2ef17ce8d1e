// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A secret file (a private key PEM) read into memory of its own: pages
 * that stay out of core dumps and, where RLIMIT_MEMLOCK allows, out of
 * swap, and are wiped before they go back. WolfSSL's file loaders read
 * into a stack buffer (or stdio's) that nothing wipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktls_internal.h"

/* Far above any PEM key (RSA-16384 is about 12 KiB). */
#define SECRET_FILE_MAX (1024 * 1024)

static size_t mapping_len(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page) / page * page;	/* room for a final NUL */
}

static void unmap_secret(uint8_t *map, size_t map_len)
{
	explicit_bzero(map, map_len);
	munlock(map, map_len);
	munmap(map, map_len);
}

int __ktls_read_secret_file(const char *what, const char *path, uint8_t **buf,
			    size_t *len)
{
	size_t map_len, got = 0;
	struct stat st;
	uint8_t *map;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return __ktls_fail(-err, "cannot read %s %s: %s", what, path,
				 strerror(err));
	}
	if (fstat(fd, &st)) {
		err = errno;
		close(fd);
		return __ktls_fail(-err, "cannot read %s %s: %s", what, path,
				 strerror(err));
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > SECRET_FILE_MAX) {
		close(fd);
		return __ktls_fail(-EINVAL, "%s %s: not a regular file of 1 to %d bytes",
				 what, path, SECRET_FILE_MAX);
	}
	map_len = mapping_len((size_t)st.st_size);
	map = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return __ktls_fail(-ENOMEM, "%s %s: out of memory", what, path);
	}
	if (madvise(map, map_len, MADV_DONTDUMP)) {
		err = errno;
		goto unmap;
	}
	/* Best effort: an unprivileged RLIMIT_MEMLOCK may be too small. */
	(void)mlock(map, map_len);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, map + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			goto unmap;
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = map;
	*len = got;
	return 0;

unmap:
	unmap_secret(map, map_len);
	close(fd);
	return __ktls_fail(-err, "cannot read %s %s: %s", what, path,
			 strerror(err));
}

void __ktls_secret_free(uint8_t *buf, size_t len)
{
	if (buf)
		unmap_secret(buf, mapping_len(len));
}
