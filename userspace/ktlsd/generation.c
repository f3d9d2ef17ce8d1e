// SPDX-License-Identifier: GPL-2.0-or-later
/* Forking and ending a generation: key process and worker (generation.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "generation.h"
#include "keyproc.h"
#include "log.h"
#include "upcall_broker.h"
#include "worker.h"

/* Loading keys and building contexts, under TCG on a busy host. */
#define START_TIMEOUT_MS 60000

void ktlsd_describe_exit(int status, char *out, size_t out_len)
{
	if (WIFEXITED(status))
		snprintf(out, out_len, "exited with status %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		snprintf(out, out_len,
			 "killed by SIGSYS: it made a system call its seccomp filter forbids");
	else if (WIFSIGNALED(status))
		snprintf(out, out_len, "killed by SIG%s",
			 sigabbrev_np(WTERMSIG(status)) ?: "?");
	else
		snprintf(out, out_len, "ended (status %#x)", status);
}

/* SIGTERM and SIGINT (blocked since the monitor's start) as an fd. */
int ktlsd_child_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* The first message on @fd: 0 if it says ready, else -EINVAL and why. */
static int wait_ready(int fd, const char *who, char *err, size_t err_len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char msg[1024];
	ssize_t n;
	int ret;

	do {
		ret = poll(&pfd, 1, START_TIMEOUT_MS);
	} while (ret < 0 && errno == EINTR);
	if (ret == 0) {
		snprintf(err, err_len, "the %s did not start within %d s",
			 who, START_TIMEOUT_MS / 1000);
		return -ETIMEDOUT;
	}
	n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	if (n == 1 && !msg[0])
		return 0;
	if (n <= 0) {
		snprintf(err, err_len, "the %s ended before it was ready", who);
		return -EIO;
	}
	msg[n] = '\0';
	snprintf(err, err_len, "%s", msg);
	return -EINVAL;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static void keep_out(const struct ktlsd_spawn *spawn)
{
	for (int i = 0; i < spawn->nr_keep_out; i++)
		close(spawn->keep_out[i]);
}

/* The worker ended before it was ready: say how, once it has. */
static void describe_early_end(pid_t pid, char *err, size_t err_len)
{
	size_t used = strlen(err);
	char how[128];
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return;
	ktlsd_describe_exit(status, how, sizeof(how));
	snprintf(err + used, err_len - used, ": it %s", how);
}

static void end(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

int ktlsd_generation_start(struct ktlsd_config *config,
			   const struct ktlsd_spawn *spawn,
			   struct ktlsd_generation *gen, char *err,
			   size_t err_len)
{
	int n = spawn->threads + 1, pair[2], ret = 0;
	int keys_side[n], worker_side[n], status[2] = { -1, -1 };
	int ctl[2] = { -1, -1 }, jobs[2] = { -1, -1 }, bctl[2] = { -1, -1 };
	char keys_err[1024] = "", broker_err[1024] = "";

	memset(gen, 0, sizeof(*gen));
	gen->ctl_fd = -1;
	gen->broker_ctl_fd = -1;
	for (int i = 0; i < n; i++) {
		keys_side[i] = -1;
		worker_side[i] = -1;
		if (!ret && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				       pair) == 0) {
			keys_side[i] = pair[0];
			worker_side[i] = pair[1];
		} else if (!ret) {
			ret = -errno;
		}
	}
	if (!ret && (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				status) ||
		     socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				ctl)))
		ret = -errno;
	if (!ret && spawn->upcalls &&
	    (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, jobs) ||
	     socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, bctl)))
		ret = -errno;
	if (ret) {
		snprintf(err, err_len, "socketpair: %s", strerror(-ret));
		goto close_fds;
	}

	gen->keys = fork();
	if (gen->keys == 0) {
		keep_out(spawn);
		close_all(worker_side, n);
		close(status[1]);
		close(ctl[0]);
		close(ctl[1]);
		close_all(jobs, 2);
		close_all(bctl, 2);
		if (spawn->listen_fd >= 0)
			close(spawn->listen_fd);
		keyproc_main(config, &spawn->id, status[0], keys_side, n);
	}
	if (gen->keys < 0) {
		ret = -errno;
		snprintf(err, err_len, "fork: %s", strerror(-ret));
		goto close_fds;
	}
	close_all(keys_side, n);
	close_all(status, 1);

	if (spawn->upcalls) {
		gen->broker = fork();
		if (gen->broker == 0) {
			struct broker_args args = {
				.config = config, .ctl_fd = bctl[0],
				.jobs_fd = jobs[0],
			};

			keep_out(spawn);
			close_all(worker_side, n);
			close(status[1]);
			close_all(ctl, 2);
			close(jobs[1]);
			close(bctl[1]);
			if (spawn->listen_fd >= 0)
				close(spawn->listen_fd);
			ktlsd_broker_main(&args);
		}
		if (gen->broker < 0) {
			ret = -errno;
			snprintf(err, err_len, "fork: %s", strerror(-ret));
			gen->broker = 0;
			end(&gen->keys);
			goto close_fds;
		}
		close_all(jobs, 1);
		close_all(bctl, 1);
	}

	gen->worker = fork();
	if (gen->worker == 0) {
		struct ktlsd_worker_args args = {
			.config = config, .id = &spawn->id,
			.threads = spawn->threads,
			.listen_fd = spawn->listen_fd,
			.jobs_fd = jobs[1], .ctl_fd = ctl[0],
			.key_fds = worker_side, .nr_key_fds = n,
		};

		keep_out(spawn);
		close(status[1]);
		close(ctl[1]);
		if (bctl[1] >= 0)
			close(bctl[1]);
		ktlsd_worker_main(&args);
	}
	if (gen->worker < 0) {
		ret = -errno;
		snprintf(err, err_len, "fork: %s", strerror(-ret));
		end(&gen->broker);
		end(&gen->keys);
		goto close_fds;
	}
	close_all(worker_side, n);
	close_all(ctl, 1);
	close_all(jobs + 1, 1);

	/* A worker's complaint names the file and line first. */
	ret = wait_ready(ctl[1], "worker", err, err_len);
	if (!ret)
		ret = wait_ready(status[1], "key process", keys_err,
				 sizeof(keys_err));
	if (!ret && gen->broker)
		ret = wait_ready(bctl[1], "upcall broker", broker_err,
				 sizeof(broker_err));
	if (ret && keys_err[0])
		snprintf(err, err_len, "%s", keys_err);
	else if (ret && broker_err[0])
		snprintf(err, err_len, "%s", broker_err);
	if (ret == -EIO)
		describe_early_end(broker_err[0] ? gen->broker : gen->worker,
				   err, err_len);
	close(status[1]);
	if (ret) {
		end(&gen->worker);
		end(&gen->broker);
		end(&gen->keys);
		close(ctl[1]);
		if (bctl[1] >= 0)
			close(bctl[1]);
		return ret;
	}
	gen->ctl_fd = ctl[1];
	gen->broker_ctl_fd = bctl[1];
	gen->config = config;
	return 0;

close_fds:
	close_all(keys_side, n);
	close_all(worker_side, n);
	close_all(status, 2);
	close_all(ctl, 2);
	close_all(jobs, 2);
	close_all(bctl, 2);
	return ret;
}

void ktlsd_generation_tell(struct ktlsd_generation *gen, const char *word)
{
	if (gen->ctl_fd >= 0 && gen->worker > 0)
		send(gen->ctl_fd, word, strlen(word), MSG_NOSIGNAL);
	/* It stops ACCEPTing; it ends once the worker has. */
	if (gen->broker_ctl_fd >= 0 && gen->broker > 0)
		send(gen->broker_ctl_fd, word, strlen(word), MSG_NOSIGNAL);
}

/* Both loops' wait, plus what the broker's single poll adds. */
#define DRAIN_ANSWER_MS (KTLSD_DRAIN_ACK_MS + 500)

int ktlsd_generation_drain(struct ktlsd_generation *gen, char *err,
			   size_t err_len)
{
	struct pollfd pfd[2] = {
		{ .fd = gen->worker > 0 ? gen->ctl_fd : -1, .events = POLLIN },
		{ .fd = gen->broker > 0 ? gen->broker_ctl_fd : -1,
		  .events = POLLIN },
	};
	const char *who[2] = { "worker", "upcall broker" };
	int64_t until = monotonic_ms() + DRAIN_ANSWER_MS;
	char word[16];

	ktlsd_generation_tell(gen, KTLSD_CTL_DRAIN);
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		int64_t left = until - monotonic_ms();
		int ret;

		ret = left > 0 ? poll(pfd, 2, (int)left) : 0;
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			snprintf(err, err_len,
				 "the old %s (pid %d) did not confirm within %d ms that it accepts no more",
				 who[pfd[0].fd >= 0 ? 0 : 1],
				 (int)(pfd[0].fd >= 0 ? gen->worker : gen->broker),
				 DRAIN_ANSWER_MS);
			return -ETIMEDOUT;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			n = recv(pfd[i].fd, word, sizeof(word) - 1,
				 MSG_DONTWAIT);
			if (n <= 0) {
				snprintf(err, err_len,
					 "the old %s ended while draining",
					 who[i]);
				return -EIO;
			}
			word[n] = '\0';
			if (!strcmp(word, KTLSD_CTL_DRAINED))
				pfd[i].fd = -1;
		}
	}
	return 0;
}

bool ktlsd_generation_reaped(struct ktlsd_generation *gen, pid_t pid)
{
	if (pid == gen->worker) {
		gen->worker = 0;
		return true;
	}
	if (pid == gen->keys) {
		gen->keys = 0;
		return true;
	}
	if (pid == gen->broker) {
		gen->broker = 0;
		return true;
	}
	return false;
}

bool ktlsd_generation_gone(const struct ktlsd_generation *gen)
{
	return !gen->worker && !gen->keys && !gen->broker;
}

void ktlsd_generation_free(struct ktlsd_generation *gen)
{
	if (gen->ctl_fd >= 0)
		close(gen->ctl_fd);
	gen->ctl_fd = -1;
	if (gen->broker_ctl_fd >= 0)
		close(gen->broker_ctl_fd);
	gen->broker_ctl_fd = -1;
	free(gen->config);
	gen->config = NULL;
}
