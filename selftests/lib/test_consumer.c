// SPDX-License-Identifier: GPL-2.0-or-later
/* Driving kmod/'s test consumer (see test_consumer.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "test_consumer.h"

int load_module(const char *name)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), KMOD_DIR "/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0);
	ret = ret && errno != EEXIST ? -errno : 0;
	close(fd);
	return ret;
}

int load_modules(void)
{
	struct utsname u;
	int ret;

	if (access(KMOD_DIR "/ktlsd_test_consumer.ko", F_OK)) {
		uname(&u);
		return atoi(u.release) >= 7 ? 1 : -ENOENT;
	}
	if (!access(KMOD_DIR "/ktlsd_handshake.ko", F_OK)) {
		ret = load_module("ktlsd_handshake");
		if (ret)
			return ret;
	}
	return load_module("ktlsd_test_consumer");
}

int consumer_run(const char *cmd, struct consumer_result *res)
{
	char line[512];
	ssize_t n;
	int fd;

	memset(res, 0, sizeof(*res));
	fd = open(CONSUMER, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) < 0) {
		close(fd);
		return -errno;
	}
	n = pread(fd, line, sizeof(line) - 1, 0);
	close(fd);
	if (n <= 0)
		return n ? -errno : -EIO;
	line[n] = '\0';
	if (sscanf(line, "status=%d stage=%31s sent=%zu received=%zu peerid=%d tx=%64s rx=%64s",
		   &res->status, res->stage, &res->sent, &res->received,
		   &res->peerid, res->tx, res->rx) != 7)
		return -EPROTO;
	return 0;
}

int consumer_peer_listen(int *port, int backlog)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, len) || listen(fd, backlog) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		close(fd);
		return -errno;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

int consumer_peer_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	/* The consumer listens once its command is written: retry. */
	for (int i = 0; i < 1000; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return fd;
		close(fd);
		usleep(10000);
	}
	return -ECONNREFUSED;
}
