/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ktls-serve's runtime: workers (one per CPU, each with its own io_uring
 * and SO_REUSEPORT listener), connections, the TLS side of a connection
 * and the body path. HTTP semantics live in http.h.
 */
#ifndef KTLS_SERVE_SERVE_H
#define KTLS_SERVE_SERVE_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ktls/ktls.h"
#include "http.h"

enum body_method {
	BODY_SENDFILE,
	BODY_SPLICE,
};

/* --tls: kernel TLS where the kernel has it, or one of the two forced. */
enum tls_choice {
	TLS_AUTO,
	TLS_KERNEL,
	TLS_USERSPACE,
};

struct serve_config {
	const char *root;
	int root_fd;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char listen_text[80];	/* "127.0.0.1:8443", the port once bound */
	const char *cert_file, *key_file;
	const char *ktlsd_path;	/* handshakes by ktlsd; NULL: in-process */
	int workers;
	enum body_method body;
	int idle_timeout_ms;	/* keep-alive between requests */
	int request_timeout_ms;	/* a whole request head, from its first byte */
	int handshake_timeout_ms;
	unsigned int max_handshakes;	/* in progress, all workers */
	unsigned int max_per_source;	/* in progress, per source address */
	bool quiet;		/* no line per response */
	enum tls_choice tls_choice;	/* --tls */
	const char *ciphers;	/* --ciphers; NULL: every kTLS suite */
	const char *groups;	/* --groups; NULL: libktls's default order */
	bool no_tickets;	/* --no-tickets: no resumption */
	unsigned int ticket_rotate_s;	/* --ticket-rotate: key period */
	bool ktls;		/* connections go into kernel TLS */
	bool aesni;		/* this CPU has AES-NI (userspace TLS speed) */
	uint64_t key_update_records;	/* our KeyUpdate (or close) at this many */
	bool rekey;		/* the kernel takes new keys (Linux 6.14+) */
	struct ktls_ctx *tls;	/* in-process handshakes; NULL with ktlsd */
	const char *user;	/* --user: serve as this user */
	uid_t uid;
	gid_t gid;
	bool debug_forbidden;	/* test only: a worker tries execve() */
};

/* What a worker counts; written by it, read by the status line. */
struct serve_stats {
	uint64_t accepted;
	uint64_t open;
	uint64_t handshakes;
	uint64_t handshake_failures;
	uint64_t resumed;		/* handshakes that resumed a ticket */
	uint64_t responses;
	uint64_t body_bytes;
	uint64_t timeouts;
	uint64_t refused_busy;		/* over --max-handshakes */
	uint64_t refused_per_source;	/* over --max-per-source */
	uint64_t refused_no_fd;		/* accepted and closed at EMFILE */
};

#define STAT_ADD(w, field, n) \
	__atomic_fetch_add(&(w)->stats.field, (n), __ATOMIC_RELAXED)
#define STAT_SUB(w, field, n) \
	__atomic_fetch_sub(&(w)->stats.field, (n), __ATOMIC_RELAXED)

/* Request bytes kept while a head is incomplete (or pipelined). */
#define REQ_BUF_LEN (HTTP_MAX_HEAD + KTLS_RECV_MIN)

struct conn;

struct worker {
	int id;
	pthread_t thread;
	const struct serve_config *cfg;
	struct io_uring ring;
	int listen_fd;
	bool accept_armed;
	int reserve_fd;		/* given up at EMFILE to accept and close */
	int64_t no_fd_logged_ms;	/* the last "out of descriptors" line */
	struct conn *conns;	/* every open connection, for the sweep */
	int free_pipes[8][2];	/* empty pipes kept for the splice path */
	int nfree_pipes;
	struct serve_stats stats;
	/* Scratch, one connection at a time. */
	char request[REQ_BUF_LEN];
	struct http_response response;
};

enum conn_state {
	CONN_HANDSHAKE,		/* in-process, WolfSSL on the socket */
	CONN_HANDOFF,		/* waiting for ktlsd's answer */
	CONN_READ,		/* between requests or inside a head */
	CONN_REPLY,		/* head, then body */
	CONN_KEY_UPDATE,	/* our TLS 1.3 KeyUpdate at the record limit */
	CONN_CLOSE_NOTIFY,	/* our close_notify, then our FIN */
	CONN_LINGER,		/* said close_notify, draining the client's */
	CONN_CLOSING,		/* waiting for ring operations to finish */
};

/* The response in progress; only a connection that is answering has one. */
struct reply {
	char head[sizeof(((struct http_response *)0)->head)];
	size_t head_len, head_sent;
	int file_fd;
	off_t offset;		/* next file byte to send */
	uint64_t left;		/* body bytes not yet sent */
	uint64_t body_sent;
	int status;
	bool keep_alive;
	char what[128];		/* "GET /path", for the log */
	/* splice: file -> pipe -> socket */
	int pipe[2];
	size_t in_pipe;		/* bytes in the pipe, not yet in the socket */
	int splice_err;
	bool want_pollout;	/* the socket was full: poll before splicing */
	size_t turn_bytes;	/* sent since the ring last had a say */
	/* userspace TLS: a chunk WolfSSL must be given again after EAGAIN */
	char *chunk;
	size_t chunk_len;
};

struct conn {
	struct conn *prev, *next;
	struct worker *w;
	int fd;
	uint8_t state;		/* enum conn_state */
	bool ktls;		/* kernel TLS TX and RX are installed */
	bool head_started;	/* some bytes of the next request arrived */
	bool need_more;		/* req holds an incomplete head */
	uint16_t inflight;	/* ring operations not completed yet */
	int32_t source_bucket;	/* limits.c slot while handshaking, or -1 */
	int handoff_fd;		/* CONN_HANDOFF: ktlsd's answer comes here */
	int64_t deadline_ms;
	uint64_t tx_records;	/* records sent (upper bound) */
	/*
	 * The handshake; then, with kTLS from our own handshake, only the
	 * traffic secrets (KeyUpdate); all along without kTLS.
	 */
	struct ktls_session *session;
	char *req;		/* REQ_BUF_LEN bytes, or NULL */
	size_t req_len;
	struct reply *reply;
};

/* Ring operations, in the low bits of user_data (conn is 8-aligned). */
enum op_kind {
	OP_ACCEPT = 1,
	OP_TIMER,
	OP_POLL,
	OP_SPLICE_IN,
	OP_SPLICE_OUT,
	OP_CANCEL,
};

#define OP_MASK 7ULL

/* What a step of a connection did. */
#define STEP_AGAIN 0		/* progress: run the next step now */
#define STEP_WAIT 1		/* a ring operation will wake it */
#define STEP_DONE 2		/* close, no error */

int64_t serve_now_ms(void);

/* worker.c */
/* 0 if nobody listens on --listen yet, else -EADDRINUSE (or -errno). */
int worker_address_free(const struct serve_config *cfg);
int worker_listen(const struct serve_config *cfg, int *fd);
int worker_start(struct worker *w);
void worker_stop_all(void);
void worker_hold_all(void);
void worker_release_all(void);
struct io_uring_sqe *worker_sqe(struct worker *w);
void worker_arm(struct conn *c, struct io_uring_sqe *sqe, enum op_kind kind);

/* conn.c */
void conn_open(struct worker *w, int fd);
void conn_event(struct conn *c, enum op_kind kind, int res);
void conn_close(struct conn *c, int err, const char *why);
void conn_sweep(struct worker *w, int64_t now);
void conn_close_all(struct worker *w);
int conn_poll(struct conn *c, short events);

/* limits.c: handshakes in progress, in all and per source */
int limits_init(const struct serve_config *cfg);
int limits_take(struct conn *c);
void limits_release(struct conn *c);

/* sandbox.c: --user, not dumpable, seccomp */
int sandbox_lookup_user(const char *name, uid_t *uid, gid_t *gid);
int sandbox_drop_user(const struct serve_config *cfg);
int sandbox_seccomp(void);

/* tls_backend.c: the TLS side of a connection */
int tls_detect(struct serve_config *cfg);
const char *tls_mode_text(const struct serve_config *cfg);
int tls_setup(struct serve_config *cfg);
int tls_begin(struct conn *c);
int tls_step(struct conn *c);
ssize_t tls_read(struct conn *c, void *buf, size_t len);
short tls_wants(const struct conn *c, short events);
ssize_t tls_write(struct conn *c, const void *buf, size_t len, bool more);
int tls_close_notify(struct conn *c);
int tls_key_update_due(struct conn *c);
bool tls_can_update_keys(const struct conn *c);
int tls_update_keys(struct conn *c);
void tls_end(struct conn *c);

/* tickets.c: session ticket keys, rotated; this process's own */
int tickets_init(const struct serve_config *cfg, struct ktls_config *config);
int tickets_tick(void);
void tickets_status(char *buf, size_t len);
void tickets_free(void);

/* body.c */
int body_step(struct conn *c);
void body_splice_done(struct conn *c, enum op_kind kind, int res);
void body_end(struct conn *c);

/* selfsigned.c */
int selfsigned_ensure(char *cert, char *key, size_t path_len, bool *created);

#endif /* KTLS_SERVE_SERVE_H */
