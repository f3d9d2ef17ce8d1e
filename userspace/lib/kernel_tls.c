// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Whether this kernel has kernel TLS (ktls.h), asked the cheapest way:
 * the tls upper layer protocol is looked up (and its module loaded) before
 * it checks the socket, so a socket that is not connected is refused with
 * ENOTCONN when kTLS exists and ENOENT when it does not. No connection, so
 * it works in a network namespace whose loopback is down.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls_internal.h"

int ktls_kernel_has_tls(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0) {
		ret = -errno;
		return __ktls_fail(ret, "cannot probe for kernel TLS: socket: %s",
				 strerror(-ret));
	}
	ret = setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) ? -errno :
									0;
	close(fd);
	if (ret == -ENOTCONN || !ret)
		return 0;
	if (ret == -ENOENT)
		return __ktls_fail(-ENOENT,
				 "this kernel has no kernel TLS: load the tls module (modprobe tls; the kernel needs CONFIG_TLS)");
	return __ktls_fail(ret, "cannot probe for kernel TLS: TCP_ULP: %s",
			 strerror(-ret));
}
