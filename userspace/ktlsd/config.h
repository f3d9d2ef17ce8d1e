/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ktlsd.conf(5): the INI file, parsed into plain values with line numbers. */
#ifndef KTLSD_CONFIG_H
#define KTLSD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define KTLSD_DEFAULT_CONFIG "/etc/ktlsd/ktlsd.conf"
#define KTLSD_DEFAULT_TIMEOUT_MS 10000
#define KTLSD_DEFAULT_MAX_IN_FLIGHT 1024
#define KTLSD_DEFAULT_MAX_IN_FLIGHT_PER_UID 512
#define KTLSD_DEFAULT_MAX_WAITING 4096
#define KTLSD_DEFAULT_MAX_WAITING_PER_UID 1024
#define KTLSD_DEFAULT_MAX_UNREQUESTED 256
#define KTLSD_DEFAULT_MAX_UNREQUESTED_PER_UID 32
#define KTLSD_DEFAULT_FIRST_BYTE_TIMEOUT_MS 3000
#define KTLSD_DEFAULT_REQUEST_TIMEOUT_MS 2000
#define KTLSD_MAX_ALLOW 64

/* One [server] or [client] section: what ktlsd does in that TLS role. */
struct ktlsd_role_config {
	bool enabled;		/* the section is present */
	int line;		/* of the [section] header */
	char certificate[PATH_MAX];	/* server */
	char private_key[PATH_MAX];	/* server */
	char trust_store[PATH_MAX];	/* client; "" for the system bundle */
	char crl[PATH_MAX];	/* client: CRLs of the trust store's CAs */
	uint16_t min_version, max_version;	/* 0: TLS 1.2, TLS 1.3 */
	char ciphers[1024];	/* colon-separated IANA names; "" for all */
	char groups[256];	/* "" for all */
	bool session_tickets;	/* server */
	/* lines of the keys above, to blame the right one for a failure */
	int certificate_line, private_key_line, trust_store_line, crl_line;
	int ciphers_line, groups_line, version_line;
};

enum ktlsd_upcall_enable {
	KTLSD_UPCALL_NO,	/* no [upcall] section, or enable = no */
	KTLSD_UPCALL_AUTO,	/* serve upcalls if this kernel has them */
	KTLSD_UPCALL_YES,	/* serve upcalls or refuse to start */
};

/*
 * [upcall]: the kernel's handshake requests (NFS, NVMe/TCP...), and what
 * a request does not name itself by key serial.
 */
struct ktlsd_upcall_config {
	enum ktlsd_upcall_enable enable;
	int line;		/* of the [upcall] header */
	char certificate[PATH_MAX];	/* x509 server */
	char private_key[PATH_MAX];
	char trust_store[PATH_MAX];	/* a client verifies servers; "": system */
	char client_certificate[PATH_MAX];	/* x509 client (mutual TLS) */
	char client_private_key[PATH_MAX];
	char client_trust_store[PATH_MAX];	/* a server verifies clients */
	char crl[PATH_MAX];	/* CRLs for trust_store's CAs; "": none */
	char client_crl[PATH_MAX];	/* for client_trust_store's */
	bool verify_client;	/* x509 server: verify client certificates */
	bool client_cert_optional;	/* verify_client = optional */
	char keyrings[1024];	/* ';'-separated keyring names to link */
	int handshake_timeout_ms;	/* without TIMEOUT; 0: [global]'s */
	bool from_tlshd;	/* read from tlshd's configuration file */
	char tlshd_ignored[1024];	/* "line N: key, ..." ktlsd ignored */
	int certificate_line, private_key_line, trust_store_line;
	int client_certificate_line, client_private_key_line;
	int client_trust_store_line, crl_line, client_crl_line;
};

/* Roles an [allow] rule grants. */
#define KTLSD_ALLOW_SERVER 1u
#define KTLSD_ALLOW_CLIENT 2u

/*
 * One [allow uid NAME|NUM] or [allow gid NAME|NUM] section: what handoff
 * clients of that uid or group may do. With none, every client that can
 * connect to the socket may do everything.
 */
struct ktlsd_allow {
	bool is_gid;
	uint32_t id;		/* the uid or gid */
	char label[80];		/* "allow uid www-data", as in the file */
	int line;		/* of the [section] header */
	unsigned int roles;	/* KTLSD_ALLOW_*; both unless roles = */
	char server_names[1024];	/* comma-separated; "" for any */
	int max_in_flight;	/* 0: [handoff] max_in_flight_per_uid */
	int max_waiting;	/* 0: [handoff] max_waiting_per_uid */
};

enum ktlsd_log_target {
	KTLSD_LOG_STDERR,
	KTLSD_LOG_SYSLOG,
};

struct ktlsd_config {
	char path[PATH_MAX];	/* the file this came from */
	int threads;		/* 0: one per online CPU */
	enum ktlsd_log_target log_target;
	int log_level;		/* enum ktlsd_log_level */
	int handshake_timeout_ms;
	/* the unprivileged user of the worker and key processes; "": default */
	char user[64];
	int user_line;
	char handoff_path[108];	/* sun_path */
	mode_t handoff_mode;
	bool handoff_group_set;
	gid_t handoff_group;
	int handoff_max_in_flight;	/* handoffs at once, over all loops */
	int handoff_max_in_flight_per_uid;
	int handoff_max_waiting;	/* for the TLS peer's first byte */
	int handoff_max_waiting_per_uid;
	int handoff_max_unrequested;	/* connections without a request */
	int handoff_max_unrequested_per_uid;
	int handoff_first_byte_timeout_ms;
	int handoff_request_timeout_ms;
	struct ktlsd_allow allow[KTLSD_MAX_ALLOW];
	int nr_allow;
	struct ktlsd_role_config server, client;
	struct ktlsd_upcall_config upcall;
};

/*
 * Parse @path into @config. On failure returns -errno and writes
 * "PATH:LINE: reason" (or "PATH: reason") to @err.
 */
int ktlsd_config_load(const char *path, struct ktlsd_config *config,
		      char *err, size_t err_len);

/*
 * The same from tlshd's configuration file (tlshd.conf(5)): upcalls only,
 * enable = yes, no handoff socket. config_load() comes here by itself
 * when the file has tlshd's sections and none of ours.
 */
int ktlsd_config_load_tlshd(const char *path, struct ktlsd_config *config,
			    char *err, size_t err_len);

/* The defaults both formats start from. */
void ktlsd_config_defaults(const char *path, struct ktlsd_config *config);

/* The file's format: 1 if tlshd's, 0 if ours, -errno if unreadable. */
int ktlsd_config_is_tlshd(const char *path);

/* Shared by the ktlsd.conf and tlshd.conf parsers. */
/* Write "PATH:LINE: reason" to @err; returns -EINVAL. */
int ktlsd_config_error(char *err, size_t err_len, const char *path,
		       int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* @s without leading and trailing white space (trailing cut in place). */
char *ktlsd_config_trim(char *s);

#endif /* KTLSD_CONFIG_H */
