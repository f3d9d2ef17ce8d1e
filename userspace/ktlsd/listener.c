// SPDX-License-Identifier: GPL-2.0-or-later
/* The handoff socket (ktlsd.conf [handoff]) and the kernel TLS probe. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"

#define HANDOFF_BACKLOG 1024

/* Is something accepting at @addr? Then it is not ours to remove. */
static int remove_stale(const struct sockaddr_un *addr, char *err,
			size_t err_len)
{
	struct stat st;
	int fd, ret;

	if (lstat(addr->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, err_len,
			 "%s exists and is not a socket: remove it or set [handoff] path",
			 addr->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	if (!ret) {
		snprintf(err, err_len,
			 "%s: another ktlsd is listening there (stop it, or set another [handoff] path)",
			 addr->sun_path);
		return -EADDRINUSE;
	}
	if (unlink(addr->sun_path) && errno != ENOENT) {
		ret = -errno;	/* before snprintf can change it */
		snprintf(err, err_len, "cannot remove stale socket %s: %s",
			 addr->sun_path, strerror(-ret));
		return ret;
	}
	return 0;
}

/* The [handoff] limits bound its fds: say so if the fd limit is lower. */
static void check_fd_bound(const struct ktlsd_config *c)
{
	long long bound = (long long)c->handoff_max_unrequested +
			  2LL * (c->handoff_max_waiting +
				 c->handoff_max_in_flight) + 64;
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) || lim.rlim_cur == RLIM_INFINITY ||
	    (long long)lim.rlim_cur >= bound)
		return;
	log_warning("RLIMIT_NOFILE is %llu but the [handoff] limits allow about %lld fds (max_unrequested + 2 x (max_waiting + max_in_flight)): under load handoffs will fail with EMFILE; raise LimitNOFILE or lower them",
		    (unsigned long long)lim.rlim_cur, bound);
}

int ktlsd_listen(const struct ktlsd_config *config, int *out, char *err,
		 size_t err_len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *path = config->handoff_path;
	mode_t old_umask;
	int fd, ret;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	ret = remove_stale(&addr, err, err_len);
	if (ret) {
		if (!*err)
			snprintf(err, err_len, "%s: %s", path, strerror(-ret));
		return ret;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;	/* before snprintf can change it */
		snprintf(err, err_len, "socket: %s", strerror(-ret));
		return ret;
	}
	/* Nobody may connect before the mode and group are right. */
	old_umask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (ret) {
		ret = -errno;
		snprintf(err, err_len, "cannot bind %s: %s%s", path,
			 strerror(errno),
			 errno == ENOENT ? " (create its directory)" : "");
		goto close_fd;
	}
	if (config->handoff_group_set &&
	    chown(path, (uid_t)-1, config->handoff_group)) {
		ret = -errno;
		snprintf(err, err_len, "cannot give %s to group %u: %s", path,
			 (unsigned int)config->handoff_group, strerror(errno));
		goto unlink_path;
	}
	if (chmod(path, config->handoff_mode) ||
	    listen(fd, HANDOFF_BACKLOG)) {
		ret = -errno;
		snprintf(err, err_len, "cannot set up %s: %s", path,
			 strerror(errno));
		goto unlink_path;
	}
	check_fd_bound(config);
	if (!config->nr_allow)
		log_warning("%s has no [allow uid|gid ...] section: every process that can connect to %s may run server handshakes with the private key and read the traffic keys of those connections (ktlsd.conf(5), ACCESS POLICY)",
			    config->path, path);
	*out = fd;
	return 0;

unlink_path:
	unlink(path);
close_fd:
	close(fd);
	return ret;
}
