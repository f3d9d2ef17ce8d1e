// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake requests: the list of live ones and who owns each.
 *
 * A request sits in hs_reqs from submission until exactly one of DONE,
 * cancel, a failed ACCEPT or its namespace's exit takes it out:
 * whoever unlinks it owns the list's reference and decides whether the
 * consumer's done callback runs. ACCEPT takes its own reference for the
 * time it builds the reply.
 */

#include <linux/slab.h>
#include <linux/spinlock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "hs.h"

/* Enough for every consumer we know; beyond it, submit says -EAGAIN. */
#define HS_MAX_PENDING	1024

static LIST_HEAD(hs_reqs);
static DEFINE_SPINLOCK(hs_lock);
static unsigned int hs_nr_pending;

/* Per network namespace, under hs_lock. */
struct hs_net {
	bool draining;		/* going away: no new requests */
};

static unsigned int hs_net_id;

static struct hs_net *hs_net(struct net *net)
{
	return net_generic(net, hs_net_id);
}

static void hs_req_release(struct kref *ref)
{
	struct hs_req *req = container_of(ref, struct hs_req, ref);

	sock_put(req->sk);
	kfree(req->peername);
	kfree(req);
}

void hs_req_put(struct hs_req *req)
{
	kref_put(&req->ref, hs_req_release);
}

static struct hs_req *hs_req_find_locked(struct sock *sk)
{
	struct hs_req *req;

	list_for_each_entry(req, &hs_reqs, list)
		if (req->sk == sk)
			return req;
	return NULL;
}

static void hs_req_del_locked(struct hs_req *req)
{
	list_del_init(&req->list);
	if (!req->accepted)
		hs_nr_pending--;
}

/*
 * Queue @req (which holds no references yet) and tell the daemons. On
 * failure @req is freed and nothing of it is left.
 */
int hs_req_submit(struct hs_req *req, gfp_t flags)
{
	int err;

	kref_init(&req->ref);
	INIT_LIST_HEAD(&req->list);
	sock_hold(req->sk);

	spin_lock(&hs_lock);
	/* As Linux: nobody could ever take it. */
	if (hs_net(req->net)->draining) {
		err = -EOPNOTSUPP;
		goto out_unlock;
	}
	if (hs_req_find_locked(req->sk)) {
		err = -EBUSY;
		goto out_unlock;
	}
	if (hs_nr_pending >= HS_MAX_PENDING) {
		err = -EAGAIN;
		goto out_unlock;
	}
	list_add_tail(&req->list, &hs_reqs);
	hs_nr_pending++;
	spin_unlock(&hs_lock);

	err = hs_nl_notify_ready(req->net, flags);
	if (err && !hs_req_unlink(req))
		err = 0;	/* a daemon took it after all */
	else if (err)
		hs_req_put(req);
	return err;

out_unlock:
	spin_unlock(&hs_lock);
	hs_req_put(req);
	return err;
}

/*
 * The oldest request of @net no daemon has taken yet, marked accepted,
 * with a reference for the caller and one on the socket's file: the
 * consumer may cancel and release the socket as soon as the lock drops.
 */
struct hs_req *hs_req_next(struct net *net, struct file **file)
{
	struct hs_req *req;

	spin_lock(&hs_lock);
	list_for_each_entry(req, &hs_reqs, list) {
		if (req->accepted || !net_eq(req->net, net))
			continue;
		req->accepted = true;
		hs_nr_pending--;
		kref_get(&req->ref);
		*file = get_file(req->sock->file);
		spin_unlock(&hs_lock);
		return req;
	}
	spin_unlock(&hs_lock);
	return NULL;
}

/* Take @sk's request out of the list; the caller owns its reference. */
struct hs_req *hs_req_claim(struct sock *sk)
{
	struct hs_req *req;

	spin_lock(&hs_lock);
	req = hs_req_find_locked(sk);
	if (req)
		hs_req_del_locked(req);
	spin_unlock(&hs_lock);
	return req;
}

/*
 * For DONE: as hs_req_claim(), but only a request a daemon accepted.
 * -EBUSY if @sk has none; -EINVAL if nobody accepted it yet, which
 * leaves it queued for the daemon that will.
 */
int hs_req_claim_accepted(struct sock *sk, struct hs_req **reqp)
{
	struct hs_req *req;
	int err = 0;

	spin_lock(&hs_lock);
	req = hs_req_find_locked(sk);
	if (!req)
		err = -EBUSY;
	else if (!req->accepted)
		err = -EINVAL;
	else
		hs_req_del_locked(req);
	spin_unlock(&hs_lock);
	*reqp = err ? NULL : req;
	return err;
}

/* Take @req out if it is still listed; true if the caller now owns it. */
bool hs_req_unlink(struct hs_req *req)
{
	bool listed;

	spin_lock(&hs_lock);
	listed = !list_empty(&req->list);
	if (listed)
		hs_req_del_locked(req);
	spin_unlock(&hs_lock);
	return listed;
}

/* Tell the consumer, then drop the list's reference (the caller's). */
void hs_req_complete(struct hs_req *req, int status, key_serial_t peerid)
{
	req->done(req->data, status, peerid);
	hs_req_put(req);
}

/* Take out a request of @net no daemon accepted yet, if there is one. */
static struct hs_req *hs_req_take_pending(struct net *net)
{
	struct hs_req *req;

	spin_lock(&hs_lock);
	list_for_each_entry(req, &hs_reqs, list) {
		if (req->accepted || !net_eq(req->net, net))
			continue;
		hs_req_del_locked(req);
		spin_unlock(&hs_lock);
		return req;
	}
	spin_unlock(&hs_lock);
	return NULL;
}

/*
 * A dying namespace has no daemon left to take its queued requests:
 * fail them now, as Linux's handshake_net_exit() does, rather than
 * leave them listed until each consumer's timeout. Accepted ones end
 * with the daemon's DONE or the consumer's cancel, as anywhere.
 */
static void __net_exit hs_net_exit(struct net *net)
{
	struct hs_req *req;

	spin_lock(&hs_lock);
	hs_net(net)->draining = true;
	spin_unlock(&hs_lock);

	while ((req = hs_req_take_pending(net)))
		hs_req_complete(req, -ETIMEDOUT, TLS_NO_PEERID);
}

static struct pernet_operations hs_net_ops = {
	.exit	= hs_net_exit,
	.id	= &hs_net_id,
	.size	= sizeof(struct hs_net),
};

int hs_req_init(void)
{
	return register_pernet_subsys(&hs_net_ops);
}

/* After hs_req_drain(): no request is left for the exits to find. */
void hs_req_exit(void)
{
	unregister_pernet_subsys(&hs_net_ops);
}

/*
 * Module exit. Consumers hold a reference on this module while loaded and
 * cancel their requests before unloading, so normally nothing is left; a
 * request still here belongs to a consumer that broke that rule, and its
 * callback is not called (its code may be gone).
 */
void hs_req_drain(void)
{
	struct hs_req *req, *tmp;
	LIST_HEAD(left);

	spin_lock(&hs_lock);
	list_splice_init(&hs_reqs, &left);
	hs_nr_pending = 0;
	spin_unlock(&hs_lock);

	list_for_each_entry_safe(req, tmp, &left, list) {
		list_del_init(&req->list);
		pr_warn("ktlsd_handshake: dropping a request left at unload\n");
		hs_req_put(req);
	}
}
