// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsd_test_consumer: a kernel TLS user of the handshake upcall, for the
 * selftests. Each open file of /proc/ktlsd_test_consumer is one job.
 * Writing a command runs it to the end in the writer's context:
 *
 *   client ADDR PORT [OPTIONS]   connect to ADDR:PORT (IPv4)
 *   server ADDR PORT [OPTIONS]   listen on ADDR:PORT, take one connection
 *   attach FD [OPTIONS]          a client on the writer's connected socket FD
 *   park [OPTIONS]               a client on an unconnected UDP socket: a
 *                                request no daemon can serve, to watch how
 *                                it ends (netns=FD: in that namespace)
 *
 * OPTIONS: auth=anon|x509|psk timeout=MS peername=NAME bytes=N cert=SERIAL
 * key=SERIAL peerid=SERIAL keyring=SERIAL netns=FD. The job asks for the handshake,
 * waits for the daemon's DONE (or its own timeout: then -ETIMEDOUT), sends
 * N bytes through kernel TLS and reads N bytes back. Reading the file
 * gives one line:
 *
 *   status=ERR stage=STAGE sent=N received=N peerid=SERIAL tx=SHA rx=SHA
 *
 * status 0 or -errno, stage where it stopped (socket, connect, accept,
 * submit, handshake, send, recv, ok), tx/rx the SHA-256 of the data.
 */

#include <crypto/sha2.h>
#include <linux/file.h>
#include <linux/inet.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/proc_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "compat.h"

#define TC_CMD_MAX	512
#define TC_CHUNK	16384
#define TC_IO_TIMEOUT	(10 * HZ)
#define TC_DEFAULT_HS_TIMEOUT_MS	10000

enum tc_auth { TC_AUTH_ANON, TC_AUTH_PSK, TC_AUTH_X509 };
enum tc_mode { TC_CLIENT, TC_SERVER, TC_ATTACH, TC_PARK };

struct tc_job {
	struct mutex		lock;		/* one command at a time */

	/* The command. */
	enum tc_mode		mode;
	struct sockaddr_in	addr;
	int			fd;		/* attach */
	int			netns_fd;	/* park; -1: the writer's */
	enum tc_auth		auth;
	struct tls_handshake_args args;
	char			peername[64];
	size_t			bytes;

	/* The done callback's report. */
	bool			hs_done;
	int			hs_status;
	key_serial_t		peerid;

	/* The result. */
	int			status;
	const char		*stage;
	size_t			sent;
	size_t			received;
	u8			tx_sha[SHA256_DIGEST_SIZE];
	u8			rx_sha[SHA256_DIGEST_SIZE];
};

static DECLARE_WAIT_QUEUE_HEAD(tc_wq);
static DEFINE_SPINLOCK(tc_lock);
static bool tc_unloading;

static void tc_done(void *data, int status, key_serial_t peerid)
{
	struct tc_job *job = data;

	job->hs_status = status;
	job->peerid = peerid;
	/* Publish status and peerid before the flag tc_wait reads. */
	smp_store_release(&job->hs_done, true);
	wake_up_all(&tc_wq);
}

static bool tc_hs_done(struct tc_job *job)
{
	/* Pairs with tc_done's release: the flag, then status and peerid. */
	return smp_load_acquire(&job->hs_done);
}

static int tc_submit(struct tc_job *job)
{
	bool client = job->mode != TC_SERVER;

	switch (job->auth) {
	case TC_AUTH_ANON:
		if (!client)
			return -EINVAL;
		return tls_client_hello_anon(&job->args, GFP_KERNEL);
	case TC_AUTH_PSK:
		return client ? tls_client_hello_psk(&job->args, GFP_KERNEL) :
				tls_server_hello_psk(&job->args, GFP_KERNEL);
	case TC_AUTH_X509:
		return client ? tls_client_hello_x509(&job->args, GFP_KERNEL) :
				tls_server_hello_x509(&job->args, GFP_KERNEL);
	}
	return -EINVAL;
}

/*
 * Wait for DONE, our own timeout, a signal or unloading. Whatever stops
 * the wait, the request is either withdrawn or its callback has run
 * when this returns.
 */
static int tc_wait_handshake(struct tc_job *job, struct socket *sock)
{
	unsigned long timeout = msecs_to_jiffies(job->args.ta_timeout_ms);
	long left;
	int err;

	left = wait_event_interruptible_timeout(tc_wq,
						tc_hs_done(job) ||
						READ_ONCE(tc_unloading),
						timeout);
	if (tc_hs_done(job))
		return job->hs_status;
	err = left < 0 ? -EINTR : left == 0 ? -ETIMEDOUT : -ESHUTDOWN;
	if (tls_handshake_cancel(sock->sk))
		return err;
	/* DONE won the race: its callback is running; it is brief. */
	wait_event(tc_wq, tc_hs_done(job));
	return job->hs_status;
}

static int tc_send(struct tc_job *job, struct socket *sock, u8 *buf)
{
	struct ktlsd_sha256_ctx sha;
	size_t off = 0;
	int n;

	sha256_init(&sha);
	while (off < job->bytes) {
		size_t len = min_t(size_t, job->bytes - off, TC_CHUNK);
		struct kvec iov = { .iov_base = buf, .iov_len = len };
		struct msghdr msg = {};
		size_t i;

		for (i = 0; i < len; i++)
			buf[i] = (u8)((off + i) * 131 + ((off + i) >> 12));
		sha256_update(&sha, buf, len);
		n = kernel_sendmsg(sock, &msg, &iov, 1, len);
		if (n < 0)
			return n;
		if ((size_t)n != len)
			return -EIO;	/* blocking send: all or an error */
		off += len;
		job->sent = off;
	}
	sha256_final(&sha, job->tx_sha);
	return 0;
}

static int tc_recv(struct tc_job *job, struct socket *sock, u8 *buf)
{
	struct ktlsd_sha256_ctx sha;
	int n;

	sha256_init(&sha);
	while (job->received < job->bytes) {
		size_t len = min_t(size_t, job->bytes - job->received, TC_CHUNK);
		struct kvec iov = { .iov_base = buf, .iov_len = len };
		struct msghdr msg = {};

		n = kernel_recvmsg(sock, &msg, &iov, 1, len, 0);
		if (n < 0)
			return n;
		if (n == 0)
			return -ECONNRESET;	/* the peer closed early */
		sha256_update(&sha, buf, n);
		job->received += n;
	}
	sha256_final(&sha, job->rx_sha);
	return 0;
}

/*
 * park's socket, in the namespace netns= names. A kernel socket does not
 * hold its namespace: the namespace may die under the request, which is
 * what park is for. UDP, unbound, touches no namespace state on release.
 */
static int tc_park_socket(struct tc_job *job, struct socket **out)
{
	struct net *net;
	int err;

	job->stage = "socket";
	net = job->netns_fd < 0 ? get_net(current->nsproxy->net_ns) :
				  get_net_ns_by_fd(job->netns_fd);
	if (IS_ERR(net))
		return PTR_ERR(net);
	err = sock_create_kern(net, AF_INET, SOCK_DGRAM, IPPROTO_UDP, out);
	put_net(net);
	return err;
}

/* A connected socket, from connect() or from accept() on a listener. */
static int tc_connect(struct tc_job *job, struct socket **out)
{
	struct net *net = current->nsproxy->net_ns;
	struct socket *lsock, *sock;
	int err;

	if (job->mode == TC_PARK)
		return tc_park_socket(job, out);
	job->stage = "socket";
	err = sock_create_kern(net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &lsock);
	if (err)
		return err;
	lsock->sk->sk_rcvtimeo = TC_IO_TIMEOUT;
	lsock->sk->sk_sndtimeo = TC_IO_TIMEOUT;
	if (job->mode == TC_CLIENT) {
		job->stage = "connect";
		err = kernel_connect(lsock, KTLSD_SOCKADDR(&job->addr),
				     sizeof(job->addr), 0);
		if (err) {
			sock_release(lsock);
			return err;
		}
		*out = lsock;
		return 0;
	}

	job->stage = "accept";
	sock_set_reuseaddr(lsock->sk);
	err = kernel_bind(lsock, KTLSD_SOCKADDR(&job->addr),
			  sizeof(job->addr));
	if (!err)
		err = kernel_listen(lsock, 1);
	if (!err)
		err = kernel_accept(lsock, &sock, 0);
	sock_release(lsock);
	if (err)
		return err;
	sock->sk->sk_rcvtimeo = TC_IO_TIMEOUT;
	sock->sk->sk_sndtimeo = TC_IO_TIMEOUT;
	*out = sock;
	return 0;
}

static int tc_run(struct tc_job *job)
{
	struct socket *sock;
	struct file *file;
	u8 *buf;
	int err;

	if (job->mode == TC_ATTACH) {
		job->stage = "socket";
		sock = sockfd_lookup(job->fd, &err);
		if (!sock)
			return err;
		file = sock->file;	/* sockfd_lookup's reference */
	} else {
		err = tc_connect(job, &sock);
		if (err)
			return err;
		/* The daemon receives the socket as a file descriptor. */
		file = sock_alloc_file(sock, 0, NULL);
		if (IS_ERR(file))
			return PTR_ERR(file);	/* sock_alloc_file released sock */
	}

	job->args.ta_sock = sock;
	job->args.ta_done = tc_done;
	job->args.ta_data = job;
	job->stage = "submit";
	err = tc_submit(job);
	if (err)
		goto out_fput;

	job->stage = "handshake";
	err = tc_wait_handshake(job, sock);
	if (err)
		goto out_fput;

	buf = kmalloc(TC_CHUNK, GFP_KERNEL);
	if (!buf) {
		err = -ENOMEM;
		goto out_fput;
	}
	job->stage = "send";
	err = tc_send(job, sock, buf);
	if (!err) {
		job->stage = "recv";
		err = tc_recv(job, sock, buf);
	}
	kfree(buf);
	if (!err) {
		job->stage = "ok";
		tls_handshake_close(sock);
	}
out_fput:
	fput(file);
	return err;
}

static int tc_parse_serial(const char *val, key_serial_t *serial)
{
	return kstrtos32(val, 0, serial);
}

static int tc_parse_option(struct tc_job *job, char *opt)
{
	struct tls_handshake_args *args = &job->args;
	char *val = strchr(opt, '=');

	if (!val)
		return -EINVAL;
	*val++ = '\0';
	if (!strcmp(opt, "auth")) {
		if (!strcmp(val, "anon"))
			job->auth = TC_AUTH_ANON;
		else if (!strcmp(val, "psk"))
			job->auth = TC_AUTH_PSK;
		else if (!strcmp(val, "x509"))
			job->auth = TC_AUTH_X509;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(opt, "timeout"))
		return kstrtouint(val, 0, &args->ta_timeout_ms);
	if (!strcmp(opt, "bytes"))
		return kstrtoul(val, 0, (unsigned long *)&job->bytes);
	if (!strcmp(opt, "peername")) {
		if (strscpy(job->peername, val, sizeof(job->peername)) < 0)
			return -EINVAL;
		args->ta_peername = job->peername;
		return 0;
	}
	if (!strcmp(opt, "cert"))
		return tc_parse_serial(val, &args->ta_my_cert);
	if (!strcmp(opt, "key"))
		return tc_parse_serial(val, &args->ta_my_privkey);
	if (!strcmp(opt, "keyring"))
		return tc_parse_serial(val, &args->ta_keyring);
	if (!strcmp(opt, "netns"))
		return kstrtoint(val, 0, &job->netns_fd);
	if (!strcmp(opt, "peerid")) {
		if (args->ta_num_peerids >= ARRAY_SIZE(args->ta_my_peerids))
			return -E2BIG;
		return tc_parse_serial(val,
				       &args->ta_my_peerids[args->ta_num_peerids++]);
	}
	return -EINVAL;
}

static int tc_parse_mode(struct tc_job *job, const char *word)
{
	static const char * const modes[] = {
		[TC_CLIENT] = "client", [TC_SERVER] = "server",
		[TC_ATTACH] = "attach", [TC_PARK] = "park",
	};
	int i = match_string(modes, ARRAY_SIZE(modes), word);

	if (i < 0)
		return i;
	job->mode = i;
	return 0;
}

/* How many words follow the mode before the options. */
static int tc_mode_args(const struct tc_job *job)
{
	switch (job->mode) {
	case TC_CLIENT:
	case TC_SERVER:
		return 2;
	case TC_ATTACH:
		return 1;
	case TC_PARK:
		break;
	}
	return 0;
}

static int tc_parse(struct tc_job *job, char *cmd)
{
	char *word, *args[2] = {};
	u16 portnum;
	int err, i;

	memset(&job->args, 0, sizeof(job->args));
	job->auth = TC_AUTH_X509;
	job->bytes = 0;
	job->netns_fd = -1;
	job->args.ta_timeout_ms = TC_DEFAULT_HS_TIMEOUT_MS;
	for (i = 0; (word = strsep(&cmd, " \t\n")); ) {
		if (!*word)
			continue;
		err = 0;
		if (i == 0)
			err = tc_parse_mode(job, word);
		else if (i <= tc_mode_args(job))
			args[i - 1] = word;
		else
			err = tc_parse_option(job, word);
		if (err)
			return err;
		i++;
	}
	if (!i || (job->mode != TC_PARK && job->netns_fd >= 0))
		return -EINVAL;
	if (job->mode == TC_PARK)
		return 0;
	if (job->mode == TC_ATTACH)
		return args[0] ? kstrtoint(args[0], 10, &job->fd) : -EINVAL;
	if (!args[0] || !args[1] || kstrtou16(args[1], 10, &portnum))
		return -EINVAL;
	job->addr.sin_family = AF_INET;
	job->addr.sin_port = htons(portnum);
	if (!in4_pton(args[0], -1, (u8 *)&job->addr.sin_addr.s_addr, -1, NULL))
		return -EINVAL;
	return 0;
}

static ssize_t tc_write(struct file *file, const char __user *ubuf,
			size_t count, loff_t *ppos)
{
	struct tc_job *job = file->private_data;
	char *cmd;
	int err;

	if (count >= TC_CMD_MAX)
		return -E2BIG;
	cmd = memdup_user_nul(ubuf, count);
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);

	mutex_lock(&job->lock);
	err = tc_parse(job, cmd);
	if (err)
		goto out_unlock;

	spin_lock(&tc_lock);
	if (tc_unloading) {
		spin_unlock(&tc_lock);
		err = -ESHUTDOWN;
		goto out_unlock;
	}
	spin_unlock(&tc_lock);

	job->hs_done = false;
	job->peerid = TLS_NO_PEERID;
	job->sent = 0;
	job->received = 0;
	memset(job->tx_sha, 0, sizeof(job->tx_sha));
	memset(job->rx_sha, 0, sizeof(job->rx_sha));
	job->status = tc_run(job);
out_unlock:
	mutex_unlock(&job->lock);
	kfree(cmd);
	return err ? err : count;
}

static ssize_t tc_read(struct file *file, char __user *ubuf, size_t count,
		       loff_t *ppos)
{
	struct tc_job *job = file->private_data;
	char line[256];
	int len;

	mutex_lock(&job->lock);
	len = scnprintf(line, sizeof(line),
			"status=%d stage=%s sent=%zu received=%zu peerid=%d tx=%*phN rx=%*phN\n",
			job->status, job->stage, job->sent, job->received,
			job->peerid, SHA256_DIGEST_SIZE, job->tx_sha,
			SHA256_DIGEST_SIZE, job->rx_sha);
	mutex_unlock(&job->lock);
	return simple_read_from_buffer(ubuf, count, ppos, line, len);
}

static int tc_open(struct inode *inode, struct file *file)
{
	struct tc_job *job = kzalloc(sizeof(*job), GFP_KERNEL);

	if (!job)
		return -ENOMEM;
	mutex_init(&job->lock);
	job->stage = "none";
	file->private_data = job;
	return 0;
}

static int tc_release(struct inode *inode, struct file *file)
{
	struct tc_job *job = file->private_data;

	mutex_destroy(&job->lock);
	kfree(job);
	return 0;
}

static const struct proc_ops tc_proc_ops = {
	.proc_open	= tc_open,
	.proc_read	= tc_read,
	.proc_write	= tc_write,
	.proc_release	= tc_release,
	.proc_lseek	= default_llseek,
};

static int __init tc_init(void)
{
	if (!proc_create("ktlsd_test_consumer", 0600, NULL, &tc_proc_ops))
		return -ENOMEM;
	return 0;
}

/*
 * Jobs in flight see tc_unloading, withdraw their requests and return;
 * removing the proc entry waits for their writes to end.
 */
static void __exit tc_exit(void)
{
	spin_lock(&tc_lock);
	WRITE_ONCE(tc_unloading, true);
	spin_unlock(&tc_lock);
	wake_up_all(&tc_wq);
	remove_proc_entry("ktlsd_test_consumer", NULL);
}

module_init(tc_init);
module_exit(tc_exit);

MODULE_DESCRIPTION("ktlsd: kernel TLS consumer of the handshake upcall, for tests");
MODULE_LICENSE("GPL");
