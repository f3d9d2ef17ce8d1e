// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-serve: serve a directory over HTTPS, bodies from the page cache
 * through kernel TLS. Options, start-up, the status line; the work is in
 * the workers (worker.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "serve.h"

#define DEFAULT_LISTEN "0.0.0.0:8443"
#define MAX_WORKERS 1024
/*
 * ~60 KiB of WolfSSL state each: 120 MiB at most by default. Per source:
 * room for a busy NAT, or 200 parallel curls (selftests/serve/serve.sh).
 */
#define DEFAULT_MAX_HANDSHAKES 2048
#define DEFAULT_MAX_PER_SOURCE 256
/* A ticket key seals for an hour, then opens for one more (nginx's way). */
#define DEFAULT_TICKET_ROTATE_S 3600

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ktls-serve --root DIR [options]\n"
		"Serve the files beneath DIR over HTTPS (HTTP/1.1); bodies go from the\n"
		"page cache through kernel TLS, or through userspace TLS where the\n"
		"kernel has none (said at start-up).\n"
		"\n"
		"  --root DIR             directory to serve (required)\n"
		"  --listen ADDR:PORT     address to listen on (default "
		DEFAULT_LISTEN ";\n"
		"                         [::]:PORT for IPv6; port 0 picks a free one)\n"
		"  --cert FILE --key FILE PEM certificate chain and private key; without them,\n"
		"                         a self-signed certificate for localhost is made once\n"
		"                         under $XDG_STATE_HOME/ktls-serve/\n"
		"  --ktlsd SOCKET         handshakes by ktlsd at SOCKET (its key, not ours);\n"
		"                         needs kernel TLS\n"
		"  --workers N            worker threads, each with its own io_uring and\n"
		"                         listener (default: one per online CPU)\n"
		"  --body sendfile|splice how bodies enter kernel TLS (default sendfile)\n"
		"  --tls auto|kernel|userspace\n"
		"                         kernel TLS where the kernel has it (auto, the\n"
		"                         default), kernel TLS or refuse to start, or\n"
		"                         userspace TLS (WolfSSL) even where kTLS exists\n"
		"  --ciphers LIST         colon-separated IANA suite names to offer, e.g.\n"
		"                         TLS_AES_128_GCM_SHA256 (default: all kTLS can carry)\n"
		"  --groups LIST          key exchange groups in order of preference, from\n"
		"                         X25519MLKEM768, SecP256r1MLKEM768, X25519, P-256,\n"
		"                         P-384 (default: all, post-quantum hybrids first)\n"
		"  --no-tickets           no session tickets: every connection makes a full\n"
		"                         handshake (default: TLS 1.3 and 1.2 tickets)\n"
		"  --ticket-rotate S      a new ticket key every S seconds (3600); the one\n"
		"                         before still opens tickets for S more; keys are\n"
		"                         this process's own, never written out\n"
		"  --idle-timeout S       close a keep-alive connection idle this long (60)\n"
		"  --request-timeout S    a request head must arrive within S seconds (10)\n"
		"  --handshake-timeout S  a TLS handshake must end within S seconds (10)\n"
		"  --max-handshakes N     handshakes in progress at once, in all (2048);\n"
		"                         a connection over it is closed at once\n"
		"  --max-per-source N     handshakes in progress from one address (an\n"
		"                         IPv6 /64) at once (256); over it: closed at once\n"
		"  --user NAME            serve as this user: dropped to once the listeners\n"
		"                         are bound and the key is loaded (needs root)\n"
		"  --quiet                no log line per response\n"
		"  --help                 this text\n"
		"\n"
		"Once started the process is not dumpable and runs under a seccomp filter:\n"
		"a system call serving does not need kills it (SIGSYS).\n"
		"SIGUSR1 prints a status line (mode and counters) to stderr; SIGINT or\n"
		"SIGTERM stop the server.\n");
}

static int parse_listen(const char *text, struct serve_config *cfg)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&cfg->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&cfg->addr;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(text, ':');
	char *end;
	size_t host_len;
	long port;

	if (!colon)
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return -EINVAL;
	host_len = (size_t)(colon - text);
	if (host_len >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	memset(&cfg->addr, 0, sizeof(cfg->addr));
	if (host_len > 2 && host[0] == '[' && host[host_len - 1] == ']') {
		host[host_len - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -EINVAL;
		cfg->addr_len = sizeof(*in6);
		return 0;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	if (!host_len)
		in->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return -EINVAL;
	cfg->addr_len = sizeof(*in);
	return 0;
}

static int parse_count(const char *opt, const char *text, unsigned int *n)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (*end || end == text || v < 1 || v > 1000000) {
		fprintf(stderr, "ktls-serve: %s %s: want 1 to 1000000\n", opt,
			text);
		return -EINVAL;
	}
	*n = (unsigned int)v;
	return 0;
}

static int parse_seconds(const char *opt, const char *text, int *ms)
{
	char *end;
	long s = strtol(text, &end, 10);

	if (*end || end == text || s <= 0 || s > 86400) {
		fprintf(stderr, "ktls-serve: %s %s: want whole seconds, 1 to 86400\n",
			opt, text);
		return -EINVAL;
	}
	*ms = (int)s * 1000;
	return 0;
}

enum {
	OPT_ROOT = 256, OPT_LISTEN, OPT_CERT, OPT_KEY, OPT_KTLSD, OPT_WORKERS,
	OPT_BODY, OPT_TLS, OPT_CIPHERS, OPT_GROUPS, OPT_IDLE, OPT_REQUEST,
	OPT_HANDSHAKE, OPT_QUIET, OPT_HELP,
	OPT_MAX_HANDSHAKES, OPT_MAX_PER_SOURCE, OPT_USER, OPT_DEBUG_FORBIDDEN,
	OPT_DEBUG_KEY_UPDATE,
	OPT_NO_TICKETS, OPT_TICKET_ROTATE,
};

static const struct option options[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ktlsd", required_argument, NULL, OPT_KTLSD },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "body", required_argument, NULL, OPT_BODY },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "ciphers", required_argument, NULL, OPT_CIPHERS },
	{ "groups", required_argument, NULL, OPT_GROUPS },
	{ "no-tickets", no_argument, NULL, OPT_NO_TICKETS },
	{ "ticket-rotate", required_argument, NULL, OPT_TICKET_ROTATE },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "request-timeout", required_argument, NULL, OPT_REQUEST },
	{ "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE },
	{ "max-handshakes", required_argument, NULL, OPT_MAX_HANDSHAKES },
	{ "max-per-source", required_argument, NULL, OPT_MAX_PER_SOURCE },
	{ "user", required_argument, NULL, OPT_USER },
	/* Test only: shows the sandbox kills a worker that calls execve. */
	{ "debug-forbidden-syscall", no_argument, NULL, OPT_DEBUG_FORBIDDEN },
	/* Test only: our TLS 1.3 KeyUpdate after this many records. */
	{ "debug-key-update-records", required_argument, NULL,
	  OPT_DEBUG_KEY_UPDATE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ 0 }
};

static int parse_args(int argc, char **argv, struct serve_config *cfg)
{
	const char *listen_text = DEFAULT_LISTEN;
	char *end;
	int opt, ms;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case OPT_ROOT:
			cfg->root = optarg;
			break;
		case OPT_LISTEN:
			listen_text = optarg;
			break;
		case OPT_CERT:
			cfg->cert_file = optarg;
			break;
		case OPT_KEY:
			cfg->key_file = optarg;
			break;
		case OPT_KTLSD:
			cfg->ktlsd_path = optarg;
			break;
		case OPT_WORKERS:
			cfg->workers = (int)strtol(optarg, &end, 10);
			if (*end || cfg->workers < 1 ||
			    cfg->workers > MAX_WORKERS) {
				fprintf(stderr, "ktls-serve: --workers %s: want 1 to %d\n",
					optarg, MAX_WORKERS);
				return -EINVAL;
			}
			break;
		case OPT_BODY:
			if (!strcmp(optarg, "sendfile")) {
				cfg->body = BODY_SENDFILE;
			} else if (!strcmp(optarg, "splice")) {
				cfg->body = BODY_SPLICE;
			} else {
				fprintf(stderr, "ktls-serve: --body %s: want sendfile or splice\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_TLS:
			if (!strcmp(optarg, "auto")) {
				cfg->tls_choice = TLS_AUTO;
			} else if (!strcmp(optarg, "kernel")) {
				cfg->tls_choice = TLS_KERNEL;
			} else if (!strcmp(optarg, "userspace")) {
				cfg->tls_choice = TLS_USERSPACE;
			} else {
				fprintf(stderr, "ktls-serve: --tls %s: want auto, kernel or userspace\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_CIPHERS:
			cfg->ciphers = optarg;
			break;
		case OPT_GROUPS:
			cfg->groups = optarg;
			break;
		case OPT_NO_TICKETS:
			cfg->no_tickets = true;
			break;
		case OPT_TICKET_ROTATE:
			if (parse_seconds("--ticket-rotate", optarg, &ms))
				return -EINVAL;
			cfg->ticket_rotate_s = (unsigned int)(ms / 1000);
			break;
		case OPT_IDLE:
			if (parse_seconds("--idle-timeout", optarg,
					  &cfg->idle_timeout_ms))
				return -EINVAL;
			break;
		case OPT_REQUEST:
			if (parse_seconds("--request-timeout", optarg,
					  &cfg->request_timeout_ms))
				return -EINVAL;
			break;
		case OPT_HANDSHAKE:
			if (parse_seconds("--handshake-timeout", optarg,
					  &cfg->handshake_timeout_ms))
				return -EINVAL;
			break;
		case OPT_MAX_HANDSHAKES:
			if (parse_count("--max-handshakes", optarg,
					&cfg->max_handshakes))
				return -EINVAL;
			break;
		case OPT_MAX_PER_SOURCE:
			if (parse_count("--max-per-source", optarg,
					&cfg->max_per_source))
				return -EINVAL;
			break;
		case OPT_USER:
			cfg->user = optarg;
			if (sandbox_lookup_user(optarg, &cfg->uid, &cfg->gid))
				return -EINVAL;
			break;
		case OPT_DEBUG_FORBIDDEN:
			cfg->debug_forbidden = true;
			break;
		case OPT_DEBUG_KEY_UPDATE: {
			unsigned int records;

			if (parse_count("--debug-key-update-records", optarg,
					&records))
				return -EINVAL;
			cfg->key_update_records = records;
			break;
		}
		case OPT_QUIET:
			cfg->quiet = true;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ktls-serve: unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	if (!cfg->root) {
		fprintf(stderr, "ktls-serve: --root DIR is required (the directory to serve)\n");
		return -EINVAL;
	}
	if (!cfg->cert_file != !cfg->key_file) {
		fprintf(stderr, "ktls-serve: --cert and --key go together\n");
		return -EINVAL;
	}
	if (cfg->ktlsd_path && cfg->cert_file) {
		fprintf(stderr, "ktls-serve: with --ktlsd the daemon holds %s\n",
			"the certificate and key: drop --cert and --key");
		return -EINVAL;
	}
	if (cfg->ktlsd_path && (cfg->no_tickets || cfg->ticket_rotate_s)) {
		fprintf(stderr, "ktls-serve: with --ktlsd the daemon runs the handshakes: %s\n",
			"--no-tickets and --ticket-rotate do not apply");
		return -EINVAL;
	}
	if (!cfg->ticket_rotate_s)
		cfg->ticket_rotate_s = DEFAULT_TICKET_ROTATE_S;
	if (parse_listen(listen_text, cfg)) {
		fprintf(stderr, "ktls-serve: --listen %s: want ADDR:PORT, %s\n",
			listen_text, "e.g. 127.0.0.1:8443 or [::1]:8443");
		return -EINVAL;
	}
	return 0;
}

/* Use a made-up certificate only when none was given, and say where. */
static int default_identity(struct serve_config *cfg)
{
	static char cert[PATH_MAX], key[PATH_MAX];
	bool created;
	int ret;

	if (cfg->cert_file || cfg->ktlsd_path)
		return 0;
	ret = selfsigned_ensure(cert, key, sizeof(cert), &created);
	if (ret)
		return ret;
	cfg->cert_file = cert;
	cfg->key_file = key;
	fprintf(stderr, "ktls-serve: %s self-signed certificate for localhost and 127.0.0.1: %s\n",
		created ? "made a" : "using the", cert);
	fprintf(stderr, "ktls-serve: trust it with 'curl --cacert %s', or system-wide:\n",
		cert);
	fprintf(stderr, "ktls-serve:   cp %s %s && update-ca-certificates\n",
		cert, "/usr/local/share/ca-certificates/ktls-serve.crt");
	return 0;
}

/*
 * Every idle connection is a descriptor: take as many as we may (the
 * hard limit, or more where privileged).
 */
static void raise_nofile(void)
{
	struct rlimit rl = { .rlim_cur = 1 << 20, .rlim_max = 1 << 20 };

	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 ||
	    getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void print_status(const struct serve_config *cfg,
			 const struct worker *workers)
{
	struct serve_stats sum = { 0 };
	char tickets[160];
	int i;

	if (cfg->ktlsd_path)
		snprintf(tickets, sizeof(tickets), "tickets: ktlsd's");
	else
		tickets_status(tickets, sizeof(tickets));
	for (i = 0; i < cfg->workers; i++) {
		const struct serve_stats *s = &workers[i].stats;

		sum.accepted += __atomic_load_n(&s->accepted, __ATOMIC_RELAXED);
		sum.open += __atomic_load_n(&s->open, __ATOMIC_RELAXED);
		sum.handshakes += __atomic_load_n(&s->handshakes,
						  __ATOMIC_RELAXED);
		sum.handshake_failures +=
			__atomic_load_n(&s->handshake_failures, __ATOMIC_RELAXED);
		sum.resumed += __atomic_load_n(&s->resumed, __ATOMIC_RELAXED);
		sum.responses += __atomic_load_n(&s->responses,
						 __ATOMIC_RELAXED);
		sum.body_bytes += __atomic_load_n(&s->body_bytes,
						  __ATOMIC_RELAXED);
		sum.timeouts += __atomic_load_n(&s->timeouts, __ATOMIC_RELAXED);
		sum.refused_busy += __atomic_load_n(&s->refused_busy,
						    __ATOMIC_RELAXED);
		sum.refused_per_source +=
			__atomic_load_n(&s->refused_per_source, __ATOMIC_RELAXED);
		sum.refused_no_fd += __atomic_load_n(&s->refused_no_fd,
						     __ATOMIC_RELAXED);
	}
	fprintf(stderr, "ktls-serve: status: %s; workers %d; open %llu; accepted %llu; "
		"handshakes %llu (failed %llu, resumed %llu); %s; responses %llu; body bytes %llu; timeouts %llu; "
		"refused: handshake cap %llu, per source %llu, no descriptor %llu\n",
		tls_mode_text(cfg), cfg->workers,
		(unsigned long long)sum.open, (unsigned long long)sum.accepted,
		(unsigned long long)sum.handshakes,
		(unsigned long long)sum.handshake_failures,
		(unsigned long long)sum.resumed, tickets,
		(unsigned long long)sum.responses,
		(unsigned long long)sum.body_bytes,
		(unsigned long long)sum.timeouts,
		(unsigned long long)sum.refused_busy,
		(unsigned long long)sum.refused_per_source,
		(unsigned long long)sum.refused_no_fd);
}

/* cfg->addr as "host:port", for errors and the log. */
static void describe_address(struct serve_config *cfg)
{
	char host[INET6_ADDRSTRLEN];

	if (cfg->addr.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&cfg->addr;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(cfg->listen_text, sizeof(cfg->listen_text), "[%s]:%d",
			 host, ntohs(in6->sin6_port));
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&cfg->addr;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(cfg->listen_text, sizeof(cfg->listen_text), "%s:%d",
			 host, ntohs(in->sin_port));
	}
}

/* The port the first listener got, for the others and for the log. */
static void bound_address(struct serve_config *cfg, int fd)
{
	socklen_t len = sizeof(cfg->addr);

	getsockname(fd, (struct sockaddr *)&cfg->addr, &len);
	describe_address(cfg);
}

static int open_listeners(struct serve_config *cfg, struct worker *workers)
{
	int i, ret;

	describe_address(cfg);
	ret = worker_address_free(cfg);
	if (ret == -EADDRINUSE) {
		fprintf(stderr,
			"ktls-serve: cannot listen on %s: address already in use (another server listens there; stop it or choose another --listen)\n",
			cfg->listen_text);
		return ret;
	}
	for (i = 0; i < cfg->workers; i++) {
		ret = worker_listen(cfg, &workers[i].listen_fd);
		if (ret) {
			fprintf(stderr, "ktls-serve: cannot listen on %s: %s\n",
				cfg->listen_text,
				strerror(-ret));
			while (i--)
				close(workers[i].listen_fd);
			return ret;
		}
		if (!i)
			bound_address(cfg, workers[0].listen_fd);
	}
	return 0;
}

static int serve(struct serve_config *cfg)
{
	struct timespec next = { 0 };
	struct worker *workers;
	sigset_t signals;
	int i, sig, ret;

	workers = calloc((size_t)cfg->workers, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	ret = open_listeners(cfg, workers);
	if (ret)
		goto free_workers;
	/* Bound, key loaded (or none, with --ktlsd): root is not needed. */
	ret = sandbox_drop_user(cfg);
	if (ret)
		exit(1);
	/* Signals come to this thread only, through sigwait. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	worker_hold_all();
	for (i = 0; i < cfg->workers; i++) {
		workers[i].id = i;
		workers[i].cfg = cfg;
		ret = worker_start(&workers[i]);
		if (ret) {
			fprintf(stderr, "ktls-serve: cannot start worker %d: %s\n",
				i, strerror(-ret));
			exit(1);
		}
	}
	if (sandbox_seccomp())
		exit(1);
	worker_release_all();
	fprintf(stderr, "ktls-serve: mode: %s\n", tls_mode_text(cfg));
	fprintf(stderr,
		"ktls-serve: serving %s on https://%s/ with %d workers\n",
		cfg->root, cfg->listen_text, cfg->workers);
	for (;;) {
		/* Between signals, the ticket keys rotate on time. */
		next.tv_sec = tickets_tick();
		if (next.tv_sec < 0)
			sig = sigwait(&signals, &sig) ? -1 : sig;
		else
			sig = sigtimedwait(&signals, NULL, &next);
		if (sig < 0)
			continue;
		print_status(cfg, workers);
		if (sig != SIGUSR1)
			break;
	}
	worker_stop_all();
	for (i = 0; i < cfg->workers; i++)
		pthread_join(workers[i].thread, NULL);
	tickets_free();
	ret = 0;
free_workers:
	free(workers);
	return ret;
}

int main(int argc, char **argv)
{
	struct serve_config cfg = {
		.body = BODY_SENDFILE,
		.idle_timeout_ms = 60000,
		.request_timeout_ms = 10000,
		.handshake_timeout_ms = KTLS_DEFAULT_TIMEOUT_MS,
		.max_handshakes = DEFAULT_MAX_HANDSHAKES,
		.max_per_source = DEFAULT_MAX_PER_SOURCE,
		.key_update_records = KTLS_KEY_UPDATE_RECORDS,
	};
	long cpus;

	setvbuf(stderr, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &cfg))
		return 2;
	if (!cfg.workers) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		cfg.workers = cpus > 0 ? (cpus < MAX_WORKERS ? (int)cpus :
							       MAX_WORKERS) :
					 1;
	}
	cfg.root_fd = open(cfg.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfg.root_fd < 0) {
		fprintf(stderr, "ktls-serve: --root %s: %s\n", cfg.root,
			strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (tls_detect(&cfg) || limits_init(&cfg))
		return 1;
	if (default_identity(&cfg) || tls_setup(&cfg))
		return 1;
	return serve(&cfg) ? 1 : 0;
}
