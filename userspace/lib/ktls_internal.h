/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libktls internals shared between its files; not installed. */
#ifndef KTLS_KTLS_INTERNAL_H
#define KTLS_KTLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "ktls/keysched.h"
#include "ktls/ktls.h"
#include "ktls/tickets.h"
#include "ktls/tls_prot.h"

/*
 * Record-exact socket IO for WolfSSL: a read never crosses the end of the
 * TLS record it is in, so at the switch to kernel TLS every byte the peer
 * sent after its Finished is still in the socket, where the kernel finds it.
 */
struct ktls_record_io {
	int fd;
	uint8_t header[TLS_RECORD_HEADER_LEN];
	size_t header_len;	/* bytes of the next header read so far */
	size_t body_left;	/* bytes of the current record not yet read */
	int last_errno;		/* errno of the last failed recv/send */
	bool peer_closed;
	bool sent;		/* something was sent since the last read */
	uint8_t first[TLS_RECORD_HEADER_LEN];	/* the peer's first bytes */
	size_t first_len;
	bool tx_in_kernel;	/* kTLS TX is on: WolfSSL must not write */
	int round_trips;	/* reads that answered something we sent */
	uint8_t type;		/* content type of the record being read */
	/* what we sent, by records (hello_check.c) */
	uint8_t out_header[TLS_RECORD_HEADER_LEN];
	size_t out_header_len;
	size_t out_body_left;
	bool encrypted;		/* a CCS or encrypted record passed, either way */
	bool alert_sent;	/* a fatal alert went out */
	uint8_t alert;		/* the one we wrote ourselves */
	char refusal[192];	/* why hello_check.c refused the peer, or "" */
	struct ktls_hello_check *check;	/* server: ClientHello checks */
	struct ktls_hs_alerts *hs;	/* server: handshake_alerts.c */
};

void __ktls_record_io_init(struct ktls_record_io *rio, int fd);
int __ktls_record_io_recv(WOLFSSL *ssl, char *buf, int len, void *ctx);
int __ktls_record_io_send(WOLFSSL *ssl, char *buf, int len, void *ctx);
bool __ktls_record_io_at_boundary(const struct ktls_record_io *rio);
void __ktls_record_io_free(struct ktls_record_io *rio);

/*
 * hello_check.c: the alerts of a plaintext handshake that WolfSSL leaves
 * out. Each check returns 0, or -EPROTO once it refused the peer (alert
 * sent, rio->refusal says why).
 */
int __ktls_hello_check_header(struct ktls_record_io *rio, const uint8_t *hdr);
int __ktls_hello_check_body(struct ktls_record_io *rio, WOLFSSL *ssl,
			    const uint8_t *buf, size_t len);
int __ktls_hello_check_send(struct ktls_record_io *rio, const uint8_t *buf,
			    size_t len);
/* A plaintext fatal alert, unless one went out or encryption started. */
void __ktls_hello_check_alert(struct ktls_record_io *rio, uint8_t description);
/* The alert for WolfSSL's error @err, if it sent none. */
void __ktls_hello_check_failure(struct ktls_record_io *rio, int err);
void __ktls_hello_check_free(struct ktls_record_io *rio);

/*
 * handshake_alerts.c: a TLS 1.3 server's alerts under encryption, between
 * its ServerHello and the client's Finished. 0, or -EPROTO once refused.
 */
struct ktls_session;
void __ktls_hs_alerts_secret(struct ktls_session *session, int id,
			     const unsigned char *secret, int len);
int __ktls_hs_alerts_header(struct ktls_record_io *rio, WOLFSSL *ssl,
			    const uint8_t *hdr);
int __ktls_hs_alerts_body(struct ktls_record_io *rio, WOLFSSL *ssl,
			  const uint8_t *buf, size_t len);
void __ktls_hs_alerts_free(struct ktls_record_io *rio);

/*
 * A cipher kernel TLS carries, and where its struct tls12_crypto_info_*
 * keeps each field: install.c fills any of them from this alone.
 */
struct ktls_cipher {
	uint16_t kernel_cipher;	/* TLS_CIPHER_* */
	const char *kernel_aead; /* crypto API algorithm the kernel loads */
	uint8_t key_len;
	uint8_t salt_len;	/* implicit nonce part (GCM/CCM) */
	uint8_t iv_len;		/* explicit/per-record nonce part */
	uint8_t rec_seq_len;
	uint8_t tag_len;
	/* offsetof() each field in the crypto_info, and sizeof() it */
	uint8_t key_off;
	uint8_t salt_off;
	uint8_t iv_off;
	uint8_t rec_seq_off;
	uint8_t info_size;
};

/* A cipher suite we negotiate, and the kernel's cipher for it. */
struct ktls_suite {
	uint16_t iana;
	const char *name;	/* IANA name */
	const char *wolfssl_name;
	uint16_t version;	/* TLS_1_2_VERSION or TLS_1_3_VERSION */
	enum ktls_hash hash;
	const struct ktls_cipher *cipher;
};

const struct ktls_suite *__ktls_suite_find(uint16_t iana);
/* @names (colon-separated IANA names, NULL for all) as a WolfSSL list. */
int __ktls_suites_to_wolfssl(const char *names, uint16_t min_version,
			     uint16_t max_version, char *out, size_t out_len);
/* As many groups as we know: a list names each at most once. */
#define KTLS_MAX_GROUPS 5
/* @names ("X25519:P-256", NULL for the default) as NamedGroup values. */
int __ktls_groups_parse(const char *names, uint16_t *out, size_t *nr_out);
/* Is the NamedGroup @iana one of @names (NULL for the default)? */
bool __ktls_group_in(const char *names, uint16_t iana);
/* Is @iana a post-quantum hybrid (ECDHE + ML-KEM) we know? */
bool __ktls_group_is_hybrid(uint16_t iana);
/* Our name for the NamedGroup @iana, or NULL if we do not offer it. */
const char *__ktls_group_iana_name(uint16_t iana);
/* Our name for the group WolfSSL reports. */
const char *__ktls_group_name(const char *wolfssl_name);

/* Hybrids first: they cost ~1.2 KB more per hello, and protect recordings. */
#define KTLS_DEFAULT_GROUPS \
	"X25519MLKEM768:SecP256r1MLKEM768:X25519:P-256:P-384"

/* Key shares and the server's group preference (groups.c). */
int __ktls_groups_client_shares(struct ktls_session *session);
int __ktls_groups_server_peek(struct ktls_session *session);

struct ktls_ctx {
	WOLFSSL_CTX *wolfssl;
	enum ktls_role role;
	char *server_name;
	int timeout_ms;
	uint16_t min_version, max_version;
	uint64_t key_update_records;
	/* the configured groups, in order of preference (groups.c) */
	uint16_t groups[KTLS_MAX_GROUPS];
	size_t nr_groups;
	bool resumption;
	/* client: the session to resume next, guarded by resume_lock */
	pthread_mutex_t resume_lock;
	WOLFSSL_SESSION *resume;
	/* 0-RTT (early_data.c): 0 is off; a server's single-use tickets */
	uint32_t max_early_data;
	struct ktls_ticket_guard *ticket_guard;
	/*
	 * server (tickets.c): who seals the tickets (seal NULL: WolfSSL's
	 * key), our own keys if it is us, and a ticket's lifetime (0: WolfSSL's)
	 */
	struct ktls_ticket_sealer sealer;
	struct ktls_ticket_keys *own_ticket_keys;
	uint32_t ticket_lifetime_s;
	/* server: a client certificate is required and verified */
	bool verify_client;
	/* client: verification is recorded, not enforced (ktls-probe) */
	bool verify_report_only;
	/* TLS 1.3 external PSK (psk.c), or NULL */
	struct ktls_psk *psk;
	/* the private key is elsewhere (signer.c), or NULL */
	struct ktls_remote_key *remote_key;
};

struct ktls_secret {
	uint8_t bytes[KTLS_MAX_HASH_LEN];
	size_t len;
};

/*
 * A post-handshake message being read after the switch: it may span
 * records (RFC 8446 5.1), and a non-blocking read may stop inside it.
 */
struct ktls_hs_msg {
	uint8_t header[4];	/* msg_type, 24-bit length */
	uint8_t header_len;	/* bytes of it read so far */
	uint8_t first;		/* the body's first byte (KeyUpdate's) */
	uint32_t body_len, body_read;
};

struct ktls_session {
	WOLFSSL *ssl;		/* NULL once ktls_session_drop_handshake() ran */
	int fd;
	enum ktls_role role;
	struct ktls_ctx *ctx;
	struct ktls_record_io rio;
	/* TLS 1.3 application traffic secrets from WolfSSL's secret callback */
	struct ktls_secret client_traffic;
	struct ktls_secret server_traffic;
	const struct ktls_suite *suite;
	uint16_t version;	/* KTLS_TLS_1_2 or KTLS_TLS_1_3 */
	int verify_error;	/* WolfSSL's error for the peer certificate */
	int round_trips;	/* of the handshake */
	short wants;		/* POLLIN/POLLOUT the handshake waits for */
	bool groups_peeked;	/* server: the ClientHello's groups were read */
	bool ulp_attached;
	unsigned int installed;	/* KTLS_TX | KTLS_RX */
	/* TLS 1.3 client keeping tickets: RX waits for the first data */
	bool rx_deferred;
	/* after the switch (records.c) */
	bool rx_closed;		/* close_notify, fatal alert or error seen */
	unsigned int tickets_after_switch;
	struct ktls_hs_msg hs_msg;	/* one cut short by a read, or none */
	bool tx_update_due;	/* the peer asked for our KeyUpdate */
	uint64_t tx_records;	/* sent under the current TX key (upper bound) */
	uint64_t key_update_records;	/* 0: this suite needs no rekey */
	struct ktls_early_data *early;	/* 0-RTT state, or NULL */
	char alpn[256];		/* the protocol agreed on (alpn.c) */
	struct ktls_psk_check *psk_check;	/* hello checks (psk.c), or NULL */
};

/* handshake.c: the session to resume next (client) */
void __ktls_save_resumption(struct ktls_session *session);
/* handshake.c: what a WolfSSL handshake call's @ret means for a step */
int __ktls_handshake_progress(struct ktls_session *session, int ret);

/* early_data.c: 0-RTT; hooks in handshake.c */
int __ktls_early_data_ctx_setup(struct ktls_ctx *ctx,
				const struct ktls_config *config);
void __ktls_early_data_ctx_free(struct ktls_ctx *ctx);
int __ktls_early_data_session_init(struct ktls_session *session);
void __ktls_early_data_session_free(struct ktls_session *session);
void __ktls_early_data_secret(struct ktls_session *session, int id);
int __ktls_early_data_step(struct ktls_session *session);
int __ktls_early_data_skip(struct ktls_session *session);
int __ktls_early_data_claim(struct ktls_ctx *ctx, struct ktls_session *session,
			    const uint8_t *id);

/* tickets.c: the server's ticket callback (ktls/tickets.h) */
int __ktls_tickets_ctx_setup(struct ktls_ctx *ctx,
			     const struct ktls_config *config);
/* 0-RTT: every ticket through our callback; our own keys if no sealer */
int __ktls_tickets_own_keys(struct ktls_ctx *ctx, uint32_t lifetime_s);
void __ktls_tickets_ctx_free(struct ktls_ctx *ctx);

/* install.c: the deferred KTLS_RX, once WolfSSL holds nothing */
int __ktls_install_deferred_rx(struct ktls_session *session);

/* records.c: non-data records after the switch */
int __ktls_send_record(struct ktls_session *session, uint8_t type,
		       const void *data, size_t len);
int __ktls_peer_key_update(struct ktls_session *session, uint8_t request_update);

/*
 * psk.c: TLS 1.3 external PSK, only ever with (EC)DHE. The hello checks
 * read the peer's ClientHello or ServerHello as it arrives and refuse
 * psk_ke (no forward secrecy) before WolfSSL acts on it.
 */
int __ktls_psk_ctx_setup(struct ktls_ctx *ctx, const struct ktls_config *config);
void __ktls_psk_ctx_free(struct ktls_ctx *ctx);
int __ktls_psk_session_init(struct ktls_session *session);
void __ktls_psk_session_free(struct ktls_session *session);
/* -errno with the reason if a PSK handshake failed for a PSK reason, else 0 */
int __ktls_psk_failure(struct ktls_session *session, int err);
/* handshake_done: 0 if the PSK was used as required */
int __ktls_psk_check_done(struct ktls_session *session);

/* files.c: ktls_read_file(), or through config->read_file */
int __ktls_read_config_file(const struct ktls_config *config, const char *what,
			    const char *path, uint8_t **data, size_t *len);

/* signer.c: sign through config->signer (the key lives elsewhere) */
int __ktls_signer_setup(struct ktls_ctx *ctx, const struct ktls_config *config);
void __ktls_signer_free(struct ktls_ctx *ctx);
/*
 * secret_file.c: @path read into pages of their own (never in a core dump,
 * locked in memory where the limit allows); __ktls_secret_free() wipes and
 * unmaps them. -errno with the reason if it cannot be read.
 */
int __ktls_read_secret_file(const char *what, const char *path, uint8_t **buf,
			    size_t *len);
void __ktls_secret_free(uint8_t *buf, size_t len);

/* identity.c: 0 if the context's private key signs for its certificate */
int __ktls_check_key_pair(WOLFSSL_CTX *wctx, const char *key_file,
			  const char *cert_file);

/* verify.c: trust, names, and why a handshake failed */
int __ktls_verify_setup(WOLFSSL_CTX *wctx, const struct ktls_config *config);
/* server: require a client certificate that chains to config->ca_file */
int __ktls_verify_client_setup(WOLFSSL_CTX *wctx,
			       const struct ktls_config *config);
int __ktls_verify_name(WOLFSSL *ssl, const char *name, bool report_only);
/* Report-only clients: the name check, after the handshake. */
void __ktls_verify_report_name(struct ktls_session *session, const char *name);
int __ktls_handshake_failure(struct ktls_session *session, int ret,
			     const char *peer_name);
const char *__ktls_alert_name(int code);
/* "certificate has expired" and the like, for a WolfSSL error code. */
const char *__ktls_cert_error_phrase(int err);

int __ktls_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* As __ktls_fail(), about the struct ktls_config member @field. */
int __ktls_fail_field(enum ktls_config_field field, int err, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));
/*
 * A failure below (@err, its reason already set) was about @field;
 * returns @err, to wrap the failing call. 0 leaves the field alone.
 */
int __ktls_blame(int err, enum ktls_config_field field);
void __ktls_blame_clear(void);

#endif /* KTLS_KTLS_INTERNAL_H */
