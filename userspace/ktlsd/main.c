// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd: run TLS handshakes for applications that hand over a connected
 * TCP socket, and for the kernel's handshake upcall (NFS, NVMe/TCP...),
 * install kernel TLS on it, and hand it back. The private keys live only
 * here. See ktlsd(8) and ktlsd.conf(5).
 *
 * This file: the command line, start-up checks, and the control thread,
 * which waits on a signalfd (SIGHUP reloads, SIGTERM/SIGINT stop) while
 * the event loops (loop.c) run the handshakes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "generation.h"
#include "listener.h"
#include "log.h"
#include "profile.h"
#include "upcall_broker.h"
#include "worker.h"

#define EXIT_CONFIG 2

/* --tlshd-config: the file is tlshd's, whatever its sections say. */
static bool tlshd_format;

/* Where tlshd 1.3+ looks: its older file first if it is still there. */
#define TLSHD_CONFIG "/etc/tlshd/config"
#define TLSHD_CONFIG_OLD "/etc/tlshd.conf"

/* --tlshd: the file tlshd itself would read, or NULL (and why, printed). */
static const char *tlshd_config_path(void)
{
	if (access(TLSHD_CONFIG_OLD, F_OK) == 0) {
		fprintf(stderr, "ktlsd: reading %s, tlshd's older path, as tlshd does when it exists; move it to %s\n",
			TLSHD_CONFIG_OLD, TLSHD_CONFIG);
		return TLSHD_CONFIG_OLD;
	}
	if (access(TLSHD_CONFIG, F_OK) == 0)
		return TLSHD_CONFIG;
	fprintf(stderr, "ktlsd: --tlshd: neither %s nor %s exists: write tlshd's configuration there (tlshd.conf(5)), or name a file with --tlshd-config FILE\n",
		TLSHD_CONFIG, TLSHD_CONFIG_OLD);
	return NULL;
}

static int config_load(const char *path, struct ktlsd_config *config,
		       char *err, size_t err_len)
{
	if (tlshd_format)
		return ktlsd_config_load_tlshd(path, config, err, err_len);
	return ktlsd_config_load(path, config, err, err_len);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ktlsd [-c FILE | --tlshd-config FILE | --tlshd] [-f|--foreground]\n"
		"             [--check-config] [-h|--help] [--version]\n"
		"Run TLS handshakes for applications that pass a connected TCP\n"
		"socket over the handoff socket, and for the kernel's handshake\n"
		"upcall, then install kernel TLS on the socket.\n"
		"\n"
		"  -c, --config FILE  configuration (default " KTLSD_DEFAULT_CONFIG ");\n"
		"                     tlshd's format is recognised by its sections\n"
		"      --tlshd-config FILE  read tlshd's configuration (tlshd.conf(5)):\n"
		"                     kernel upcalls only, as tlshd would serve them\n"
		"      --tlshd        the same, from where tlshd reads it: " TLSHD_CONFIG "\n"
		"                     (or " TLSHD_CONFIG_OLD " while that exists)\n"
		"  -f, --foreground   stay in the foreground (for systemd)\n"
		"      --check-config check the configuration, build its TLS\n"
		"                     contexts, and exit (0 if valid, 2 if not)\n"
		"  -h, --help         this text\n"
		"      --version      print the version\n"
		"\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM and SIGINT stop.\n"
		"See ktlsd(8) and ktlsd.conf(5).\n");
}

/* Load and build a configuration; on failure print it and return 2. */
static int load(const char *path, struct ktlsd_profile **profile)
{
	struct ktlsd_config *config;
	char err[1024] = "";
	int ret;

	config = malloc(sizeof(*config));
	if (!config) {
		fprintf(stderr, "ktlsd: out of memory\n");
		return 1;
	}
	ret = config_load(path, config, err, sizeof(err));
	if (!ret)
		ret = ktlsd_profile_new(config, profile, err, sizeof(err));
	free(config);
	if (ret) {
		fprintf(stderr, "ktlsd: %s\n", err);
		return EXIT_CONFIG;
	}
	return 0;
}

static int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/* Two fds per handshake in flight: take what the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit lim;

	if (!getrlimit(RLIMIT_NOFILE, &lim) && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
}

static void apply_logging(const struct ktlsd_config *config)
{
	ktlsd_log_setup(config->log_target == KTLSD_LOG_SYSLOG,
			config->log_level);
}

static void warn_restart_keys(const struct ktlsd_config *old,
			      const struct ktlsd_config *new)
{
	if (strcmp(old->handoff_path, new->handoff_path) ||
	    old->handoff_mode != new->handoff_mode ||
	    old->handoff_group_set != new->handoff_group_set ||
	    old->handoff_group != new->handoff_group ||
	    old->threads != new->threads || strcmp(old->user, new->user))
		log_warning("[handoff], threads and user take effect at the next start, not on reload");
	if (old->upcall.enable != new->upcall.enable ||
	    strcmp(old->upcall.keyrings, new->upcall.keyrings))
		log_warning("[upcall] enable and keyrings take effect at the next start, not on reload");
}

/* Parse @path into a new configuration, or say why not in @err. */
static struct ktlsd_config *parse(const char *path, char *err, size_t err_len)
{
	struct ktlsd_config *config = malloc(sizeof(*config));

	if (!config) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	if (config_load(path, config, err, err_len)) {
		free(config);
		return NULL;
	}
	return config;
}

/* The current generation, and reloads' old ones still draining. */
#define MAX_GENERATIONS 8
static struct ktlsd_generation gens[MAX_GENERATIONS];
static int nr_gens;		/* gens[nr_gens - 1] is the current one */

static void reload(const char *path, struct ktlsd_spawn *spawn)
{
	struct ktlsd_generation *old = &gens[nr_gens - 1], gen;
	struct ktlsd_config *config;
	char err[1024] = "";

	if (nr_gens == MAX_GENERATIONS) {
		log_error("reload refused: %d older configurations are still draining; try again in a few seconds",
			  nr_gens - 1);
		return;
	}
	config = parse(path, err, sizeof(err));
	if (!config || ktlsd_generation_start(config, spawn, &gen, err,
					      sizeof(err))) {
		if (config)
			free(config);
		log_error("reload failed, keeping the old configuration: %s",
			  err);
		return;
	}
	warn_restart_keys(old->config, gen.config);
	apply_logging(gen.config);
	/*
	 * Handshakes in flight finish in the old worker, which then ends;
	 * once it has confirmed it accepts no more, every new connection
	 * meets this configuration.
	 */
	if (ktlsd_generation_drain(old, err, sizeof(err)))
		log_error("reload: %s; a connection made now may still meet the old configuration",
			  err);
	gens[nr_gens++] = gen;
	log_info("configuration %s reloaded (worker pid %d, key process pid %d)",
		 path, (int)gen.worker, (int)gen.keys);
}

/*
 * Reap children (waiting for them with @block); -ECHILD if the current
 * generation lost a process while not @stopping. Every unexpected end is
 * logged with how it ended.
 */
static int reap(bool block, bool stopping)
{
	char how[128];
	int status, ret = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, block ? 0 : WNOHANG)) > 0 ||
	       (pid < 0 && errno == EINTR)) {
		for (int i = 0; pid > 0 && i < nr_gens; i++) {
			bool current = i == nr_gens - 1 && !stopping;
			const char *who = pid == gens[i].worker ? "worker" :
					  pid == gens[i].broker ?
					  "upcall broker" : "key process";

			if (!ktlsd_generation_reaped(&gens[i], pid))
				continue;
			ktlsd_describe_exit(status, how, sizeof(how));
			if (current) {
				log_error("the %s (pid %d) %s: stopping ktlsd",
					  who, (int)pid, how);
				ret = -ECHILD;
			} else if (status) {
				log_warning("the %s (pid %d) %s", who,
					    (int)pid, how);
			}
			break;
		}
	}
	/* Drained generations go; the current one stays in its slot. */
	for (int i = 0; i < nr_gens - 1; i++) {
		if (!ktlsd_generation_gone(&gens[i]))
			continue;
		ktlsd_generation_free(&gens[i]);
		memmove(&gens[i], &gens[i + 1],
			(size_t)(nr_gens - i - 1) * sizeof(gens[0]));
		nr_gens--;
		i--;
	}
	return ret;
}

/* Wait for signals until one says stop, or a process of ours dies. */
static int control(int sig_fd, const char *path, struct ktlsd_spawn *spawn)
{
	struct signalfd_siginfo si;
	ssize_t n;
	int ret;

	for (;;) {
		n = read(sig_fd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(si)) {
			log_error("signalfd: %s", strerror(errno));
			return -EIO;
		}
		if (si.ssi_signo == SIGCHLD) {
			ret = reap(false, false);
			if (ret)
				return ret;
			continue;
		}
		if (si.ssi_signo == SIGHUP) {
			sd_notify(0, "RELOADING=1");
			reload(path, spawn);
			sd_notify(0, "READY=1");
			continue;
		}
		log_info("%s: stopping", strsignal((int)si.ssi_signo));
		return 0;
	}
}

/* Every handoff answered, every upcall DONE, every child gone. */
static void stop_all(void)
{
	for (int i = 0; i < nr_gens; i++)
		ktlsd_generation_tell(&gens[i], KTLSD_CTL_STOP);
	reap(true, true);
	for (int i = 0; i < nr_gens; i++)
		ktlsd_generation_free(&gens[i]);
	nr_gens = 0;
}

static int block_signals(int *sig_fd)
{
	sigset_t set;

	/* A vanished peer must be an error return, not a death. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	/* Before any thread starts, so that every thread inherits it. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	*sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	return *sig_fd < 0 ? -errno : 0;
}

static void check_kernel(void)
{
	int ret = ktls_kernel_has_tls();

	if (ret == -ENOENT)
		log_warning("this kernel has no kernel TLS (TCP_ULP \"tls\": ENOENT): every handoff will fail with ENOENT until the tls module is loaded (modprobe tls; the kernel needs CONFIG_TLS)");
	else if (ret)
		log_warning("%s", ktls_reason());
}

/* Handoffs need a [server] or [client]; a tlshd drop-in has neither. */
static bool serves_handoffs(const struct ktlsd_config *config)
{
	return config->server.enabled || config->client.enabled;
}

static void log_tlshd_notes(const struct ktlsd_config *config)
{
	const struct ktlsd_upcall_config *u = &config->upcall;

	if (!u->from_tlshd)
		return;
	log_info("%s: tlshd's configuration: kernel upcalls only, no handoff socket",
		 config->path);
	if (u->tlshd_ignored[0])
		log_warning("%s: ignored (no ktlsd equivalent, see ktlsd(8)): %s",
			    config->path, u->tlshd_ignored);
}

/*
 * Without --foreground: fork, and let the parent exit only once the child
 * is serving (or with its error status), as daemon(3) cannot.
 */
static int detach(int *ready_fd)
{
	int pipe_fd[2];
	char status = 1;
	pid_t pid;

	if (pipe(pipe_fd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pipe_fd[1]);
		if (read(pipe_fd[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(pipe_fd[0]);
	setsid();
	*ready_fd = pipe_fd[1];
	return 0;
}

static void detached(int *ready_fd, char status)
{
	int null_fd;

	if (*ready_fd < 0)
		return;
	if (!status) {
		null_fd = open("/dev/null", O_RDWR);
		if (null_fd >= 0) {
			dup2(null_fd, 0);
			dup2(null_fd, 1);
			dup2(null_fd, 2);
			if (null_fd > 2)
				close(null_fd);
		}
		if (chdir("/"))
			log_warning("chdir /: %s", strerror(errno));
	}
	if (write(*ready_fd, &status, 1) != 1)
		log_warning("cannot tell the starting process we are ready");
	close(*ready_fd);
	*ready_fd = -1;
}

static int serve(const char *path, struct ktlsd_config *config,
		 bool foreground)
{
	char bound[sizeof(config->handoff_path)] = "", err[1024] = "";
	struct ktlsd_spawn spawn = { .listen_fd = -1 };
	int sig_fd, ready_fd = -1, ret;
	struct ktlsd_generation *gen;
	struct upcall *up = NULL;

	apply_logging(config);
	log_tlshd_notes(config);
	raise_fd_limit();
	/* Before the socket exists: a SIGHUP from then on must not kill us. */
	ret = block_signals(&sig_fd);
	if (ret) {
		log_error("signalfd: %s", strerror(-ret));
		free(config);
		return 1;
	}
	ret = ktlsd_identity_resolve(config, &spawn.id, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		close(sig_fd);
		free(config);
		return EXIT_CONFIG;
	}
	/* A kernel without upcalls is an exit status; the worker opens its own. */
	ret = ktlsd_upcall_open(config, &up, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		close(sig_fd);
		free(config);
		return 1;
	}
	spawn.upcalls = !!up;
	upcall_close(up);
	if (!spawn.upcalls && !serves_handoffs(config)) {
		log_error("%s: nothing to serve: no [server] or [client] for handoffs, %s",
			  config->path, "and no kernel upcalls on this kernel");
		ret = -ENOENT;
		goto close_signals;
	}
	if (serves_handoffs(config)) {
		ret = ktlsd_listen(config, &spawn.listen_fd, err, sizeof(err));
		if (ret) {
			log_error("%s", err);
			goto close_signals;
		}
		/* A reload may name another path; this one is ours to remove. */
		snprintf(bound, sizeof(bound), "%s", config->handoff_path);
	}
	spawn.threads = config->threads ? config->threads : online_cpus();
	spawn.keep_out[spawn.nr_keep_out++] = sig_fd;
	check_kernel();
	if (!foreground) {
		ret = detach(&ready_fd);
		if (ret) {
			log_error("fork: %s", strerror(-ret));
			goto close_listener;
		}
		spawn.keep_out[spawn.nr_keep_out++] = ready_fd;
	}
	if (spawn.id.note[0])
		log_warning("%s", spawn.id.note);
	ret = ktlsd_generation_start(config, &spawn, &gens[0], err, sizeof(err));
	if (!ret)
		config = NULL;	/* the generation's now */
	if (ret) {
		log_error("%s", err);
		detached(&ready_fd, EXIT_CONFIG);
		ret = EXIT_CONFIG;
		goto close_listener;
	}
	nr_gens = 1;
	gen = &gens[0];
	log_info("ready: %d event loop%s, handoff socket %s, kernel upcalls %s",
		 spawn.threads, spawn.threads == 1 ? "" : "s",
		 bound[0] ? bound : "off", spawn.upcalls ? "on" : "off");
	if (spawn.upcalls)
		log_info("worker pid %d and key process pid %d run as %s, without capabilities; upcall broker pid %d as root with CAP_NET_ADMIN only, under Landlock and seccomp",
			 (int)gen->worker, (int)gen->keys, spawn.id.name,
			 (int)gen->broker);
	else
		log_info("worker pid %d and key process pid %d run as %s, without capabilities",
			 (int)gen->worker, (int)gen->keys, spawn.id.name);
	detached(&ready_fd, 0);
	sd_notify(0, "READY=1");
	ret = control(sig_fd, path, &spawn) ? 1 : 0;
	sd_notify(0, "STOPPING=1");
	stop_all();
close_listener:
	if (spawn.listen_fd >= 0) {
		unlink(bound);
		close(spawn.listen_fd);
	}
close_signals:
	free(config);
	close(sig_fd);
	if (ret < 0)
		ret = 1;
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "tlshd-config", required_argument, NULL, 'T' },
		{ "tlshd", no_argument, NULL, 't' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = KTLSD_DEFAULT_CONFIG;
	bool foreground = false, check_only = false;
	struct ktlsd_profile *profile;
	struct ktlsd_config *config;
	char err[1024] = "";
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "c:fh", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'T':
			path = optarg;
			tlshd_format = true;
			break;
		case 't':
			path = tlshd_config_path();
			if (!path)
				return EXIT_CONFIG;
			tlshd_format = true;
			break;
		case 'f':
			foreground = true;
			break;
		case 'C':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ktlsd %s\n", KTLS_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ktlsd: unexpected argument %s\n", argv[optind]);
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (check_only) {
		ret = load(path, &profile);
		if (ret)
			return ret;
		printf("ktlsd: %s: configuration is valid\n", path);
		ktlsd_profile_put(profile);
		return 0;
	}
	config = parse(path, err, sizeof(err));
	if (!config) {
		fprintf(stderr, "ktlsd: %s\n", err);
		return EXIT_CONFIG;
	}
	return serve(path, config, foreground);
}
