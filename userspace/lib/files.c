// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every certificate, key and trust store libktls loads is read here, into
 * memory it wipes afterwards, either from the file system or through the
 * caller's read_file hook (a sandboxed process that can no longer open the
 * files serves the copies it read before).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktls_internal.h"

/* PEM files are small; a larger one is a mistake (or /dev/zero). */
#define KTLS_MAX_FILE_SIZE (16 << 20)

int ktls_read_file(const char *what, const char *path, uint8_t **data,
		   size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = errno;
		return __ktls_fail(-err, "cannot read %s %s: %s", what, path,
				 strerror(err));
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > KTLS_MAX_FILE_SIZE) {
		close(fd);
		return __ktls_fail(-EINVAL, "%s %s is not a regular file of at most %d bytes",
				 what, path, KTLS_MAX_FILE_SIZE);
	}
	/* One byte more than its size: WolfSSL's PEM reader wants a NUL. */
	buf = calloc(1, (size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return __ktls_fail(-ENOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	err = errno;
	close(fd);
	if (got != (size_t)st.st_size) {
		ktls_file_free(buf, (size_t)st.st_size);
		return __ktls_fail(-EIO, "cannot read %s %s: %s", what, path,
				 got ? "it changed while read" : strerror(err));
	}
	*data = buf;
	*len = got;
	return 0;
}

int __ktls_read_config_file(const struct ktls_config *config, const char *what,
			    const char *path, uint8_t **data, size_t *len)
{
	int ret;

	if (!config->read_file)
		return ktls_read_file(what, path, data, len);
	ret = config->read_file(config->read_file_arg, path, data, len);
	if (ret)
		return __ktls_fail(ret, "cannot read %s %s: %s", what, path,
				 strerror(-ret));
	return 0;
}

void ktls_file_free(uint8_t *data, size_t len)
{
	if (!data)
		return;
	explicit_bzero(data, len);
	free(data);
}
