// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel handshake requests served in the event loops (see
 * upcall_server.h). libupcall checks a request and starts its handshake
 * (upcall_prepare), the loop steps it when its socket is ready, and
 * libupcall installs kernel TLS and reports DONE (upcall_finish).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <keyutils.h>

#include "log.h"
#include "profile.h"
#include "upcall_server.h"

#define UPCALLS_PER_WAKE 64

static struct upcall *upcall;	/* set before the loops start */

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

int ktlsd_upcall_prepare(const struct ktlsd_config *config, struct upcall *up,
			 char *err, size_t err_len)
{
	key_serial_t keyring;

	upcall = up;
	if (!up)
		return 0;
	keyring = keyctl_get_keyring_ID(KEY_SPEC_PROCESS_KEYRING, 1);
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

static const char *status_name(int status)
{
	switch (status) {
	case 0:
		return "ok";
	case EACCES:
		return "EACCES";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EKEYREJECTED:
		return "EKEYREJECTED";
	case ENOKEY:
		return "ENOKEY";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EINVAL:
		return "EINVAL";
	case EIO:
		return "EIO";
	}
	return "error";
}

/* Report DONE (whatever @err is), then leave the job to the loop. */
static void finish(struct upcall_job *job, int err)
{
	const char *role = upcall_msg_type_name(job->req.msg_type);
	const char *auth = upcall_auth_name(job->req.auth_mode);
	const char *peer = job->req.peername[0] ? job->req.peername : "-";
	int status;

	if (job->done)
		return;
	job->done = true;
	/* Before upcall_finish closes it: the consumer keeps the socket. */
	if (job->events)
		ktlsd_loop_unwatch(job->loop, job->req.sockfd);
	job->events = 0;
	status = upcall_finish(upcall, &job->req, job->hs, err);
	job->hs = NULL;
	if (status < 0)
		log_warning("upcall: %s %s handshake (peer %s): DONE failed: %s",
			    role, auth, peer, upcall_reason());
	else if (status)
		log_info("upcall: %s %s handshake (peer %s) failed, DONE %s: %s",
			 role, auth, peer, status_name(status),
			 upcall_reason());
	else
		log_info("upcall: %s %s handshake (peer %s) done", role, auth,
			 peer);
	ktlsd_loop_retire(job->loop, &job->task);
}

/*
 * A failure seen by the loop: DONE at once if the refusal delay has
 * passed (UPCALL_REFUSE_DELAY_MS), else on a deadline, so that the loop
 * never sleeps in upcall_done().
 */
static void refuse(struct upcall_job *job, int err)
{
	int wait_ms = upcall_refuse_wait_ms(&job->req);

	if (!wait_ms) {
		finish(job, err);
		return;
	}
	if (job->events)
		ktlsd_loop_unwatch(job->loop, job->req.sockfd);
	job->events = 0;
	job->refused = err;
	snprintf(job->why, sizeof(job->why), "%s", upcall_reason());
	ktlsd_loop_set_deadline(job->loop, &job->task,
				ktlsd_now_ms() + wait_ms);
}

static void step(struct upcall_job *job)
{
	uint32_t events;
	int ret;

	ret = ktls_handshake_step(job->hs->session);
	if (ret == -EAGAIN) {
		events = ktls_session_wants(job->hs->session) & POLLOUT ?
			 EPOLLOUT : EPOLLIN;
		if (events == job->events)
			return;
		ret = ktlsd_loop_watch(job->loop, job->req.sockfd, &job->watch,
				       events);
		if (!ret) {
			job->events = events;
			return;
		}
		/* Not our peer's fault: EIO, and say why. */
		refuse(job, upcall_fail(-EIO, "epoll_ctl on the request's socket: %s",
					strerror(-ret)));
		return;
	}
	if (ret) {
		refuse(job, upcall_fail(ret, "%s handshake: %s",
					upcall_msg_type_name(job->req.msg_type),
					ktls_reason()));
		return;
	}
	finish(job, 0);
}

void upcall_job_event(struct upcall_job *job, uint32_t events)
{
	(void)events;
	if (!job->done)
		step(job);
}

static void job_expire(struct ktlsd_task *task)
{
	struct upcall_job *job = (struct upcall_job *)task;

	if (job->refused) {
		finish(job, upcall_fail(job->refused, "%s", job->why));
		return;
	}
	finish(job, upcall_fail(-ETIMEDOUT,
				"%s handshake timed out: the peer did not finish in %d ms",
				upcall_msg_type_name(job->req.msg_type),
				job->hs ? job->hs->timeout_ms : 0));
}

static void job_stop(struct ktlsd_task *task)
{
	struct upcall_job *job = (struct upcall_job *)task;

	if (job->refused)
		finish(job, upcall_fail(job->refused, "%s", job->why));
	else
		finish(job, upcall_fail(-ESHUTDOWN, "ktlsd is shutting down"));
}

static void job_free(struct ktlsd_task *task)
{
	struct upcall_job *job = (struct upcall_job *)task;

	ktlsd_profile_put(job->profile);
	free(job);
}

static const struct ktlsd_task_ops upcall_job_ops = {
	.expire = job_expire,
	.stop = job_stop,
	.free = job_free,
};

static void job_start(struct ktlsd_loop *loop, struct upcall_req *req)
{
	struct upcall_job *job = calloc(1, sizeof(*job));
	int ret;

	if (!job) {
		/* Never leave the kernel waiting, even now. */
		log_error("upcall: out of memory; DONE EIO");
		upcall_done(upcall, req, EIO, NULL, 0);
		return;
	}
	job->task.ops = &upcall_job_ops;
	job->loop = loop;
	job->watch.kind = KTLSD_WATCH_UPCALL_TCP;
	job->req = *req;
	job->profile = ktlsd_profile_current();
	log_debug("upcall: %s %s handshake requested (peer %s, timeout %u ms)",
		  upcall_msg_type_name(req->msg_type),
		  upcall_auth_name(req->auth_mode),
		  req->peername[0] ? req->peername : "-", req->timeout_ms);
	ret = upcall_prepare(&job->req, &job->profile->upcall, &job->hs);
	if (ret) {
		refuse(job, ret);
		return;
	}
	ktlsd_loop_set_deadline(loop, &job->task,
				ktlsd_now_ms() + job->hs->timeout_ms);
	step(job);
}

/*
 * ACCEPT everything waiting before starting any: the kernel refuses new
 * requests (-EAGAIN) while too many wait for ACCEPT (a small limit per
 * network namespace), however many are accepted and in progress.
 */
void upcall_jobs_accept(struct ktlsd_loop *loop)
{
	static __thread struct upcall_req reqs[UPCALLS_PER_WAKE];
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
			job_start(loop, &reqs[i]);
	} while (n == UPCALLS_PER_WAKE);
}
