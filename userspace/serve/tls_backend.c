// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS side of a connection, three ways:
 *  - in-process: libktls runs the handshake on the non-blocking socket,
 *    installs kernel TLS TX and RX, and drops the WolfSSL state: an idle
 *    connection keeps only the traffic secrets, for TLS 1.3 KeyUpdate;
 *  - ktlsd: the socket goes to the daemon, which hands it back with
 *    kernel TLS installed (the private key never enters this process);
 *  - userspace TLS, when the kernel has no kTLS: WolfSSL keeps the
 *    session and does every record. Said at start-up and in the status.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls/handoff.h"
#include "serve.h"

#define NO_KTLS_TEXT "this kernel has no kernel TLS (modprobe tls)"

/*
 * libktls asks the kernel (ktls_kernel_has_tls: -ENOENT, no kTLS; any
 * other failure to ask stops the start, saying why). Then --tls decides:
 * kernel refuses to start without it, userspace never uses it (to measure
 * WolfSSL's records on a kTLS kernel).
 */
int tls_detect(struct serve_config *cfg)
{
	int ret = ktls_kernel_has_tls();

	if (ret && ret != -ENOENT) {
		fprintf(stderr, "ktls-serve: %s\n", ktls_reason());
		return ret;
	}
	cfg->ktls = !ret;
	__builtin_cpu_init();
	cfg->aesni = __builtin_cpu_supports("aes");
	if (cfg->tls_choice == TLS_KERNEL && !cfg->ktls) {
		fprintf(stderr,
			"ktls-serve: --tls kernel: " NO_KTLS_TEXT "; load it, or use --tls auto to serve over userspace TLS\n");
		return -ENOENT;
	}
	/* Before Linux 6.14 a second TLS_TX fails (EBUSY): no KeyUpdate. */
	cfg->rekey = cfg->ktls && ktls_kernel_can_rekey() == 0;
	if (cfg->tls_choice == TLS_USERSPACE) {
		if (cfg->ktlsd_path) {
			fprintf(stderr,
				"ktls-serve: --tls userspace and --ktlsd exclude each other: ktlsd hands back sockets with kernel TLS installed\n");
			return -EINVAL;
		}
		cfg->ktls = false;
	}
	return 0;
}

const char *tls_mode_text(const struct serve_config *cfg)
{
	if (cfg->ktls && cfg->body == BODY_SPLICE)
		return "kTLS (splice)";
	if (cfg->ktls)
		return "kTLS (sendfile)";
	if (cfg->tls_choice == TLS_USERSPACE)
		return cfg->aesni ?
			       "userspace TLS (WolfSSL, AES-NI): --tls userspace" :
			       "userspace TLS (WolfSSL, no AES-NI on this CPU): --tls userspace";
	if (cfg->aesni)
		return "userspace TLS (WolfSSL, AES-NI): " NO_KTLS_TEXT;
	return "userspace TLS (WolfSSL, no AES-NI on this CPU): " NO_KTLS_TEXT;
}

int tls_setup(struct serve_config *cfg)
{
	struct ktls_config config = {
		.role = KTLS_ROLE_SERVER,
		.cert_file = cfg->cert_file,
		.key_file = cfg->key_file,
		.handshake_timeout_ms = cfg->handshake_timeout_ms,
		.ciphers = cfg->ciphers,
		.groups = cfg->groups,
	};
	int ret;

	if (cfg->ktlsd_path) {
		if (cfg->ciphers || cfg->groups) {
			fprintf(stderr,
				"ktls-serve: %s does not apply with --ktlsd: ktlsd's configuration chooses the suites and groups\n",
				cfg->ciphers ? "--ciphers" : "--groups");
			return -EINVAL;
		}
		if (!cfg->ktls) {
			fprintf(stderr,
				"ktls-serve: --ktlsd needs kernel TLS: the daemon hands back sockets with kTLS installed, and this kernel has none (modprobe tls). Without --ktlsd, ktls-serve serves over userspace TLS.\n");
			return -ENOENT;
		}
		return 0;
	}
	ret = tickets_init(cfg, &config);
	if (ret) {
		fprintf(stderr, "ktls-serve: cannot set up ticket keys: %s\n",
			strerror(-ret));
		return ret;
	}
	ret = ktls_ctx_new(&config, &cfg->tls);
	if (ret) {
		fprintf(stderr, "ktls-serve: %s\n", ktls_reason());
		tickets_free();
	}
	return ret;
}

int tls_begin(struct conn *c)
{
	const struct serve_config *cfg = c->w->cfg;
	struct ktls_handoff_request request = {
		.role = KTLS_ROLE_SERVER,
		.timeout_ms = cfg->handshake_timeout_ms,
	};

	if (cfg->ktlsd_path)
		return ktls_handoff_submit(cfg->ktlsd_path, c->fd, &request,
					   &c->handoff_fd);
	return ktls_handshake_start(cfg->tls, c->fd, &c->session);
}

static int handoff_step(struct conn *c)
{
	struct ktls_handoff_result result;
	struct io_uring_sqe *sqe;
	struct pollfd pfd = { .fd = c->handoff_fd, .events = POLLIN };
	int ret;

	/* ktlsd answers on the handoff socket; the ring tells us when. */
	if (poll(&pfd, 1, 0) == 0) {
		sqe = worker_sqe(c->w);
		io_uring_prep_poll_add(sqe, c->handoff_fd, POLLIN);
		worker_arm(c, sqe, OP_POLL);
		return STEP_WAIT;
	}
	ret = ktls_handoff_finish(c->handoff_fd, c->fd, &result);
	c->handoff_fd = -1;
	if (ret)
		return ret;
	c->ktls = true;
	return 0;
}

int tls_step(struct conn *c)
{
	int ret;

	if (c->w->cfg->ktlsd_path)
		return handoff_step(c);
	ret = ktls_handshake_step(c->session);
	if (ret == -EAGAIN)
		return conn_poll(c, ktls_session_wants(c->session));
	if (ret)
		return ret;
	if (ktls_session_resumed(c->session))
		STAT_ADD(c->w, resumed, 1);
	if (!c->w->cfg->ktls)
		return 0;
	ret = ktls_install(c->session, KTLS_TX | KTLS_RX);
	if (ret)
		return ret;
	/* From here the kernel holds the keys; drop WolfSSL's state. */
	ret = ktls_session_drop_handshake(c->session);
	if (ret)
		return ret;
	c->ktls = true;
	return 0;
}

short tls_wants(const struct conn *c, short events)
{
	short wants;

	if (c->ktls || !c->session)
		return events;
	/* WolfSSL may need to write while reading, or the reverse. */
	wants = ktls_session_wants(c->session);
	return wants ? wants : events;
}

/*
 * Requests are read with a poll on the ring, then ktls_recv_fd(): a plain
 * IORING_OP_RECV fails with EIO on the first non-data record (an alert, a
 * close_notify), which ktls_recv_fd() reads and acts on instead.
 */
ssize_t tls_read(struct conn *c, void *buf, size_t len)
{
	if (c->ktls && c->session)
		return ktls_recv(c->session, buf, len);
	if (c->ktls)
		return ktls_recv_fd(c->fd, buf, len);
	return ktls_tls_recv(c->session, buf, len);
}

/* The KeyUpdate a client asked for goes before our next record. */
int tls_key_update_due(struct conn *c)
{
	if (!c->ktls || !c->session)
		return 0;
	return ktls_flush_key_update(c->session);
}

/*
 * Our own KeyUpdate at the record limit: TLS 1.3, the secrets here (not
 * with ktlsd, which keeps them), and a kernel that takes a new TLS_TX.
 */
bool tls_can_update_keys(const struct conn *c)
{
	return c->ktls && c->session && c->w->cfg->rekey &&
	       !strcmp(ktls_session_version(c->session), "TLSv1.3");
}

int tls_update_keys(struct conn *c)
{
	return ktls_update_keys(c->session, false);
}

ssize_t tls_write(struct conn *c, const void *buf, size_t len, bool more)
{
	ssize_t n;

	if (!c->ktls)
		return ktls_tls_send(c->session, buf, len);
	/* MSG_MORE: the head shares its record with the body's start. */
	n = send(c->fd, buf, len,
		 MSG_DONTWAIT | MSG_NOSIGNAL | (more ? MSG_MORE : 0));
	return n < 0 ? -errno : n;
}

/*
 * A close_notify alert record; -EAGAIN while the socket has no room for
 * it (the caller polls and calls again). Userspace TLS too: without it an
 * OpenSSL client takes the end for an error and will not resume.
 */
int tls_close_notify(struct conn *c)
{
	if (!c->ktls)
		return c->session ? ktls_tls_close_notify(c->session) : 0;
	return ktls_close_notify_fd(c->fd);
}

void tls_end(struct conn *c)
{
	ktls_session_free(c->session);
	c->session = NULL;
	if (c->handoff_fd >= 0)
		close(c->handoff_fd);
	c->handoff_fd = -1;
}
