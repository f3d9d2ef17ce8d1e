// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel handshake upcall end to end: ktlsd_test_consumer.ko asks for a
 * TLS handshake on a kernel socket; this program plays ktlsd with libupcall
 * (upcall_accept, then upcall_serve: libktls handshake, kTLS install,
 * DONE); a libktls peer at the other end of the TCP connection exchanges
 * data with the consumer, which moves it through kernel TLS. On 6.1 the
 * family comes from our ktlsd_handshake.ko, on 6.12 and the newest kernel
 * from the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <keyutils.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "kselftest_harness.h"
#include "test_config.h"
#include "test_consumer.h"
#include "test_keys.h"
#include "upcall.h"

#define DATA_LEN (256u * 1024)

static int unload_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static bool have_our_family_module(void)
{
	return access(KMOD_DIR "/ktlsd_handshake.ko", F_OK) == 0;
}

static void hex(const uint8_t *digest, char out[65])
{
	for (int i = 0; i < DIGEST_LEN; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
}

/* The daemon: libupcall, the code ktlsd runs. */
enum driver_mode { DRIVER_SERVE, DRIVER_STALL };

struct driver {
	pthread_t thread;
	struct upcall *up;
	enum driver_mode mode;
	struct upcall_serve_config cfg;
	struct test_pki pki;
	atomic_bool accepted;
	atomic_bool release;
	int served;		/* upcall_serve's return, or upcall_accept's */
	struct upcall_req req;
	char reason[512];
};

static void *driver_main(void *arg)
{
	struct driver *d = arg;
	struct pollfd pfd = { .fd = upcall_fd(d->up), .events = POLLIN };
	int n = 0;

	d->served = -ETIMEDOUT;
	for (int waited = 0; !n && waited < 30; waited++) {
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = upcall_accept(d->up, &d->req, 1);
		if (n < 0) {
			d->served = n;
			snprintf(d->reason, sizeof(d->reason), "%s",
				 upcall_reason());
			return NULL;
		}
	}
	if (!n)
		return NULL;
	atomic_store(&d->accepted, true);
	if (d->mode == DRIVER_STALL) {
		while (!atomic_load(&d->release))
			usleep(10000);
		d->served = upcall_done(d->up, &d->req, ETIMEDOUT, NULL, 0);
	} else {
		d->served = upcall_serve(d->up, &d->req, &d->cfg);
	}
	snprintf(d->reason, sizeof(d->reason), "%s", upcall_reason());
	return NULL;
}

static int driver_start(struct driver *d, enum driver_mode mode,
			bool no_files)
{
	int ret;

	memset(d, 0, sizeof(*d));
	test_pki(&d->pki);
	d->mode = mode;
	d->cfg.ca_file = d->pki.ca;
	d->cfg.cert_file = d->pki.cert;
	d->cfg.key_file = d->pki.key;
	if (no_files) {
		d->cfg.cert_file = "/nonexistent";
		d->cfg.key_file = "/nonexistent";
	}
	d->cfg.server_name = "localhost";
	ret = upcall_open(&d->up);
	if (ret)
		return ret;
	ret = -pthread_create(&d->thread, NULL, driver_main, d);
	if (ret) {
		upcall_close(d->up);
		d->up = NULL;
	}
	return ret;
}

static void driver_join(struct driver *d)
{
	if (!d->up)
		return;
	atomic_store(&d->release, true);
	pthread_join(d->thread, NULL);
	upcall_close(d->up);
	d->up = NULL;
}

static bool wait_accepted(struct driver *d)
{
	for (int i = 0; i < 1000 && !atomic_load(&d->accepted); i++)
		usleep(10000);
	return atomic_load(&d->accepted);
}

/* The libktls peer: receive DATA_LEN, send DATA_LEN, wait for the close. */
struct peer_job {
	enum ktls_role role;
	int fd;			/* listener (server) */
	int port;		/* to connect to (client) */
};

static int peer_exchange(struct peer *peer)
{
	struct peer_job *job = peer->arg;
	struct ktls_session *session = NULL;
	struct stream stream;
	uint8_t buf[KTLS_RECV_MIN];
	int fd, ret;

	fd = job->role == KTLS_ROLE_SERVER ? accept(job->fd, NULL, NULL) :
					     consumer_peer_connect(job->port);
	if (fd < 0)
		return fd == -1 ? -errno : fd;
	ret = test_handshake(job->role, fd, KTLS_TX | KTLS_RX, &session);
	if (ret)
		goto out;
	ktls_stream(&stream, session);
	ret = stream_recv_digest(&stream, DATA_LEN, peer->received);
	if (!ret)
		ret = stream_send_random(&stream, DATA_LEN, peer->sent);
	/* Until the consumer's close_notify: nothing in flight is lost. */
	while (!ret && (ret = ktls_recv(session, buf, sizeof(buf))) > 0)
		;
out:
	ktls_session_free(session);
	close(fd);
	return ret;
}

FIXTURE(data)
{
	struct driver driver;
	struct peer peer;
	struct peer_job job;
	int32_t cert_key, priv_key;
};

FIXTURE_VARIANT(data)
{
	bool consumer_server;
	const char *auth;
	bool keyring;		/* server identity from key serials */
};

FIXTURE_VARIANT_ADD(data, client_anon)
{
	.consumer_server = false, .auth = "anon",
};

FIXTURE_VARIANT_ADD(data, server_x509_files)
{
	.consumer_server = true, .auth = "x509",
};

FIXTURE_VARIANT_ADD(data, server_x509_keyring)
{
	.consumer_server = true, .auth = "x509", .keyring = true,
};

static int32_t add_file_key(const char *desc, const char *path)
{
	return test_file_key(desc, path, KEY_SPEC_PROCESS_KEYRING);
}

FIXTURE_SETUP(data)
{
	int ret = load_modules();

	memset(&self->job, 0, sizeof(self->job));
	self->job.fd = -1;
	self->driver.up = NULL;
	if (ret == 1)
		SKIP(return, NO_KMOD);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(data)
{
	driver_join(&self->driver);
	if (self->job.fd >= 0)
		close(self->job.fd);
}

TEST_F_TIMEOUT(data, intact_through_ktls, 120)
{
	struct consumer_result res;
	long long tx_before = 0, tx_after = 0;
	char cmd[256], want_tx[65], want_rx[65], extra[64] = "";

	ASSERT_EQ(0, tls_stat("TlsTxSw", &tx_before));
	/*
	 * Keys first: a process keyring created now is in this thread's
	 * credentials, and the daemon thread inherits them when it starts.
	 */
	if (variant->keyring) {
		struct test_pki pki;

		test_pki(&pki);
		self->cert_key = add_file_key("ktlsd-test-cert", pki.cert);
		self->priv_key = add_file_key("ktlsd-test-key", pki.key);
		ASSERT_LT(0, self->cert_key);
		ASSERT_LT(0, self->priv_key);
		snprintf(extra, sizeof(extra), " cert=%d key=%d",
			 self->cert_key, self->priv_key);
	}
	/* With keys, no files: the keys must be what the daemon uses. */
	ASSERT_EQ(0, driver_start(&self->driver, DRIVER_SERVE,
				  variant->keyring)) {
		TH_LOG("%s", upcall_reason());
	}

	if (variant->consumer_server) {
		self->job.role = KTLS_ROLE_CLIENT;
		self->job.port = 20000 + getpid() % 20000;
		snprintf(cmd, sizeof(cmd), "server 127.0.0.1 %d auth=%s bytes=%u timeout=20000%s",
			 self->job.port, variant->auth, DATA_LEN, extra);
	} else {
		self->job.role = KTLS_ROLE_SERVER;
		self->job.fd = consumer_peer_listen(&self->job.port, 8);
		ASSERT_LE(0, self->job.fd);
		snprintf(cmd, sizeof(cmd), "client 127.0.0.1 %d auth=%s peername=localhost "
			 "bytes=%u timeout=20000%s",
			 self->job.port, variant->auth, DATA_LEN, extra);
	}
	ASSERT_EQ(0, peer_start(&self->peer, peer_exchange, &self->job));

	ASSERT_EQ(0, consumer_run(cmd, &res));
	driver_join(&self->driver);
	ASSERT_EQ(0, peer_join(&self->peer)) {
		TH_LOG("peer: %s; daemon: %s", self->peer.reason,
		       self->driver.reason);
	}
	ASSERT_EQ(0, self->driver.served) {
		TH_LOG("daemon: %s", self->driver.reason);
	}
	EXPECT_EQ((uint32_t)(variant->consumer_server ?
			     HANDSHAKE_MSG_TYPE_SERVERHELLO :
			     HANDSHAKE_MSG_TYPE_CLIENTHELLO),
		  self->driver.req.msg_type);
	if (!variant->consumer_server)
		EXPECT_STREQ("localhost", self->driver.req.peername);
	EXPECT_EQ(20000u, self->driver.req.timeout_ms);

	ASSERT_EQ(0, res.status) {
		TH_LOG("consumer stopped at %s", res.stage);
	}
	EXPECT_STREQ("ok", res.stage);
	EXPECT_EQ(DATA_LEN, res.sent);
	EXPECT_EQ(DATA_LEN, res.received);
	hex(self->peer.received, want_tx);
	hex(self->peer.sent, want_rx);
	EXPECT_STREQ(want_tx, res.tx);
	EXPECT_STREQ(want_rx, res.rx);

	/* The consumer's socket and the peer's: both in kernel TLS. */
	ASSERT_EQ(0, tls_stat("TlsTxSw", &tx_after));
	EXPECT_LE(tx_before + 2, tx_after);
}

FIXTURE(upcall)
{
	struct driver driver;
	int lfd, port;
};

FIXTURE_SETUP(upcall)
{
	int ret = load_modules();

	self->driver.up = NULL;
	self->lfd = -1;
	if (ret == 1)
		SKIP(return, NO_KMOD);
	ASSERT_EQ(0, ret);
	/* A peer that never answers the ClientHello. */
	self->lfd = consumer_peer_listen(&self->port, 8);
	ASSERT_LE(0, self->lfd);
}

FIXTURE_TEARDOWN(upcall)
{
	driver_join(&self->driver);
	if (self->lfd >= 0)
		close(self->lfd);
}

/* Nobody listens on the tlshd group: the kernel refuses at once. */
TEST_F(upcall, no_daemon_esrch)
{
	struct consumer_result res;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "client 127.0.0.1 %d auth=anon", self->port);
	ASSERT_EQ(0, consumer_run(cmd, &res));
	EXPECT_EQ(-ESRCH, res.status);
	EXPECT_STREQ("submit", res.stage);
}

/* The daemon accepts and never answers: the consumer's own timeout. */
TEST_F(upcall, daemon_stalls_etimedout)
{
	struct consumer_result res;
	char cmd[128];

	ASSERT_EQ(0, driver_start(&self->driver, DRIVER_STALL, false)) {
		TH_LOG("%s", upcall_reason());
	}
	snprintf(cmd, sizeof(cmd), "client 127.0.0.1 %d auth=anon timeout=1500",
		 self->port);
	ASSERT_EQ(0, consumer_run(cmd, &res));
	EXPECT_TRUE(atomic_load(&self->driver.accepted));
	EXPECT_EQ(-ETIMEDOUT, res.status);
	EXPECT_STREQ("handshake", res.stage);
	EXPECT_EQ(1500u, self->driver.req.timeout_ms);
}

/* A request the daemon cannot serve gets a deliberate status. */
TEST_F(upcall, unsupported_request_status)
{
	struct consumer_result res;
	char cmd[128];

	ASSERT_EQ(0, driver_start(&self->driver, DRIVER_SERVE, false)) {
		TH_LOG("%s", upcall_reason());
	}
	snprintf(cmd, sizeof(cmd), "client 127.0.0.1 %d auth=x509 timeout=5000",
		 self->port);
	ASSERT_EQ(0, consumer_run(cmd, &res));
	/* An x509 client with no key serials and no client certificate. */
	EXPECT_EQ(-ENOKEY, res.status);
	EXPECT_STREQ("handshake", res.stage);
	driver_join(&self->driver);
	EXPECT_EQ(ENOKEY, self->driver.served);
	EXPECT_NE(NULL, strstr(self->driver.reason,
			       "needs a configured client certificate"));
}

struct consumer_thread {
	pthread_t thread;
	char cmd[128];
	int ret;
	struct consumer_result res;
};

static void *consumer_main(void *arg)
{
	struct consumer_thread *c = arg;

	c->ret = consumer_run(c->cmd, &c->res);
	return NULL;
}

/*
 * Unload with a request in flight: the consumer withdraws it; on 6.1 our
 * family module refuses to go while the consumer uses it, then goes
 * cleanly. run-vm.sh fails the run on any BUG/WARNING/Oops.
 */
TEST_F_TIMEOUT(upcall, rmmod_in_flight, 60)
{
	struct consumer_thread c = {};
	struct timespec t0, t1;

	ASSERT_EQ(0, driver_start(&self->driver, DRIVER_STALL, false)) {
		TH_LOG("%s", upcall_reason());
	}
	snprintf(c.cmd, sizeof(c.cmd), "client 127.0.0.1 %d auth=anon timeout=30000",
		 self->port);
	ASSERT_EQ(0, pthread_create(&c.thread, NULL, consumer_main, &c));
	ASSERT_TRUE(wait_accepted(&self->driver));

	/* In use by the consumer (its symbols): "get rid of it first". */
	if (have_our_family_module())
		EXPECT_EQ(-EWOULDBLOCK, unload_module("ktlsd_handshake"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(0, unload_module("ktlsd_test_consumer"));
	pthread_join(c.thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Withdrawn at once, not after its 30 s timeout. */
	EXPECT_GT(5, t1.tv_sec - t0.tv_sec);
	if (have_our_family_module())
		EXPECT_EQ(0, unload_module("ktlsd_handshake"));

	/*
	 * The daemon's late DONE must not reach freed memory. Its answer
	 * differs: Linux keeps a cancelled request until the socket dies
	 * and says 0; ktlsd_handshake.ko has forgotten it (-EBUSY), or is
	 * gone.
	 */
	driver_join(&self->driver);
	EXPECT_EQ(0, load_modules());
}

/*
 * A DONE as any daemon could send it: SOCKFD @sockfd, STATUS @status
 * unless NULL. The kernel's answer: 0 or -errno.
 */
static int raw_done(const struct upcall *up, int sockfd,
		    const uint32_t *status)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct genlmsghdr *genl;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	unsigned int portid;
	ssize_t n;
	int ret;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = upcall_caps(up)->family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = HANDSHAKE_CMD_DONE;
	genl->version = HANDSHAKE_FAMILY_VERSION;
	mnl_attr_put_u32(nlh, HANDSHAKE_A_DONE_SOCKFD, (uint32_t)sockfd);
	if (status)
		mnl_attr_put_u32(nlh, HANDSHAKE_A_DONE_STATUS, *status);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		ret = -errno;
	else
		ret = mnl_cb_run(buf, n, 1, portid, NULL, NULL) < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

/* Wait for a READY on @up (10 s at most) without taking the request. */
static bool wait_ready(struct upcall *up)
{
	struct pollfd pfd = { .fd = upcall_fd(up), .events = POLLIN };

	return poll(&pfd, 1, 10000) == 1;
}

/* ACCEPT one request within 10 s: 1, or what upcall_accept() said. */
static int accept_within(struct upcall *up, struct upcall_req *req)
{
	int n = 0;

	for (int i = 0; !n && i < 10 && wait_ready(up); i++)
		n = upcall_accept(up, req, 1);
	/* Linux 6.12.117 took its socket reference after READY. */
	usleep(UPCALL_REFUSE_DELAY_MS * 1000);
	return n;
}

/* The daemon's side by hand: a consumer request, raw DONEs for it. */
FIXTURE(done)
{
	struct upcall *up;
	struct upcall_req req;
	struct consumer_thread c;
	bool consumer;
	int lfd, port;
};

FIXTURE_SETUP(done)
{
	int ret = load_modules();

	self->up = NULL;
	self->consumer = false;
	self->lfd = -1;
	self->req.sockfd = -1;
	if (ret == 1)
		SKIP(return, NO_KMOD);
	ASSERT_EQ(0, ret);
	self->lfd = consumer_peer_listen(&self->port, 8);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, upcall_open(&self->up)) {
		TH_LOG("%s", upcall_reason());
	}
}

FIXTURE_TEARDOWN(done)
{
	if (self->consumer)
		pthread_join(self->c.thread, NULL);
	if (self->req.sockfd >= 0)
		close(self->req.sockfd);
	if (self->up)
		upcall_close(self->up);
	if (self->lfd >= 0)
		close(self->lfd);
}

static int start_consumer(struct consumer_thread *c, const char *cmd)
{
	snprintf(c->cmd, sizeof(c->cmd), "%s", cmd);
	return -pthread_create(&c->thread, NULL, consumer_main, c);
}

/* Wait for the consumer to end; its result in self->c. */
#define JOIN_CONSUMER() do {					\
	pthread_join(self->c.thread, NULL);			\
	self->consumer = false;					\
	ASSERT_EQ(0, self->c.ret);				\
} while (0)

/* Linux answers a DONE without STATUS with -EIO; never success. */
TEST_F_TIMEOUT(done, without_status_is_eio, 60)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "client 127.0.0.1 %d auth=anon timeout=20000",
		 self->port);
	ASSERT_EQ(0, start_consumer(&self->c, cmd));
	self->consumer = true;
	ASSERT_EQ(1, accept_within(self->up, &self->req));

	EXPECT_EQ(0, raw_done(self->up, self->req.sockfd, NULL));
	JOIN_CONSUMER();
	EXPECT_EQ(-EIO, self->c.res.status);
	EXPECT_STREQ("handshake", self->c.res.stage);
}

/*
 * STATUS is a positive errno: above MAX_ERRNO (4095) the DONE is refused
 * with -ERANGE, as Linux's policy does, and the request waits for a valid
 * one; the consumer never sees -4096 or INT_MIN as its status.
 */
TEST_F_TIMEOUT(done, status_above_max_errno_refused, 60)
{
	const uint32_t huge = 0x80000000u, above = 4096, eacces = EACCES;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "client 127.0.0.1 %d auth=anon timeout=20000",
		 self->port);
	ASSERT_EQ(0, start_consumer(&self->c, cmd));
	self->consumer = true;
	ASSERT_EQ(1, accept_within(self->up, &self->req));

	EXPECT_EQ(-ERANGE, raw_done(self->up, self->req.sockfd, &above));
	EXPECT_EQ(-ERANGE, raw_done(self->up, self->req.sockfd, &huge));
	EXPECT_EQ(0, raw_done(self->up, self->req.sockfd, &eacces));
	JOIN_CONSUMER();
	EXPECT_EQ(-EACCES, self->c.res.status);
	EXPECT_STREQ("handshake", self->c.res.stage);
}

/*
 * Only the daemon that ACCEPTed a request may end it: a DONE for one still
 * queued is refused with -EINVAL and the request stays for the daemon
 * that takes it. Linux has no such check (it would complete it), so this
 * runs where ktlsd_handshake.ko provides the family.
 */
TEST_F_TIMEOUT(done, before_accept_refused, 60)
{
	const uint32_t ok = 0, eacces = EACCES;
	char cmd[128];
	int fd;

	if (!have_our_family_module())
		SKIP(return, "Linux's net/handshake completes a DONE for a request never accepted");
	fd = consumer_peer_connect(self->port);
	ASSERT_LE(0, fd);
	snprintf(cmd, sizeof(cmd), "attach %d auth=anon timeout=20000", fd);
	ASSERT_EQ(0, start_consumer(&self->c, cmd));
	self->consumer = true;
	ASSERT_TRUE(wait_ready(self->up));

	/* We hold the socket, but never accepted its request. */
	EXPECT_EQ(-EINVAL, raw_done(self->up, fd, &ok));
	/* Still queued: the daemon takes it and answers. */
	ASSERT_EQ(1, accept_within(self->up, &self->req));
	EXPECT_EQ(0, raw_done(self->up, self->req.sockfd, &eacces));
	JOIN_CONSUMER();
	close(fd);
	EXPECT_EQ(-EACCES, self->c.res.status);
	EXPECT_STREQ("handshake", self->c.res.stage);
}

/*
 * A network namespace dies with a request nobody accepted: it ends at
 * once with -ETIMEDOUT (as Linux's handshake_net_exit), not after the
 * consumer's own 30 s timeout with the request listed meanwhile.
 */
TEST_F_TIMEOUT(done, netns_exit_ends_pending, 90)
{
	struct timespec t0, t1;
	char cmd[128], path[64], ch;
	int sync[2], nsfd, status;
	pid_t pid;

	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct upcall *up;

		/* A daemon of the new namespace: READY needs a listener. */
		close(sync[0]);
		if (unshare(CLONE_NEWNET) || upcall_open(&up))
			_exit(1);
		if (write(sync[1], "1", 1) != 1 || !wait_ready(up))
			_exit(2);
		/* Seen, not taken: then the namespace's last process goes. */
		_exit(write(sync[1], "2", 1) == 1 ? 0 : 3);
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &ch, 1));
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, nsfd);
	snprintf(cmd, sizeof(cmd), "park auth=anon netns=%d timeout=30000", nsfd);
	ASSERT_EQ(0, start_consumer(&self->c, cmd));
	self->consumer = true;

	ASSERT_EQ(1, read(sync[0], &ch, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	close(sync[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	close(nsfd);		/* the namespace's last reference */
	JOIN_CONSUMER();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_EQ(-ETIMEDOUT, self->c.res.status);
	EXPECT_STREQ("handshake", self->c.res.stage);
	EXPECT_GT(15, t1.tv_sec - t0.tv_sec);
}

TEST_HARNESS_MAIN
