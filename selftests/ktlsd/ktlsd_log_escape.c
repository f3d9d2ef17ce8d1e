// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd's log with peer-controlled text (issue 11, finding 6): a handoff
 * whose server name carries a newline, a forged log line and terminal
 * escapes is logged with them as \xNN (userspace/ktlsd/log.c through
 * __ktls_printable()); no control byte but the line ends reaches the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "ktls/handoff.h"
#include "lib/daemon.h"

#define EVIL "evil\nktlsd: info: forged\x1b[2J\x1b]0;owned\a"
#define EVIL_ESCAPED \
	"evil\\x0aktlsd: info: forged\\x1b[2J\\x1b]0;owned\\x07"

static int read_all(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

TEST(server_name_logged_escaped)
{
	struct ktls_handoff_request req = {
		.role = KTLS_ROLE_CLIENT,
		.server_name = EVIL,
		.timeout_ms = 1000,
	};
	struct ktls_handoff_result result;
	int client_fd, server_fd, handoff_fd, n, i;
	static char log[1 << 16];
	struct daemon d;

	ASSERT_EQ(0, daemon_init(&d));
	ASSERT_EQ(0, daemon_write_config(&d, "1s", NULL));
	ASSERT_EQ(0, daemon_start(&d)) TH_LOG("ktlsd did not start");
	ASSERT_EQ(0, tcp_pair(&client_fd, &server_fd));
	ASSERT_EQ(0, ktls_handoff_submit(d.sock, client_fd, &req,
					 &handoff_fd));
	/* No server speaks TLS on the other end: it fails, that is fine. */
	ktls_handoff_finish(handoff_fd, client_fd, &result);
	EXPECT_EQ(0, daemon_wait_log(&d, EVIL_ESCAPED, 5000));
	n = read_all(d.log, log, sizeof(log));
	EXPECT_LT(0, n);
	EXPECT_EQ(NULL, strstr(log, "\nktlsd: info: forged")) TH_LOG("%s", log);
	for (i = 0; i < n; i++)
		EXPECT_TRUE(log[i] == '\n' || (log[i] >= 0x20 && log[i] < 0x7f))
			TH_LOG("byte 0x%02x at %d", (unsigned char)log[i], i);
	close(client_fd);
	close(server_fd);
	daemon_stop(&d);
	daemon_cleanup(&d);
}

TEST_HARNESS_MAIN
