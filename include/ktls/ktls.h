/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libktls: run a TLS handshake in userspace with WolfSSL, then hand the
 * connection's keys and record sequence numbers to kernel TLS.
 *
 * Functions return 0 or a negative errno. On failure, ktls_reason() says
 * why in words a user can act on; it is per thread and valid until the
 * next failing call in that thread.
 */
#ifndef KTLS_KTLS_H
#define KTLS_KTLS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum ktls_role {
	KTLS_ROLE_CLIENT,
	KTLS_ROLE_SERVER,
};

/* Protocol versions, as on the wire. */
#define KTLS_TLS_1_2 0x0303
#define KTLS_TLS_1_3 0x0304

/* A ticket's clear fields, and what a ticket sealer answers (tickets.h). */
#define KTLS_TICKET_NAME_LEN 16
#define KTLS_TICKET_IV_LEN 16
#define KTLS_TICKET_MAC_LEN 32
enum ktls_ticket_verdict {
	KTLS_TICKET_FATAL = -1,	/* end the handshake */
	KTLS_TICKET_OK = 0,	/* sealed, or opened: resume */
	KTLS_TICKET_REJECT = 1,	/* not ours, stale or forged: full handshake */
	KTLS_TICKET_RENEW = 2,	/* opened with an old key: resume, issue anew */
};

struct ktls_ticket_sealer;

struct ktls_config {
	enum ktls_role role;
	/* PEM certificate chain and its private key; required for a server. */
	const char *cert_file;
	const char *key_file;
	/* PEM trust store a client verifies the server against; NULL for the
	 * system bundle.
	 */
	const char *ca_file;
	/*
	 * Client: the name the server certificate must carry (a DNS name, also
	 * sent as SNI, or an IP address, matched against IP SANs).
	 */
	const char *server_name;
	/* Versions to allow; 0 means TLS 1.2 and TLS 1.3 respectively. */
	uint16_t min_version;
	uint16_t max_version;
	/*
	 * Colon-separated IANA suite names in order of preference, e.g.
	 * "TLS_AES_256_GCM_SHA384:TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
	 * NULL for every suite kernel TLS can offload. ECDHE only.
	 */
	const char *ciphers;
	/*
	 * Colon-separated groups in order of preference, from X25519MLKEM768,
	 * SecP256r1MLKEM768, X25519, P-256, P-384; NULL for all, in that order.
	 */
	const char *groups;
	/*
	 * Server: issue session tickets (TLS 1.2 in the handshake; TLS 1.3
	 * after it, under the application key, counted in the TX sequence).
	 */
	bool session_tickets;
	/*
	 * Client: keep the last session's ticket in the context and resume
	 * with it on the next handshake. A TLS 1.3 ticket arrives after the
	 * handshake, so such a client reads until its first application data
	 * in userspace (ktls_recv() does this) and installs KTLS_RX then.
	 */
	bool resumption;
	/*
	 * TLS 1.3 0-RTT early data; 0 (the default) turns it off.
	 * Server: accept up to this many bytes of early data on a resumed
	 * connection (needs session_tickets); tickets then become single use,
	 * the replay guard of RFC 8446 §8.1. Client: send up to this many of
	 * the bytes queued with ktls_session_set_early_data() as 0-RTT when
	 * resuming (needs resumption). See "0-RTT early data" below.
	 */
	uint32_t max_early_data;
	/*
	 * TLS 1.3 with AES-GCM/CCM: records sent under one key before
	 * ktls_send()/ktls_sendfile() start a KeyUpdate (RFC 8446 §5.5 limits
	 * a key to 2^24.5 records). 0 means KTLS_KEY_UPDATE_RECORDS.
	 */
	uint64_t key_update_records;
	/* Whole-handshake deadline; 0 means KTLS_DEFAULT_TIMEOUT_MS. */
	int handshake_timeout_ms;
	/*
	 * Diagnostics only (ktls-probe): finish the handshake even if the
	 * server certificate fails verification, and report the verdict in
	 * ktls_session_verify_result(). ktls_install() then refuses.
	 */
	bool verify_report_only;
	/*
	 * Mutual TLS. A client with cert_file and key_file presents them when
	 * asked. A server with verify_client requires a client certificate
	 * that chains to ca_file, which it requires (never the system
	 * bundle); no name is checked. ktls_session_peer_cert() on the
	 * server then gives the client's certificate. With
	 * client_cert_optional as well, the server asks for a certificate,
	 * verifies one if it comes (an untrusted one still fails) and
	 * accepts a client that sends none (ktls_session_peer_certs() 0),
	 * as an NFS server with both xprtsec=tls and mtls exports needs.
	 */
	bool verify_client;
	bool client_cert_optional;
	/*
	 * PEM certificate revocation lists of the CAs in ca_file (a client's,
	 * or a verify_client server's). Every certificate of the peer's chain
	 * is then checked: one listed fails the handshake ("certificate
	 * revoked"), and so does one whose issuer has no CRL in the file
	 * ("no CRL for the certificate's issuer"). Each CRL must be signed by
	 * a CA of ca_file and be current (nextUpdate not passed). NULL: none.
	 */
	const char *crl_file;
	/*
	 * TLS 1.3 external PSK (RFC 8446 §4.2.11), always with (EC)DHE for
	 * forward secrecy: both ends name the same identity and key. A server
	 * with a PSK needs no certificate. The key has 16 to 64 bytes; a PSK
	 * context runs TLS 1.3 only, without tickets, resumption or 0-RTT.
	 * The PSK is used with the first TLS 1.3 suite of ciphers (default
	 * TLS_AES_128_GCM_SHA256, so a SHA-256 PSK; "TLS_AES_256_GCM_SHA384"
	 * for a SHA-384 one): both ends must agree. A PSK client needs no
	 * server_name or ca_file and refuses a server that does not use the
	 * PSK; a peer offering or choosing psk_ke (no (EC)DHE) is refused.
	 */
	const char *psk_identity;
	const uint8_t *psk_key;
	size_t psk_key_len;
	/*
	 * PSK server: instead of one psk_identity and psk_key, find the key
	 * for the identity the client offers (NUL-terminated, from the
	 * network). Write it (16 to 64 bytes) to @key and its length to
	 * *@key_len; set *@cipher to the TLS 1.3 suite it is for (an IANA
	 * name, e.g. "TLS_AES_256_GCM_SHA384" for a SHA-384 PSK) or leave it
	 * NULL for the first suite of ciphers. Return 0, -ENOKEY if there is
	 * no key for @identity (the handshake then fails with -EKEYREJECTED,
	 * "unknown PSK identity"), or another -errno (the handshake fails
	 * with it). Called from the handshake step, in its thread, with
	 * @arg = psk_find_arg.
	 */
	int (*psk_find)(void *arg, const char *identity, uint8_t *key,
			size_t key_max, size_t *key_len, const char **cipher);
	void *psk_find_arg;
	/*
	 * Privilege separation (include/ktls/signer.h). With @signer, the
	 * private key of cert_file lives in another process: key_file must
	 * be NULL and every signature of the handshake is asked of @signer.
	 */
	const struct ktls_signer *signer;
	/*
	 * Where cert_file, key_file and ca_file are read: NULL reads the file
	 * system. A sandboxed process that can no longer open them serves
	 * copies it read earlier: return 0 with a malloc'd copy in *@data
	 * (libktls wipes and frees it), or -errno.
	 */
	int (*read_file)(void *arg, const char *path, uint8_t **data,
			 size_t *len);
	void *read_file_arg;
	/*
	 * Server with session_tickets: seal and open tickets elsewhere
	 * (include/ktls/tickets.h: ktlsd's key process, ktls-serve's
	 * rotating keys) instead of under a random key of the context's;
	 * the context then holds no ticket key. With max_early_data the
	 * single-use guard still runs here: it needs only a ticket's iv.
	 */
	const struct ktls_ticket_sealer *ticket_sealer;
};

/*
 * How libktls reads a file (@what names it in the reason): into a
 * malloc'd buffer, NUL-terminated past *@len, that ktls_file_free() wipes.
 */
int ktls_read_file(const char *what, const char *path, uint8_t **data,
		   size_t *len);
void ktls_file_free(uint8_t *data, size_t len);

#define KTLS_DEFAULT_TIMEOUT_MS 10000
#define KTLS_KEY_UPDATE_RECORDS (1ULL << 24)

/* Directions for ktls_install(). */
#define KTLS_TX 0x1
#define KTLS_RX 0x2

struct ktls_ctx;	/* one configuration, shared by many sessions */
struct ktls_session;	/* one handshake on one socket */

int ktls_ctx_new(const struct ktls_config *config, struct ktls_ctx **ctx);
void ktls_ctx_free(struct ktls_ctx *ctx);

/*
 * Run the handshake on the connected TCP socket @fd (blocking or not; the
 * deadline is enforced with poll). The socket stays the caller's.
 */
int ktls_handshake(struct ktls_ctx *ctx, int fd,
		   struct ktls_session **session);

/*
 * The same handshake for event loops: start it on a non-blocking socket,
 * then call ktls_handshake_step() whenever the socket is ready for what
 * ktls_session_wants() says (POLLIN or POLLOUT). Step returns 0 once the
 * handshake is complete, -EAGAIN to wait again, or -errno (ktls_reason()
 * says why; free the session). The caller owns the deadline:
 * ktls_ctx_timeout_ms() is the configured one.
 */
int ktls_handshake_start(struct ktls_ctx *ctx, int fd,
			 struct ktls_session **session);
int ktls_handshake_step(struct ktls_session *session);
short ktls_session_wants(const struct ktls_session *session);
int ktls_ctx_timeout_ms(const struct ktls_ctx *ctx);

/*
 * ALPN, set before the first ktls_handshake_step(): a client offers
 * @protocols, a server picks the first of its @protocols that the client
 * offered ("h2,http/1.1"). A server with no match goes on without ALPN.
 * ktls_session_alpn() is the protocol agreed on, or "".
 */
int ktls_session_set_alpn(struct ktls_session *session, const char *protocols);
const char *ktls_session_alpn(const struct ktls_session *session);

/*
 * Move the session's keys and next record sequence numbers into the
 * kernel for @dirs (KTLS_TX, KTLS_RX or both). After this, the socket is
 * read and written with plain read/write/sendfile; userspace never sees
 * the records again.
 */
int ktls_install(struct ktls_session *session, unsigned int dirs);

/*
 * Read application data after the switch (KTLS_RX installed). Alerts and
 * post-handshake messages are handled here and never returned as data:
 * returns bytes read, 0 after the peer's close_notify, or -errno:
 * -ECONNRESET for a fatal alert (ktls_reason() names it) or an EOF without
 * close_notify, -EBADMSG for a record that failed authentication (the
 * connection is then closed). A peer's KeyUpdate rekeys the kernel where it
 * can (Linux 6.14+); if it asked for ours, ours goes out at once or, on a
 * full socket, before the next ktls_send() (ktls_flush_key_update()).
 * Where the kernel cannot rekey, the call fails with -EKEYREJECTED after a
 * close_notify to the peer, saying why. Post-handshake messages may span
 * records: a non-blocking read that stops inside one returns -EAGAIN and
 * the session keeps what was read. A malformed one gets its alert
 * (decode_error, unexpected_message, illegal_parameter) before the close.
 * @len must be at least KTLS_RECV_MIN.
 */
#define KTLS_RECV_MIN 64
ssize_t ktls_recv(struct ktls_session *session, void *buf, size_t len);

/*
 * ktls_recv() for a socket with KTLS_RX installed but no session at hand:
 * after a handoff from ktlsd, or after the session was freed to save
 * memory. Same returns; as nothing here holds the traffic secrets, a peer's
 * KeyUpdate closes the connection with -EPROTO and a stated reason, and a
 * NewSessionTicket is dropped. Alerts go out where the socket has kernel
 * TLS TX. Nothing is kept between calls, so a post-handshake message cut
 * short by a non-blocking socket is waited for here, up to 5 s.
 */
ssize_t ktls_recv_fd(int fd, void *buf, size_t len);

/*
 * Send through kernel TLS, counting records so that a TLS 1.3 AES key is
 * updated before its limit. Plain write()/sendfile() on the socket work
 * too, but are not counted. Both return bytes sent or -errno.
 */
ssize_t ktls_send(struct ktls_session *session, const void *buf, size_t len);
ssize_t ktls_sendfile(struct ktls_session *session, int file_fd,
		      off_t *offset, size_t len);

/*
 * Userspace TLS, for kernels without kernel TLS (never after
 * ktls_install()): WolfSSL encrypts and decrypts. Return bytes, 0 after the
 * peer's close_notify, or -errno; on a non-blocking socket -EAGAIN means
 * wait for ktls_session_wants().
 */
ssize_t ktls_tls_recv(struct ktls_session *session, void *buf, size_t len);
ssize_t ktls_tls_send(struct ktls_session *session, const void *buf,
		      size_t len);
/*
 * Userspace TLS: send our close_notify (call once; after -EAGAIN again
 * when the socket is writable). A peer that gets none sees "unexpected
 * eof", and OpenSSL then drops the session: no resumption from it.
 */
int ktls_tls_close_notify(struct ktls_session *session);

/*
 * Send an alert through kernel TLS (KTLS_TX installed): @level 1 warning,
 * 2 fatal; @description as in RFC 8446 §6.
 */
int ktls_send_alert(struct ktls_session *session, uint8_t level,
		    uint8_t description);

/* Send close_notify through kernel TLS (KTLS_TX installed). */
int ktls_close_notify(struct ktls_session *session);
/*
 * The same on a socket alone, one that has kernel TLS TX but no session
 * here (ktlsd installed it). On a non-blocking socket -EAGAIN means no
 * room yet: nothing was sent, call again once it is writable.
 */
int ktls_close_notify_fd(int fd);

/*
 * TLS 1.3 KeyUpdate of our sending key (RFC 8446 §4.6.3), asking the peer to
 * update too if @request_peer. Needs Linux 6.14+ for the kernel rekey.
 */
int ktls_update_keys(struct ktls_session *session, bool request_peer);

/*
 * The KeyUpdate the peer asked for (RFC 8446 4.6.3: before our next data)
 * when ktls_recv() could not send it at once: 0 when none is due or it went
 * out, -EAGAIN on a full non-blocking socket (wait for POLLOUT), -errno.
 * ktls_send()/ktls_sendfile() call it; callers that write the socket
 * themselves call it before they do.
 */
int ktls_flush_key_update(struct ktls_session *session);

/*
 * 0 if this kernel can rekey kernel TLS (a second TLS_TX: Linux 6.14+),
 * else the -errno it answers (-EBUSY before 6.14, -ENOENT without kTLS).
 */
int ktls_kernel_can_rekey(void);

/*
 * 0 if this kernel has kernel TLS (the "tls" TCP upper layer protocol,
 * its module loaded if need be), -ENOENT if it has not, another -errno if
 * it could not be asked; ktls_reason() says which.
 */
int ktls_kernel_has_tls(void);

/*
 * 0-RTT early data (TLS 1.3, RFC 8446 §2.3), used only when both ends set
 * max_early_data.
 *
 * Client: queue @len bytes after ktls_handshake_start() and before the first
 * ktls_handshake_step(). They are the first bytes of the stream whatever
 * happens: when resuming with a ticket that allows early data, up to the
 * smaller of max_early_data and the ticket's limit go out as 0-RTT with the
 * ClientHello; whatever the server did not accept (all of it if it rejected
 * 0-RTT, or there was no ticket) is sent after the handshake, before
 * ktls_handshake_step() returns 0. Nothing is lost or sent twice.
 *
 * Server: 0-RTT data is read during the handshake steps and kept in the
 * session. ktls_session_early_data() gives it (valid until the session is
 * freed); it comes before anything ktls_recv() returns. It can be read
 * while the handshake is still running: the request is there before the
 * client has answered the server's first flight. Early data can be
 * replayed by an attacker; the server's single-use tickets make sure the
 * same 0-RTT data is never delivered twice to one server context, but only
 * idempotent requests belong in it.
 *
 * ktls_session_early_data() on a client gives the bytes the server
 * accepted as 0-RTT. Both return the length, 0 if there was none.
 */
int ktls_session_set_early_data(struct ktls_session *session, const void *buf,
				size_t len);
size_t ktls_session_early_data(const struct ktls_session *session,
			       const uint8_t **data);
/* The server accepted 0-RTT early data on this connection. */
bool ktls_session_early_data_accepted(const struct ktls_session *session);

/* "TLSv1.2" or "TLSv1.3". */
const char *ktls_session_version(const struct ktls_session *session);
/*
 * The IANA cipher suite name, e.g. "TLS_AES_128_GCM_SHA256"; "none" before
 * the peer's hello chose one.
 */
const char *ktls_session_cipher(const struct ktls_session *session);
/*
 * The key exchange group: "X25519MLKEM768", "SecP256r1MLKEM768", "X25519",
 * "P-256" or "P-384"; "none" without one.
 */
const char *ktls_session_group(const struct ktls_session *session);

/* The peer's certificate chain as sent, for display. */
struct ktls_cert_info {
	char subject[256];
	char issuer[256];
	char san[512];		/* "DNS:localhost, IP:127.0.0.1" */
	char not_before[32];	/* "2026-11-28 03:04:05 UTC" */
	char not_after[32];
};

int ktls_session_peer_certs(const struct ktls_session *session);
int ktls_session_peer_cert(const struct ktls_session *session, int index,
			   struct ktls_cert_info *info);
/* "ok", or why the server certificate failed ("certificate has expired"). */
const char *ktls_session_verify_result(const struct ktls_session *session);
bool ktls_session_resumed(const struct ktls_session *session);
/* PSK server: the identity whose key the handshake used, or "". */
const char *ktls_session_psk_identity(const struct ktls_session *session);
/* Times we waited for the peer's answer during the handshake (not TCP). */
int ktls_session_round_trips(const struct ktls_session *session);

/* The socket the session runs on. */
int ktls_session_fd(const struct ktls_session *session);

/*
 * Frees the session and wipes its secrets; the socket is left open. Free
 * every session before the context it came from.
 */
void ktls_session_free(struct ktls_session *session);

/*
 * After ktls_install() of both directions: free the WolfSSL state (tens of
 * KiB) and keep what the connection still needs, TLS 1.3's two traffic
 * secrets for KeyUpdate, in well under 1 KiB. ktls_recv(), ktls_send(),
 * the KeyUpdate calls and ktls_session_free() keep working; what asks
 * WolfSSL (group, certificates, resumption) does not. -EINVAL before the
 * switch.
 */
int ktls_session_drop_handshake(struct ktls_session *session);

const char *ktls_reason(void);

/*
 * The member of struct ktls_config a failed ktls_ctx_new() is about, so
 * that a caller reading its settings from a file can point at the line to
 * fix (netlink's extack names the bad attribute the same way) rather than
 * match words of ktls_reason(). KTLS_FIELD_NONE when the failure is not
 * about one member (out of memory, two that do not go together). Per
 * thread; set by every ktls_ctx_new().
 */
enum ktls_config_field {
	KTLS_FIELD_NONE,
	KTLS_FIELD_CERT_FILE,
	KTLS_FIELD_KEY_FILE,	/* or the signer standing in for it */
	KTLS_FIELD_CA_FILE,
	KTLS_FIELD_CRL_FILE,
	KTLS_FIELD_SERVER_NAME,
	KTLS_FIELD_VERSIONS,	/* min_version, max_version */
	KTLS_FIELD_CIPHERS,
	KTLS_FIELD_GROUPS,
	KTLS_FIELD_PSK,		/* psk_identity, psk_key, psk_find */
};

enum ktls_config_field ktls_reason_field(void);

#endif /* KTLS_KTLS_H */
