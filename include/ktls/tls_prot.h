/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS protocol numbers (RFC 8446, RFC 5246) and kernel TLS's socket level,
 * defined once for libktls, ktlsd, ktls-serve, the tests and the fuzzers.
 * ktlsd's own: not installed (dist/install.mk installs ktls.h, handoff.h).
 */
#ifndef KTLS_TLS_PROT_H
#define KTLS_TLS_PROT_H

#include <sys/socket.h>

/* Older C libraries lack it; the kernel's number (linux/socket.h). */
#ifndef SOL_TLS
#define SOL_TLS 282
#endif

/* A record: type, legacy version, length (RFC 8446 §5.1). */
#define TLS_RECORD_HEADER_LEN 5
/* The most plaintext one record carries: 2^14 bytes. */
#define TLS_MAX_PLAINTEXT 16384

/* ContentType (RFC 8446 §5.1) */
#define TLS_RECORD_TYPE_INVALID 0
#define TLS_RECORD_TYPE_CHANGE_CIPHER_SPEC 20
#define TLS_RECORD_TYPE_ALERT 21
#define TLS_RECORD_TYPE_HANDSHAKE 22
#define TLS_RECORD_TYPE_DATA 23
#define TLS_RECORD_TYPE_HEARTBEAT 24	/* RFC 6520 */

/* A handshake message: type and a 24-bit length (RFC 8446 §4). */
#define TLS_HS_HEADER_LEN 4

/* HandshakeType (RFC 8446 §4, RFC 5246 §7.4) */
#define TLS_HS_HELLO_REQUEST 0		/* TLS 1.2 only */
#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2
#define TLS_HS_NEW_SESSION_TICKET 4
#define TLS_HS_END_OF_EARLY_DATA 5
#define TLS_HS_ENCRYPTED_EXTENSIONS 8
#define TLS_HS_CERTIFICATE 11
#define TLS_HS_SERVER_KEY_EXCHANGE 12	/* TLS 1.2 only */
#define TLS_HS_CERTIFICATE_REQUEST 13
#define TLS_HS_SERVER_HELLO_DONE 14	/* TLS 1.2 only */
#define TLS_HS_CERTIFICATE_VERIFY 15
#define TLS_HS_CLIENT_KEY_EXCHANGE 16	/* TLS 1.2 only */
#define TLS_HS_FINISHED 20
#define TLS_HS_KEY_UPDATE 24

/*
 * AlertLevel (RFC 8446 §6): TLS 1.3 treats every alert but close_notify
 * and user_canceled as fatal, whatever its level says.
 */
#define TLS_ALERT_LEVEL_WARNING 1
#define TLS_ALERT_LEVEL_FATAL 2

/* AlertDescription (RFC 8446 §6) */
#define TLS_ALERT_DESC_CLOSE_NOTIFY 0
#define TLS_ALERT_DESC_UNEXPECTED_MESSAGE 10
#define TLS_ALERT_DESC_BAD_RECORD_MAC 20
#define TLS_ALERT_DESC_RECORD_OVERFLOW 22
#define TLS_ALERT_DESC_HANDSHAKE_FAILURE 40
#define TLS_ALERT_DESC_BAD_CERTIFICATE 42
#define TLS_ALERT_DESC_UNSUPPORTED_CERTIFICATE 43
#define TLS_ALERT_DESC_CERTIFICATE_REVOKED 44
#define TLS_ALERT_DESC_CERTIFICATE_EXPIRED 45
#define TLS_ALERT_DESC_CERTIFICATE_UNKNOWN 46
#define TLS_ALERT_DESC_ILLEGAL_PARAMETER 47
#define TLS_ALERT_DESC_UNKNOWN_CA 48
#define TLS_ALERT_DESC_ACCESS_DENIED 49
#define TLS_ALERT_DESC_DECODE_ERROR 50
#define TLS_ALERT_DESC_DECRYPT_ERROR 51
#define TLS_ALERT_DESC_PROTOCOL_VERSION 70
#define TLS_ALERT_DESC_INSUFFICIENT_SECURITY 71
#define TLS_ALERT_DESC_INTERNAL_ERROR 80
#define TLS_ALERT_DESC_INAPPROPRIATE_FALLBACK 86
#define TLS_ALERT_DESC_USER_CANCELED 90
#define TLS_ALERT_DESC_NO_RENEGOTIATION 100	/* TLS 1.2 only */
#define TLS_ALERT_DESC_MISSING_EXTENSION 109
#define TLS_ALERT_DESC_UNSUPPORTED_EXTENSION 110
#define TLS_ALERT_DESC_UNRECOGNIZED_NAME 112
#define TLS_ALERT_DESC_BAD_CERTIFICATE_STATUS_RESPONSE 113
#define TLS_ALERT_DESC_UNKNOWN_PSK_IDENTITY 115
#define TLS_ALERT_DESC_CERTIFICATE_REQUIRED 116
#define TLS_ALERT_DESC_NO_APPLICATION_PROTOCOL 120

/* ExtensionType (RFC 8446 §4.2) */
#define TLS_EXT_SERVER_NAME 0
#define TLS_EXT_MAX_FRAGMENT_LENGTH 1	/* RFC 6066 */
#define TLS_EXT_SUPPORTED_GROUPS 10
#define TLS_EXT_SIGNATURE_ALGORITHMS 13
#define TLS_EXT_ALPN 16
#define TLS_EXT_RECORD_SIZE_LIMIT 28	/* RFC 8449 */
#define TLS_EXT_PRE_SHARED_KEY 41
#define TLS_EXT_EARLY_DATA 42
#define TLS_EXT_SUPPORTED_VERSIONS 43
#define TLS_EXT_PSK_KEY_EXCHANGE_MODES 45
#define TLS_EXT_KEY_SHARE 51

/* Records that ride in no IANA table but are sent the same way. */
#include <stdint.h>

/*
 * A fatal alert @description in a plaintext record on @fd: for a refusal
 * made before anything of ours was encrypted (the peer's ClientHello, or
 * ours, is all that passed). Best effort and non-blocking: the connection
 * ends either way. In libktls (records.c); not installed.
 */
void __ktls_plain_alert(int fd, uint8_t description);

#endif /* KTLS_TLS_PROT_H */
