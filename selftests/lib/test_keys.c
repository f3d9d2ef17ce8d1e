// SPDX-License-Identifier: GPL-2.0-or-later
/* Kernel keys for the upcall tests (test_keys.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test_keys.h"

int32_t test_file_key(const char *desc, const char *path, int32_t keyring)
{
	static char buf[16384];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return -1;
	return (int32_t)syscall(SYS_add_key, "user", desc, buf, (size_t)n,
				keyring);
}

int test_proc_keys_field(int32_t serial, int field, char *out, size_t len)
{
	char line[1024], hex[16], *tok, *save = NULL;
	FILE *f = fopen("/proc/keys", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	snprintf(hex, sizeof(hex), "%08x ", (unsigned int)serial);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, hex, strlen(hex)))
			continue;
		line[strcspn(line, "\n")] = '\0';
		tok = strtok_r(line, " ", &save);
		for (int i = 0; tok && i < field && i < 8; i++)
			tok = strtok_r(NULL, field == 8 && i == 7 ? "" : " ",
				       &save);
		if (tok) {
			snprintf(out, len, "%s", tok);
			ret = 0;
		}
		break;
	}
	fclose(f);
	return ret;
}

int test_keyring_size(int32_t serial)
{
	char desc[256], *colon;

	if (test_proc_keys_field(serial, 8, desc, sizeof(desc)))
		return -1;
	colon = strrchr(desc, ':');
	if (!colon)
		return -1;
	return strcmp(colon, ": empty") ? atoi(colon + 1) : 0;
}
