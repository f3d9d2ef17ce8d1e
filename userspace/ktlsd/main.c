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
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "profile.h"
#include "upcall_server.h"

#define KTLSD_VERSION "0.1"
#define EXIT_CONFIG 2

/* --tlshd-config: the file is tlshd's, whatever its sections say. */
static bool tlshd_format;

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
		"usage: ktlsd [-c FILE | --tlshd-config FILE] [-f|--foreground]\n"
		"             [--check-config] [-h|--help] [--version]\n"
		"Run TLS handshakes for applications that pass a connected TCP\n"
		"socket over the handoff socket, and for the kernel's handshake\n"
		"upcall, then install kernel TLS on the socket.\n"
		"\n"
		"  -c, --config FILE  configuration (default " KTLSD_DEFAULT_CONFIG ");\n"
		"                     tlshd's format is recognised by its sections\n"
		"      --tlshd-config FILE  read tlshd's configuration (tlshd.conf(5)):\n"
		"                     kernel upcalls only, as tlshd would serve them\n"
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
	    old->threads != new->threads)
		log_warning("[handoff] and threads take effect at the next start, not on reload");
	if (old->upcall.enable != new->upcall.enable ||
	    strcmp(old->upcall.keyrings, new->upcall.keyrings))
		log_warning("[upcall] enable and keyrings take effect at the next start, not on reload");
}

static void reload(const char *path)
{
	struct ktlsd_profile *old, *profile;
	struct ktlsd_config *config;
	char err[1024] = "";
	int ret;

	config = malloc(sizeof(*config));
	if (!config) {
		log_error("reload: out of memory; keeping the old configuration");
		return;
	}
	ret = config_load(path, config, err, sizeof(err));
	if (!ret)
		ret = ktlsd_profile_new(config, &profile, err, sizeof(err));
	free(config);
	if (ret) {
		log_error("reload failed, keeping the old configuration: %s",
			  err);
		return;
	}
	old = ktlsd_profile_current();
	warn_restart_keys(&old->config, &profile->config);
	ktlsd_profile_put(old);
	apply_logging(&profile->config);
	/* Handshakes in flight keep a reference to the old profile. */
	ktlsd_profile_install(profile);
	log_info("configuration %s reloaded", path);
}

/* Wait for signals until one says stop. */
static int control(int sig_fd, const char *path)
{
	struct signalfd_siginfo si;
	ssize_t n;

	for (;;) {
		n = read(sig_fd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(si)) {
			log_error("signalfd: %s", strerror(errno));
			return -EIO;
		}
		if (si.ssi_signo == SIGHUP) {
			reload(path);
			continue;
		}
		log_info("%s: stopping", strsignal((int)si.ssi_signo));
		return 0;
	}
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
	/* Before any thread starts, so that every thread inherits it. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	*sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	return *sig_fd < 0 ? -errno : 0;
}

static void check_kernel(void)
{
	int ret = ktlsd_kernel_tls_probe();

	if (ret == -ENOENT)
		log_warning("this kernel has no kernel TLS (TCP_ULP \"tls\": ENOENT): every handoff will fail with ENOENT until the tls module is loaded (modprobe tls; the kernel needs CONFIG_TLS)");
	else if (ret)
		log_warning("cannot check for kernel TLS: %s", strerror(-ret));
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

static int serve(const char *path, struct ktlsd_profile *profile,
		 bool foreground)
{
	const struct ktlsd_config *config = &profile->config;
	char bound[sizeof(config->handoff_path)] = "", err[1024] = "";
	int listen_fd = -1, sig_fd, threads, ret;
	struct upcall *up = NULL;

	apply_logging(config);
	log_tlshd_notes(config);
	raise_fd_limit();
	/* Before the socket exists: a SIGHUP from then on must not kill us. */
	ret = block_signals(&sig_fd);
	if (ret) {
		log_error("signalfd: %s", strerror(-ret));
		ktlsd_profile_put(profile);
		return 1;
	}
	/* Before daemon(): a kernel without upcalls is an exit status. */
	ret = ktlsd_upcall_open(config, &up, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		close(sig_fd);
		ktlsd_profile_put(profile);
		return 1;
	}
	if (!up && !serves_handoffs(config)) {
		log_error("%s: nothing to serve: no [server] or [client] for handoffs, %s",
			  config->path, "and no kernel upcalls on this kernel");
		ret = -ENOENT;
		goto close_upcall;
	}
	if (serves_handoffs(config)) {
		ret = ktlsd_listen(config, &listen_fd, err, sizeof(err));
		if (ret) {
			log_error("%s", err);
			goto close_upcall;
		}
		/* A reload may name another path; this one is ours to remove. */
		snprintf(bound, sizeof(bound), "%s", config->handoff_path);
	}
	threads = config->threads ? config->threads : online_cpus();
	ktlsd_profile_install(profile);
	profile = NULL;
	check_kernel();
	if (!foreground && daemon(0, 0)) {
		ret = -errno;
		log_error("daemon: %s", strerror(errno));
		goto close_listener;
	}
	/* After daemon()'s fork: the process keyring is per process. */
	ret = ktlsd_upcall_prepare(config, up, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		goto close_listener;
	}
	ret = ktlsd_loops_start(listen_fd, up ? upcall_fd(up) : -1, threads);
	if (ret) {
		log_error("cannot start %d event loops: %s", threads,
			  strerror(-ret));
		goto close_listener;
	}
	log_info("ready: %d event loop%s, handoff socket %s, kernel upcalls %s",
		 threads, threads == 1 ? "" : "s", bound[0] ? bound : "off",
		 up ? "on" : "off");
	ret = control(sig_fd, path);
	/* Every handoff answered, every upcall DONE, before we go. */
	ktlsd_loops_stop();
close_listener:
	if (listen_fd >= 0) {
		unlink(bound);
		close(listen_fd);
	}
	ktlsd_profile_install(NULL);
close_upcall:
	upcall_close(up);
	close(sig_fd);
	ktlsd_profile_put(profile);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "tlshd-config", required_argument, NULL, 'T' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = KTLSD_DEFAULT_CONFIG;
	bool foreground = false, check_only = false;
	struct ktlsd_profile *profile;
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
			printf("ktlsd %s\n", KTLSD_VERSION);
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
	ret = load(path, &profile);
	if (ret)
		return ret;
	if (check_only) {
		printf("ktlsd: %s: configuration is valid\n", path);
		ktlsd_profile_put(profile);
		return 0;
	}
	return serve(path, profile, foreground);
}
