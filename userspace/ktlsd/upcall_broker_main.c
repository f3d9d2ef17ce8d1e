// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The upcall broker process, ktlsd-upcall (upcall_broker.h): root with
 * CAP_NET_ADMIN alone, undumpable, Landlock with no key file, its own
 * seccomp filter. One thread: poll the monitor, the kernel's READY
 * notifications, the worker's jobs channel and every request's channel.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <keyutils.h>

#include "generation.h"
#include "log.h"
#include "psk_keyring.h"
#include "ktls/signer.h"
#include "sandbox.h"
#include "upcall_broker.h"
#include "worker.h"

#define UPCALLS_PER_WAKE 64
/* How long past its own timeout the worker may take to report. */
#define BROKER_GRACE_MS 5000
#define DEFAULT_TIMEOUT_MS 10000

static struct upcall *upcall;

int ktlsd_upcall_open(const struct ktlsd_config *config, struct upcall **up,
		      char *err, size_t err_len)
{
	const struct ktlsd_upcall_config *u = &config->upcall;
	int ret;

	*up = NULL;
	if (u->enable == KTLSD_UPCALL_NO)
		return 0;
	ret = upcall_open(up);
	if (!ret)
		return 0;
	if (ret == -ENOENT && u->enable == KTLSD_UPCALL_AUTO) {
		log_info("no kernel handshake upcalls here (no \"handshake\" netlink family: Linux >= 6.4 with CONFIG_NET_HANDSHAKE, or ktlsd_handshake.ko on 6.1): serving handoffs only");
		return 0;
	}
	if (ret == -ENOENT)
		snprintf(err, err_len,
			 "%s: upcalls are required (%s), but this kernel has no \"handshake\" netlink family: it needs Linux >= 6.4 with CONFIG_NET_HANDSHAKE, or on Linux 6.1 the ktlsd_handshake.ko module from kmod/ (insmod ktlsd_handshake.ko)",
			 config->path, u->from_tlshd ?
			 "tlshd's configuration" : "[upcall] enable = yes");
	else
		snprintf(err, err_len, "kernel handshake upcalls: %s",
			 upcall_reason());
	return ret;
}

/* Link each ';'-separated keyring name into our process keyring. */
static int link_keyrings(const char *names, char *err, size_t err_len)
{
	char list[sizeof(((struct ktlsd_upcall_config *)0)->keyrings)];
	char *save = NULL, *name;
	int ret;

	snprintf(list, sizeof(list), "%s", names);
	for (name = strtok_r(list, ";", &save); name;
	     name = strtok_r(NULL, ";", &save)) {
		key_serial_t ring;

		while (*name == ' ')
			name++;
		if (!*name)
			continue;
		ring = find_key_by_type_and_desc("keyring", name, 0);
		ret = ring < 0 ? -errno : upcall_keyring_link(upcall, ring);
		if (ret) {
			snprintf(err, err_len,
				 "keyring \"%s\" (keyrings =): %s: create it (keyctl newring %s @u) or take it out of the list",
				 name, strerror(-ret), name);
			return ret;
		}
		log_info("keyring \"%s\" (%d) linked: its keys are ours to use",
			 name, ring);
	}
	return 0;
}

/*
 * A PSK server whose request names no keyring looks in .nvme
 * (psk_keyring.c). Pinned here, once, it is never mistaken for a request's
 * keyring and unlinked at that request's DONE.
 */
static void pin_nvme_keyring(void)
{
	key_serial_t nvme = find_key_by_type_and_desc("keyring", ".nvme", 0);

	if (nvme <= 0)
		return;
	if (upcall_keyring_link(upcall, nvme))
		log_warning("keyring .nvme (%d): %s", nvme, upcall_reason());
	else
		log_info("keyring .nvme (%d) linked: NVMe/TCP PSKs", nvme);
}

/* Our process keyring and the configured keyrings in it. */
static int keyrings_prepare(const struct ktlsd_config *config, char *err,
			    size_t err_len)
{
	key_serial_t keyring = keyctl_get_keyring_ID(KEY_SPEC_PROCESS_KEYRING,
						     1);

	if (keyring < 0) {
		int ret = -errno;	/* before snprintf can change it */

		snprintf(err, err_len, "cannot create a process keyring: %s",
			 strerror(-ret));
		return ret;
	}
	/* Where to look (/proc/keys) to see what ktlsd holds. */
	log_info("upcall: process keyring %d (%08x in /proc/keys): a request's keyring is linked here only until its DONE",
		 keyring, keyring);
	pin_nvme_keyring();
	return link_keyrings(config->upcall.keyrings, err, err_len);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int do_report(void *arg, struct upcall_req *req,
		     const struct upcall_outcome *out, int32_t psk_serial)
{
	(void)arg;
	return upcall_report(upcall, req, out, psk_serial);
}

static int do_psk_find(void *arg, const struct upcall_req *req,
		       const char *identity, uint8_t *key, size_t *key_len,
		       int32_t *serial)
{
	struct upcall_psk_lookup *lookup;
	const char *cipher;
	int ret;

	(void)arg;
	ret = upcall_psk_lookup_new(req, serial, &lookup);
	if (ret)
		return ret;
	ret = upcall_psk_find(lookup, identity, key, *key_len, key_len,
			      &cipher);
	upcall_psk_lookup_free(lookup);
	return ret;
}

static struct broker broker = {
	.ops = { .report = do_report, .psk_find = do_psk_find },
};

/* The message for @r: its material after the fixed part. */
static struct upw_request *request_msg(const struct broker_req *r,
				       const struct upcall_material *m,
				       size_t *len)
{
	size_t ident_len = m->psk_identity ? strlen(m->psk_identity) : 0;
	struct upw_request *msg;
	uint8_t *p;

	*len = sizeof(*msg) + m->cert_len + m->key_len + ident_len +
	       m->psk_key_len;
	msg = calloc(1, *len);
	if (!msg)
		return NULL;
	msg->hdr = (struct upw_hdr){ UPW_REQUEST, (uint32_t)*len, r->id };
	msg->msg_type = r->req.msg_type;
	msg->auth_mode = r->req.auth_mode;
	msg->timeout_ms = r->req.timeout_ms;
	msg->flags = r->flags;
	msg->accepted_ms = r->req.accepted_ms;
	msg->cert = r->req.cert;
	msg->privkey = r->req.privkey;
	snprintf(msg->peername, sizeof(msg->peername), "%s", r->req.peername);
	msg->cert_len = (uint32_t)m->cert_len;
	msg->key_len = (uint32_t)m->key_len;
	msg->identity_len = (uint32_t)ident_len;
	msg->psk_len = (uint32_t)m->psk_key_len;
	p = msg->data;
	if (m->cert_len)
		memcpy(p, m->cert_pem, m->cert_len);
	p += m->cert_len;
	if (m->key_len)
		memcpy(p, m->key_pem, m->key_len);
	p += m->key_len;
	if (ident_len)
		memcpy(p, m->psk_identity, ident_len);
	p += ident_len;
	if (m->psk_key_len)
		memcpy(p, m->psk_key, m->psk_key_len);
	return msg;
}

static int send_with_fds(int fd, const void *buf, size_t len, int fd0, int fd1)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int fds[2] = { fd0, fd1 };
	ssize_t n;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EMSGSIZE;
}

static bool material_fits(const struct upcall_material *m)
{
	return m->cert_len <= UPW_CERT_MAX && m->key_len <= UPW_KEY_MAX &&
	       m->psk_key_len <= UPW_PSK_MAX &&
	       (!m->psk_identity ||
		strlen(m->psk_identity) < UPW_IDENTITY_MAX);
}

/* DONE @req with @err (upcall_reason() says why), as the worker would. */
static void refuse(struct upcall_req *req, int err)
{
	struct upcall_outcome out = { .status = upcall_status_of(err) };

	snprintf(out.why, sizeof(out.why), "%s", upcall_reason());
	log_info("upcall: %s %s handshake (peer %s) failed, DONE %s: %s",
		 upcall_msg_type_name(req->msg_type),
		 upcall_auth_name(req->auth_mode),
		 req->peername[0] ? req->peername : "-",
		 upcall_status_name(out.status), out.why);
	upcall_report(upcall, req, &out, 0);
}

/*
 * A private key from a key serial stays here: checked against its
 * certificate, it signs for the worker (UPW_SIGN); its PEM is wiped.
 */
static int keep_key(const struct upcall_req *req, struct upcall_material *m,
		    struct ktls_private_key **key)
{
	char what[48];
	int err;

	snprintf(what, sizeof(what), "private key %d", req->privkey);
	err = __ktls_private_key_load_mem(m->key_pem, m->key_len, m->cert_pem,
					  m->cert_len, what, key);
	upcall_key_free(m->key_pem, m->key_len);
	m->key_pem = NULL;
	m->key_len = 0;
	if (err)
		return upcall_fail(-EKEYREJECTED, "%s handshake: %s",
				   upcall_msg_type_name(req->msg_type),
				   ktls_reason());
	return 0;
}

/* Hand @req to the worker, or DONE it with why not. */
static void hand_over(const struct ktlsd_config *config, int jobs_fd,
		      struct upcall_req *req)
{
	struct ktls_private_key *key = NULL;
	struct upcall_material m;
	struct upw_request *msg;
	struct broker_req *r;
	int chan[2], timeout, err;
	uint32_t flags = 0;
	size_t len;

	err = upcall_material_read(req, &m);
	if (!err && !material_fits(&m)) {
		upcall_material_wipe(&m);
		err = upcall_fail(-EKEYREJECTED, "the request's key material is larger than ktlsd takes (certificate 32 KiB, key 16 KiB)");
	}
	if (!err && m.key_pem) {
		err = keep_key(req, &m, &key);
		flags |= UPW_F_SIGN;
	}
	if (!err && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
			       SOCK_NONBLOCK, 0, chan))
		err = upcall_fail(-EIO, "socketpair: %s", strerror(errno));
	if (err) {
		upcall_material_wipe(&m);
		__ktls_private_key_free(key);
		refuse(req, err);
		return;
	}
	if (req->auth_mode == HANDSHAKE_AUTH_PSK &&
	    req->msg_type == HANDSHAKE_MSG_TYPE_SERVERHELLO)
		flags |= UPW_F_PSK_LOOKUP;
	/* As the worker's profile picks it (profile.c), plus grace. */
	timeout = req->timeout_ms ? (int)req->timeout_ms :
		  config->upcall.handshake_timeout_ms ?
		  config->upcall.handshake_timeout_ms :
		  config->handshake_timeout_ms ? config->handshake_timeout_ms :
		  DEFAULT_TIMEOUT_MS;
	r = broker_add(&broker, req, chan[0], flags,
		       req->accepted_ms + timeout + BROKER_GRACE_MS);
	if (!r) {
		upcall_material_wipe(&m);
		__ktls_private_key_free(key);
		close(chan[0]);
		close(chan[1]);
		refuse(req, upcall_fail(-ENOMEM, "out of memory"));
		return;
	}
	r->key = key;
	msg = request_msg(r, &m, &len);
	upcall_material_wipe(&m);
	err = msg ? send_with_fds(jobs_fd, msg, len, r->req.sockfd, chan[1]) :
		    -ENOMEM;
	if (msg) {
		explicit_bzero(msg, len);
		free(msg);
	}
	close(chan[1]);
	if (err) {
		log_warning("upcall: cannot hand a request to the worker: %s",
			    strerror(-err));
		broker_fail(&broker, r, err == -EAGAIN ? ETIMEDOUT : EIO,
			    "the worker does not take requests");
		return;
	}
	log_debug("upcall: %s %s request %llu handed to the worker",
		  upcall_msg_type_name(req->msg_type),
		  upcall_auth_name(req->auth_mode), (unsigned long long)r->id);
}

/*
 * ACCEPT everything waiting before handing any over: the kernel refuses
 * new requests (-EAGAIN) while too many wait for ACCEPT.
 */
static void accept_all(const struct ktlsd_config *config, int jobs_fd)
{
	static struct upcall_req reqs[UPCALLS_PER_WAKE];
	int n, failed;

	do {
		n = upcall_accept(upcall, reqs, UPCALLS_PER_WAKE);
		failed = upcall_accept_failures();
		if (failed)
			log_error("upcall: %d request%s not accepted; the last: %s",
				  failed, failed > 1 ? "s" : "",
				  upcall_reason());
		if (n < 0)
			return;
		for (int i = 0; i < n; i++)
			hand_over(config, jobs_fd, &reqs[i]);
	} while (n == UPCALLS_PER_WAKE);
}

/* A message on @r's channel (or its end). */
static void channel_ready(struct broker_req *r)
{
	/* Larger than any message the worker may send: a longer one is cut. */
	static union {
		uint8_t buf[sizeof(struct upw_worker_msg) + 64];
		uint64_t align;
	} in;
	ssize_t n;

	n = recv(r->chan, in.buf, sizeof(in.buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	broker_message(&broker, r, in.buf, n < 0 ? 0 : (size_t)n);
	explicit_bzero(in.buf, sizeof(in.buf));
}

static void __attribute__((noreturn)) fail(int ctl_fd, const char *err)
{
	send(ctl_fd, err, strlen(err), MSG_NOSIGNAL);
	_exit(1);
}

enum { P_CTL, P_SIG, P_JOBS, P_NOTIFY, P_FIXED };

static void __attribute__((noreturn)) serve(const struct broker_args *a,
					    int sig_fd)
{
	struct pollfd *pfd = NULL;
	struct broker_req **who = NULL;
	int ctl_fd = a->ctl_fd;
	bool accepting = true;
	unsigned int cap = 0;

	for (;;) {
		unsigned int n = P_FIXED + broker.nr_reqs, i;
		int timeout = broker_expire(&broker, now_ms());
		char word[16];

		if (n > cap) {
			cap = n * 2;
			free(pfd);
			free(who);
			pfd = calloc(cap, sizeof(*pfd));
			who = calloc(cap, sizeof(*who));
			if (!pfd || !who) {
				log_error("upcall broker: out of memory");
				broker_fail_all(&broker, EIO, "out of memory");
				_exit(1);
			}
		}
		pfd[P_CTL] = (struct pollfd){ .fd = ctl_fd, .events = POLLIN };
		pfd[P_SIG] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		pfd[P_JOBS] = (struct pollfd){ .fd = a->jobs_fd, .events = POLLIN };
		pfd[P_NOTIFY] = (struct pollfd){
			.fd = accepting ? upcall_fd(upcall) : -1,
			.events = POLLIN,
		};
		for (i = 0; i < broker.nr_reqs; i++) {
			who[P_FIXED + i] = broker.reqs[i];
			pfd[P_FIXED + i] = (struct pollfd){
				.fd = broker.reqs[i]->chan, .events = POLLIN,
			};
		}
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("upcall broker: poll: %s", strerror(errno));
			broker_fail_all(&broker, EIO, "the upcall broker failed");
			_exit(1);
		}
		/* Drain, stop, a signal, or the monitor gone: no new requests. */
		if (pfd[P_CTL].revents) {
			if (recv(ctl_fd, word, sizeof(word), MSG_DONTWAIT) <= 0)
				ctl_fd = -1;	/* the monitor is gone */
			else	/* accept_all() below is not called again */
				send(ctl_fd, KTLSD_CTL_DRAINED,
				     strlen(KTLSD_CTL_DRAINED), MSG_NOSIGNAL);
			accepting = false;
		}
		if (pfd[P_SIG].revents) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) < 0)
				log_debug("upcall broker: signalfd: %s",
					  strerror(errno));
			accepting = false;
		}
		for (i = P_FIXED; i < n; i++)
			if (pfd[i].revents)
				channel_ready(who[i]);
		if (pfd[P_JOBS].revents & POLLIN &&
		    recv(a->jobs_fd, word, sizeof(word), MSG_DONTWAIT) > 0) {
			log_error("upcall broker: the worker wrote on the jobs channel, which it may only read: ending every request");
			broker_fail_all(&broker, EIO, "the worker broke the upcall protocol");
			_exit(1);
		}
		if (pfd[P_JOBS].revents & (POLLHUP | POLLERR)) {
			/* The worker is gone: whatever it held ends now. */
			broker_fail_all(&broker, EIO, "the worker is gone");
			_exit(0);
		}
		if (accepting && pfd[P_NOTIFY].revents)
			accept_all(a->config, a->jobs_fd);
	}
}

void ktlsd_broker_main(const struct broker_args *a)
{
	struct ktlsd_identity root = { .change = false };
	char err[1024] = "";
	int sig_fd, ret;

	prctl(PR_SET_NAME, "ktlsd-upcall");
	prctl(PR_SET_DUMPABLE, 0);
	sig_fd = ktlsd_child_signals();
	if (sig_fd < 0)
		fail(a->ctl_fd, "the upcall broker could not start: no signalfd");
	ret = ktlsd_upcall_open(a->config, &upcall, err, sizeof(err));
	if (!ret && !upcall)
		snprintf(err, sizeof(err), "the kernel's handshake family went away");
	if (ret || !upcall)
		fail(a->ctl_fd, err);
	ret = keyrings_prepare(a->config, err, sizeof(err));
	if (ret)
		fail(a->ctl_fd, err);
	/*
	 * Root, as tlshd: the kernel's key serials are root's keys and its
	 * REMOTE_AUTH keys go to root's consumers. CAP_NET_ADMIN alone
	 * (ACCEPT, DONE), no file but /dev/urandom, its own system calls.
	 */
	ret = ktlsd_sandbox_enter(&root, KTLSD_SANDBOX_BROKER, true, err,
				  sizeof(err));
	if (ret)
		fail(a->ctl_fd, err);
	send(a->ctl_fd, "", 1, MSG_NOSIGNAL);
	serve(a, sig_fd);
}
