// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A kernel without the tls module: the handshake still completes, and the
 * switch fails with -ENOENT and a reason that tells the user what to do,
 * leaving the socket as it was. Runs natively (our build hosts have no
 * CONFIG_TLS) and in the VM before any module is loaded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_config.h"

#define NO_TLS_REASON \
	"kernel TLS unavailable: the tls module is not loaded " \
	"(run 'modprobe tls'; the kernel needs CONFIG_TLS)"

static int server_install(struct peer *peer)
{
	struct ktls_session *session = NULL;
	int ret;

	ret = test_handshake(KTLS_ROLE_SERVER, *(int *)peer->arg, 0,
			     &session);
	if (ret)
		return ret;
	ret = ktls_install(session, KTLS_TX | KTLS_RX);
	ktls_session_free(session);
	return ret;
}

TEST(install_fails_with_reason)
{
	struct ktls_session *client;
	int client_fd, server_fd, ret;
	struct peer server;
	char ulp[16] = "unchanged";
	socklen_t len = sizeof(ulp);

	if (access("/proc/net/tls_stat", F_OK) == 0)
		SKIP(return,
		     "the tls module is loaded; this test needs a kernel without it");
	ASSERT_EQ(0, tcp_pair(&client_fd, &server_fd));
	ASSERT_EQ(0, peer_start(&server, server_install, &server_fd));

	ret = test_handshake(KTLS_ROLE_CLIENT, client_fd, 0, &client);
	ASSERT_EQ(0, ret) TH_LOG("handshake: %s", ktls_reason());
	EXPECT_EQ(-ENOENT, ktls_install(client, KTLS_TX | KTLS_RX));
	EXPECT_STREQ(NO_TLS_REASON, ktls_reason());

	EXPECT_EQ(-ENOENT, peer_join(&server));
	EXPECT_STREQ(NO_TLS_REASON, server.reason);

	/* Nothing was attached: the socket is a plain TCP socket still. */
	ASSERT_EQ(0, getsockopt(client_fd, SOL_TCP, TCP_ULP, ulp, &len));
	EXPECT_EQ(0U, len);

	ktls_session_free(client);
	close(client_fd);
	close(server_fd);
}

/* The probe agrees with the kernel: no tls module here, so -ENOENT. */
TEST(kernel_has_tls_says_enoent)
{
	if (access("/proc/net/tls_stat", F_OK) == 0)
		SKIP(return,
		     "the tls module is loaded; this test needs a kernel without it");
	EXPECT_EQ(-ENOENT, ktls_kernel_has_tls());
	EXPECT_NE(NULL, strstr(ktls_reason(), "modprobe tls"))
		TH_LOG("%s", ktls_reason());
}

/*
 * A socket without kernel TLS TX gets no close_notify from
 * ktls_close_notify_fd(): the two bytes would reach the peer as plain
 * data. Runs on any kernel.
 */
TEST(close_notify_fd_refuses_a_plain_socket)
{
	int client_fd, server_fd;
	char byte;

	ASSERT_EQ(0, tcp_pair(&client_fd, &server_fd));
	EXPECT_EQ(-EINVAL, ktls_close_notify_fd(client_fd));
	EXPECT_NE(NULL, strstr(ktls_reason(), "no kernel TLS TX"))
		TH_LOG("%s", ktls_reason());
	EXPECT_EQ(-1, recv(server_fd, &byte, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	close(client_fd);
	close(server_fd);
}

TEST_HARNESS_MAIN
