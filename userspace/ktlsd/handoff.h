/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One handoff on the daemon side: read the request and its fd, check both,
 * run the handshake on the socket, install kernel TLS, answer.
 */
#ifndef KTLSD_HANDOFF_H
#define KTLSD_HANDOFF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ktls/handoff_wire.h"
#include "loop.h"
#include "quota.h"

#define HANDOFF_MAX_GROUPS 64

enum handoff_state {
	HANDOFF_READING,	/* waiting for the request */
	HANDOFF_WAITING,	/* a server waiting for the peer's first byte */
	HANDOFF_HANDSHAKE,
	HANDOFF_DONE,		/* answered; freed after this batch */
};

struct handoff {
	struct ktlsd_task task;		/* its deadline, in its loop */
	struct ktlsd_loop *loop;
	enum handoff_state state;
	struct ktlsd_watch conn_watch, tcp_watch;
	int conn_fd;		/* the application's connection */
	int tcp_fd;		/* our copy of its socket, -1 before/after */
	int tcp_flags;		/* its file status flags, restored at the end */
	uint32_t tcp_events;	/* registered in epoll, 0 if not */
	pid_t peer_pid;
	uid_t peer_uid;
	gid_t peer_gid;
	gid_t groups[HANDOFF_MAX_GROUPS];	/* SO_PEERGROUPS */
	int nr_groups;
	const struct ktlsd_allow *rule;	/* in profile's config, or NULL */
	struct ktls_handoff_wire_req req;
	struct ktlsd_profile *profile;
	struct ktls_ctx *ctx;
	bool own_ctx;
	bool held[KTLSD_QUOTA_KINDS];	/* what it counts in quota.c */
	int64_t end;		/* the handshake's deadline */
	bool first_byte_cut;	/* waiting ends before @end */
	struct ktls_session *session;
};

/*
 * The handoff socket @listen_fd as the loops' source of handoffs
 * (handoff_accept.c): each connection it accepts becomes a handoff.
 */
struct ktlsd_source *handoff_listener(int listen_fd);
/* A new connection from the handoff socket, accepted by @loop. */
int handoff_new(struct ktlsd_loop *loop, int conn_fd);
/*
 * Answer @status and @reason on a handoff connection ktlsd will not take,
 * before closing it (a full fd table, say).
 */
void handoff_refuse(int conn_fd, int status, const char *reason);

#endif /* KTLSD_HANDOFF_H */
