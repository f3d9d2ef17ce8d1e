// SPDX-License-Identifier: GPL-2.0-or-later
/* The worker process (worker.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "file_cache.h"
#include "key_client.h"
#include "generation.h"
#include "handoff.h"
#include "log.h"
#include "loop.h"
#include "profile.h"
#include "upcall_server.h"
#include "worker.h"

static void __attribute__((noreturn)) fail(int ctl_fd, const char *err,
					   int status)
{
	send(ctl_fd, err, strlen(err) ? strlen(err) : 1, MSG_NOSIGNAL);
	_exit(status);
}

/* Debugging the sandbox (tests): KTLSD_SANDBOX_PROBE=keys|syscall|ticket. */
static void sandbox_probe(const struct ktlsd_config *config)
{
	const char *probe = getenv("KTLSD_SANDBOX_PROBE");
	const char *const keys[] = { config->server.private_key,
			       config->upcall.private_key,
			       config->upcall.client_private_key };

	if (!probe)
		return;
	if (!strcmp(probe, "keys")) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			FILE *f;

			if (!*keys[i])
				continue;
			f = fopen(keys[i], "r");
			if (f) {
				log_error("sandbox probe: the worker can open %s", keys[i]);
				fclose(f);
				continue;
			}
			log_info("sandbox probe: the worker cannot open %s: %s",
				 keys[i], strerror(errno));
		}
	} else if (!strcmp(probe, "syscall")) {
		log_info("sandbox probe: calling ptrace(), which the worker may not");
		syscall(SYS_ptrace, 0, 0, 0, 0);
		log_error("sandbox probe: ptrace() returned; the filter is not on");
	} else if (!strcmp(probe, "ticket")) {
		ktlsd_key_client_probe_malformed();
	}
}

/*
 * Tests: KTLSD_TEST_DRAIN_DELAY_MS=N makes the worker hear a drain N ms
 * late (at most 1000), as a loaded machine might, to show that a reload
 * waits for it.
 */
static int drain_delay_ms(void)
{
	const char *v = getenv("KTLSD_TEST_DRAIN_DELAY_MS");
	int ms = v ? atoi(v) : 0;

	return ms < 0 ? 0 : ms > 1000 ? 1000 : ms;
}

/* Wait for the monitor's word (or a signal); drain or stop, then exit. */
static void __attribute__((noreturn)) control(int ctl_fd, int sig_fd,
					      int timeout_ms, int delay_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = ctl_fd, .events = POLLIN },
		{ .fd = sig_fd, .events = POLLIN },
	};
	char word[16];
	ssize_t n;
	int ret;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;		/* SIGTERM, SIGINT: as a stop */
		if (!pfd[0].revents)
			continue;
		n = recv(ctl_fd, word, sizeof(word) - 1, 0);
		if (n <= 0)
			break;		/* the monitor is gone: stop */
		word[n] = '\0';
		if (!strcmp(word, KTLSD_CTL_DRAIN)) {
			if (delay_ms)
				usleep((useconds_t)delay_ms * 1000);
			/*
			 * The monitor says "reloaded" only after this: until
			 * then a new connection may still land here, in the
			 * old configuration.
			 */
			ret = ktlsd_loops_stop_accepting(KTLSD_DRAIN_ACK_MS);
			if (ret)
				log_error("drain: the event loops did not leave the listener within %d ms",
					  KTLSD_DRAIN_ACK_MS);
			else
				send(ctl_fd, KTLSD_CTL_DRAINED,
				     strlen(KTLSD_CTL_DRAINED), MSG_NOSIGNAL);
			ktlsd_loops_drain(timeout_ms);
			_exit(0);
		}
		break;
	}
	ktlsd_loops_stop();
	_exit(0);
}

void ktlsd_worker_main(const struct ktlsd_worker_args *a)
{
	const struct ktlsd_config *config = a->config;
	struct ktlsd_profile *profile;
	struct ktlsd_source *sources[2];
	int sig_fd, ret, nr_sources = 0;
	char err[1024] = "";

	prctl(PR_SET_NAME, "ktlsd-worker");
	prctl(PR_SET_DUMPABLE, 0);
	sig_fd = ktlsd_child_signals();
	if (sig_fd < 0 || ktlsd_key_client_init(a->key_fds, a->nr_key_fds) ||
	    ktlsd_file_cache_fill(config))
		fail(a->ctl_fd, "the worker could not start: out of memory or fds", 1);
	ktlsd_profile_use_key_process();
	ret = ktlsd_profile_new(config, &profile, err, sizeof(err));
	if (ret)
		fail(a->ctl_fd, err, 2);
	/*
	 * Upcalls or not, the worker runs as the configured user without
	 * capabilities: the upcall broker (ktlsd-upcall) keeps root and
	 * CAP_NET_ADMIN, the netlink socket and the keyrings, and hands it
	 * sockets and key material.
	 */
	ret = ktlsd_sandbox_enter(a->id, KTLSD_SANDBOX_WORKER, false, err,
				  sizeof(err));
	if (ret)
		fail(a->ctl_fd, err, 1);
	sandbox_probe(config);
	ktlsd_profile_install(profile);
	if (a->listen_fd >= 0)
		sources[nr_sources++] = handoff_listener(a->listen_fd);
	if (a->jobs_fd >= 0)
		sources[nr_sources++] = upcall_jobs_source(a->jobs_fd);
	ret = ktlsd_loops_start(sources, nr_sources, a->threads);
	if (ret) {
		snprintf(err, sizeof(err), "cannot start %d event loops: %s",
			 a->threads, strerror(-ret));
		fail(a->ctl_fd, err, 1);
	}
	send(a->ctl_fd, "", 1, MSG_NOSIGNAL);
	control(a->ctl_fd, sig_fd, config->handshake_timeout_ms + 1000,
		drain_delay_ms());
}
