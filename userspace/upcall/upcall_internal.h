/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libupcall internals. */
#ifndef KTLSD_UPCALL_INTERNAL_H
#define KTLSD_UPCALL_INTERNAL_H

#include <pthread.h>
#include <libmnl/libmnl.h>

#include "ktls/ktls.h"
#include "upcall.h"

/*
 * A keyring an ACCEPT linked into our process keyring. Linux 6.12 links
 * the request's keyring without telling us which (no KEYRING attribute
 * in its reply): every request in flight since it appeared holds it, so
 * whichever request it was for can still read it.
 */
struct upcall_ring {
	int32_t serial;
	unsigned int users;		/* requests in flight that hold it */
	uint64_t added_seq;		/* the ACCEPT that linked it */
	bool pinned;			/* linked for good (upcall_keyring_link) */
};

struct upcall {
	struct mnl_socket *mcast;	/* READY notifications: the fd to poll */
	struct mnl_socket *cmd;		/* ACCEPT and DONE, one at a time */
	/*
	 * Guards cmd and seq (the loops share them) and rings: an ACCEPT
	 * (where the kernel links the request's keyring) and the unlink at
	 * the last DONE naming that keyring never interleave.
	 */
	pthread_mutex_t cmd_lock;
	uint32_t cmd_portid;
	uint32_t seq;
	struct upcall_caps caps;
	struct upcall_ring *rings;
	unsigned int nr_rings;
	uint64_t accept_seq;		/* ACCEPTs so far */
};

/*
 * Send @nlh on the command socket and run @cb on the answers until the
 * ack; the _locked flavour with cmd_lock held.
 */
int upcall_transact(struct upcall *up, struct nlmsghdr *nlh, mnl_cb_t cb,
		    void *data);
int upcall_transact_locked(struct upcall *up, struct nlmsghdr *nlh,
			   mnl_cb_t cb, void *data);

/*
 * Request keyrings (keys.c), with cmd_lock held. Before an ACCEPT, what
 * our process keyring links (malloc'd; NULL and 0 if nothing); after it,
 * upcall_rings_hold() makes @req hold every keyring linked since, and
 * every other one an earlier request in flight holds; at its DONE,
 * upcall_rings_release() lets go, unlinking what nobody holds any more.
 */
int32_t *upcall_process_links(unsigned int *n);
void upcall_rings_hold(struct upcall *up, struct upcall_req *req,
		       const int32_t *before, unsigned int n_before);
void upcall_rings_release(struct upcall *up, struct upcall_req *req);
void upcall_rings_free(struct upcall *up);
struct nlmsghdr *upcall_msg(void *buf, uint16_t type,
			    uint8_t cmd, uint8_t version);

/*
 * One ACCEPT reply message into @req (accept.c; pure, so it can be
 * fuzzed): -EPROTO if an attribute did not validate. Attributes newer
 * than us are ignored; HANDSHAKE_A_ACCEPT_KEYRING sets keyring_seen.
 */
int upcall_accept_parse(const struct nlmsghdr *nlh, struct upcall_req *req,
			struct upcall_caps *caps);

/*
 * Key material (der.c): is it PEM; DER turned into PEM (malloc'd), a
 * certificate or a private key. -EKEYREJECTED with a reason if it is not.
 */
bool upcall_is_pem(const uint8_t *data, size_t len);
int upcall_der_to_pem(int32_t serial, const uint8_t *der, size_t len,
		      bool private_key, uint8_t **pem, size_t *pem_len);

#endif /* KTLSD_UPCALL_INTERNAL_H */
