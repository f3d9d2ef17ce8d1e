// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The switch to kernel TLS: attach the "tls" upper layer protocol, then give
 * each direction its key, IV and next record sequence number with
 * setsockopt(SOL_TLS, TLS_TX/TLS_RX).
 */
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls/tls_prot.h"
#include "ktls_internal.h"

/* TLS 1.3 IVs and TLS 1.2 ChaCha20 nonces; GCM/CCM salt + explicit part */
#define NONCE_LEN 12

/*
 * Room for any cipher's struct tls12_crypto_info_*; where each field goes
 * is the suite table's (struct ktls_cipher, suites.c).
 */
union crypto_info {
	struct tls_crypto_info info;
	uint8_t bytes[64];
};

static int attach_ulp(struct ktls_session *session)
{
	int fd = session->fd;

	if (session->ulp_attached)
		return 0;
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) == 0) {
		session->ulp_attached = true;
		return 0;
	}
	switch (errno) {
	case ENOENT:
		return __ktls_fail(-ENOENT,
				 "kernel TLS unavailable: the tls module is not loaded (run 'modprobe tls'; the kernel needs CONFIG_TLS)");
	case ENOTCONN:
		return __ktls_fail(-ENOTCONN,
				 "kernel TLS needs a connected TCP socket: fd %d is not connected",
				 fd);
	case EEXIST:
		return __ktls_fail(-EEXIST,
				 "fd %d already has an upper layer protocol attached",
				 fd);
	default:
		return __ktls_fail(-errno,
				 "cannot attach kernel TLS to fd %d: %s", fd,
				 strerror(errno));
	}
}

static int sequence_number(struct ktls_session *session, unsigned int dir,
			   uint64_t *seq)
{
	word64 value;
	int ret;

	/* Both return !seq on success, so only a negative value fails. */
	if (dir == KTLS_TX)
		ret = wolfSSL_GetSequenceNumber(session->ssl, &value);
	else
		ret = wolfSSL_GetPeerSequenceNumber(session->ssl, &value);
	if (ret < 0)
		return __ktls_fail(-EIO, "WolfSSL did not report the %s sequence number",
				 dir == KTLS_TX ? "send" : "receive");
	*seq = value;
	return 0;
}

static int setsockopt_error(struct ktls_session *session, unsigned int dir,
			    int err)
{
	const char *name = dir == KTLS_TX ? "TLS_TX" : "TLS_RX";
	const struct ktls_suite *suite = session->suite;

	switch (err) {
	case ENOENT:
	case ENOPKG:
		return __ktls_fail(-err,
				 "kernel TLS cannot use %s: the kernel crypto API has no %s (load its module)",
				 suite->name, suite->cipher->kernel_aead);
	case EBUSY:
		return __ktls_fail(-EBUSY,
				 "kernel TLS %s is already set on fd %d; this kernel cannot rekey",
				 name, session->fd);
	default:
		return __ktls_fail(-err, "setsockopt(SOL_TLS, %s) for %s: %s",
				 name, suite->name, strerror(err));
	}
}

/*
 * The key and the 12-byte nonce base of one direction. TLS 1.3: expanded
 * from the traffic secret by our key schedule. TLS 1.2: WolfSSL's key block
 * (for AES-GCM the base is the 4-byte implicit salt; the rest is explicit).
 */
static int direction_keys(struct ktls_session *session, bool client_writes,
			  uint8_t *key, uint8_t iv[NONCE_LEN])
{
	const struct ktls_suite *suite = session->suite;
	const struct ktls_cipher *c = suite->cipher;
	const struct ktls_secret *secret;
	const unsigned char *wkey, *wiv;
	size_t implicit_len;

	if (session->version == KTLS_TLS_1_3) {
		secret = client_writes ? &session->client_traffic :
					 &session->server_traffic;
		return __ktls_traffic_key_iv(suite->hash, secret->bytes, key,
					   c->key_len, iv, NONCE_LEN);
	}

	wkey = client_writes ? wolfSSL_GetClientWriteKey(session->ssl) :
			       wolfSSL_GetServerWriteKey(session->ssl);
	wiv = client_writes ? wolfSSL_GetClientWriteIV(session->ssl) :
			      wolfSSL_GetServerWriteIV(session->ssl);
	implicit_len = c->salt_len ? c->salt_len : NONCE_LEN;
	if (!wkey || !wiv ||
	    wolfSSL_GetKeySize(session->ssl) != c->key_len ||
	    wolfSSL_GetIVSize(session->ssl) != (int)implicit_len)
		return __ktls_fail(-EIO, "WolfSSL did not report the %s key block",
				 suite->name);
	memcpy(key, wkey, c->key_len);
	memset(iv, 0, NONCE_LEN);
	memcpy(iv, wiv, implicit_len);
	return 0;
}

/* Give the kernel @dir's key, with @seq the next record sequence number. */
static int install_dir(struct ktls_session *session, unsigned int dir,
		       uint64_t seq)
{
	const struct ktls_suite *suite = session->suite;
	const struct ktls_cipher *c = suite->cipher;
	bool client_writes = (dir == KTLS_TX) ==
			     (session->role == KTLS_ROLE_CLIENT);
	uint8_t key[32], iv[NONCE_LEN], seq_be[8];
	union crypto_info ci;
	int ret;

	memset(&ci, 0, sizeof(ci));
	if (c->info_size > sizeof(ci) || c->key_len > sizeof(key) ||
	    c->salt_len + c->iv_len != NONCE_LEN ||
	    c->rec_seq_len != sizeof(seq_be))
		return __ktls_fail(-EOPNOTSUPP, "no kernel TLS layout for %s",
				 suite->name);

	ret = direction_keys(session, client_writes, key, iv);
	if (ret) {
		__ktls_fail(ret, "deriving the %s write key for %s failed",
			    client_writes ? "client" : "server", suite->name);
		goto wipe;
	}
	for (int i = 0; i < 8; i++)
		seq_be[i] = (uint8_t)(seq >> (56 - 8 * i));

	ci.info.version = session->version;
	ci.info.cipher_type = c->kernel_cipher;
	memcpy(ci.bytes + c->key_off, key, c->key_len);
	memcpy(ci.bytes + c->salt_off, iv, c->salt_len);
	memcpy(ci.bytes + c->rec_seq_off, seq_be, c->rec_seq_len);
	/*
	 * TLS 1.3 and ChaCha20: nonce = (salt || iv) XOR seq. TLS 1.2 GCM/CCM:
	 * iv is the explicit nonce of the next record, which only has to be
	 * unique per key: the sequence number is.
	 */
	if (session->version == KTLS_TLS_1_2 && c->salt_len)
		memcpy(ci.bytes + c->iv_off, seq_be, c->iv_len);
	else
		memcpy(ci.bytes + c->iv_off, iv + c->salt_len, c->iv_len);

	if (setsockopt(session->fd, SOL_TLS, dir == KTLS_TX ? TLS_TX : TLS_RX,
		       &ci, c->info_size) < 0)
		ret = setsockopt_error(session, dir, errno);
	else
		session->installed |= dir;
wipe:
	explicit_bzero(key, sizeof(key));
	explicit_bzero(iv, sizeof(iv));
	explicit_bzero(&ci, sizeof(ci));
	return ret;
}

/*
 * Kernel TLS sends records of up to 2^14 bytes of plaintext. Our WolfSSL
 * agrees to no smaller limit (built without max_fragment_length, and it has
 * no record_size_limit): should a build ever have promised a peer less,
 * refuse the switch rather than send it records it must reject.
 */
static int check_record_size(struct ktls_session *session, unsigned int dirs)
{
	int max;

	if (!(dirs & KTLS_TX))
		return 0;
	max = wolfSSL_GetMaxOutputSize(session->ssl);
	if (max > 0 && max < TLS_MAX_PLAINTEXT)
		return __ktls_fail(-EMSGSIZE,
				 "refusing kernel TLS: the peer was promised records of at most %d bytes, and kernel TLS sends %d",
				 max, TLS_MAX_PLAINTEXT);
	return 0;
}

int ktls_install(struct ktls_session *session, unsigned int dirs)
{
	int ret;

	if (!dirs || (dirs & ~(KTLS_TX | KTLS_RX)))
		return __ktls_fail(-EINVAL, "ktls_install: bad directions %#x",
				 dirs);
	if (session->verify_error)
		return __ktls_fail(-EKEYREJECTED,
				 "refusing kernel TLS: the peer certificate failed verification (%s)",
				 __ktls_cert_error_phrase(session->verify_error));
	if (session->installed & dirs)
		return __ktls_fail(-EALREADY,
				 "kernel TLS is already installed on fd %d",
				 session->fd);
	/*
	 * Every byte the peer sent after its Finished must still be in the
	 * socket: anything WolfSSL holds would be lost to the kernel.
	 */
	if (wolfSSL_has_pending(session->ssl) ||
	    !__ktls_record_io_at_boundary(&session->rio))
		return __ktls_fail(-EPROTO,
				 "peer data is already buffered in userspace; switching now would lose it");
	ret = check_record_size(session, dirs);
	if (ret)
		return ret;

	ret = attach_ulp(session);
	if (ret)
		return ret;
	/* Tickets are still to come: ktls_recv() reads them in userspace. */
	if ((dirs & KTLS_RX) && session->ctx->resumption &&
	    session->version == KTLS_TLS_1_3) {
		session->rx_deferred = true;
		dirs &= ~KTLS_RX;
	}
	for (unsigned int dir = KTLS_TX; dir <= KTLS_RX; dir <<= 1) {
		uint64_t seq = 0;

		if (!(dirs & dir))
			continue;
		ret = sequence_number(session, dir, &seq);
		if (!ret)
			ret = install_dir(session, dir, seq);
		if (ret)
			return ret;
		if (dir == KTLS_TX)
			session->rio.tx_in_kernel = true;
	}
	return 0;
}

int __ktls_install_deferred_rx(struct ktls_session *session)
{
	uint64_t seq = 0;
	int ret;

	if (wolfSSL_has_pending(session->ssl) ||
	    !__ktls_record_io_at_boundary(&session->rio))
		return 0;	/* not yet: WolfSSL still holds data */
	ret = sequence_number(session, KTLS_RX, &seq);
	if (!ret)
		ret = install_dir(session, KTLS_RX, seq);
	if (!ret)
		session->rx_deferred = false;
	return ret;
}

/* RFC 8446 §7.2: application_traffic_secret_N+1. */
static int next_secret(struct ktls_session *session, bool client_writes)
{
	struct ktls_secret *secret = client_writes ?
		&session->client_traffic : &session->server_traffic;
	uint8_t next[KTLS_MAX_HASH_LEN];
	int ret;

	ret = __ktls_hkdf_expand_label(session->suite->hash, secret->bytes,
				       "traffic upd", NULL, 0, next,
				     secret->len);
	if (!ret)
		memcpy(secret->bytes, next, secret->len);
	explicit_bzero(next, sizeof(next));
	return ret;
}

static int rekey(struct ktls_session *session, unsigned int dir)
{
	bool client_writes = (dir == KTLS_TX) ==
			     (session->role == KTLS_ROLE_CLIENT);
	int ret;

	ret = next_secret(session, client_writes);
	if (ret)
		return __ktls_fail(ret, "deriving the updated traffic secret failed");
	session->installed &= ~dir;
	ret = install_dir(session, dir, 0);
	if (ret == -EBUSY)
		return __ktls_fail(-EKEYREJECTED,
				 "this kernel cannot rekey kernel TLS (KeyUpdate needs Linux 6.14 or later)");
	return ret;
}

int ktls_update_keys(struct ktls_session *session, bool request_peer)
{
	const uint8_t msg[] = { TLS_HS_KEY_UPDATE, 0, 0, 1, request_peer };
	int ret;

	if (session->version != KTLS_TLS_1_3 ||
	    !(session->installed & KTLS_TX))
		return __ktls_fail(-EINVAL,
				 "KeyUpdate needs TLS 1.3 and kernel TLS TX");
	/* The KeyUpdate itself goes out under the old key. */
	ret = __ktls_send_record(session, TLS_RECORD_TYPE_HANDSHAKE, msg,
				 sizeof(msg));
	if (ret == -EAGAIN)
		return ret;	/* nothing went out: call again */
	if (ret)
		return __ktls_fail(ret, "sending KeyUpdate: %s", strerror(-ret));
	ret = rekey(session, KTLS_TX);
	if (ret) {
		/* The peer already switched keys: this connection is over. */
		shutdown(session->fd, SHUT_RDWR);
		return ret;
	}
	session->tx_records = 0;
	session->tx_update_due = false;
	return 0;
}

int ktls_flush_key_update(struct ktls_session *session)
{
	if (!session->tx_update_due)
		return 0;
	return ktls_update_keys(session, false);
}

/*
 * The peer's KeyUpdate (records.c checked its form). Where the kernel
 * cannot take a second TLS_RX (before Linux 6.14) nothing after it can be
 * read: our close_notify, still under our unchanged key, tells the peer
 * the connection ends here rather than leaving it waiting.
 */
int __ktls_peer_key_update(struct ktls_session *session, uint8_t request_update)
{
	int ret;

	if (session->version != KTLS_TLS_1_3 || request_update > 1)
		ret = __ktls_fail(-EPROTO, "unexpected KeyUpdate");
	else
		ret = rekey(session, KTLS_RX);
	if (ret == -EKEYREJECTED && (session->installed & KTLS_TX) &&
	    ktls_close_notify(session) == 0)
		ret = __ktls_fail(ret, "the peer sent a KeyUpdate and %s; closed with close_notify",
				  "this kernel cannot rekey kernel TLS (KeyUpdate needs Linux 6.14 or later)");
	if (!ret && request_update) {
		/* RFC 8446 4.6.3: ours goes before our next data. */
		session->tx_update_due = true;
		ret = ktls_update_keys(session, false);
		if (ret == -EAGAIN)
			ret = 0;
	}
	if (ret) {
		session->rx_closed = true;
		shutdown(session->fd, SHUT_RDWR);
	}
	return ret;
}

/*
 * Can this kernel take a second TLS_TX (TLS 1.3 rekey, Linux 6.14+)? Tried
 * on a loopback connection of our own with a throwaway all-zero key.
 */
int ktls_kernel_can_rekey(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info = {
			.version = TLS_1_3_VERSION,
			.cipher_type = TLS_CIPHER_AES_GCM_128,
		},
	};
	socklen_t len = sizeof(addr);
	int lfd, cfd = -1, afd = -1, ret;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&addr, &len)) {
		ret = -errno;
		goto close_listener;
	}
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = -errno;
		goto close_sockets;
	}
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (setsockopt(cfd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) ||
	    setsockopt(cfd, SOL_TLS, TLS_TX, &ci, sizeof(ci))) {
		ret = -errno;
		goto close_sockets;
	}
	ret = setsockopt(cfd, SOL_TLS, TLS_TX, &ci, sizeof(ci)) ? -errno : 0;
close_sockets:
	if (afd >= 0)
		close(afd);
	if (cfd >= 0)
		close(cfd);
close_listener:
	close(lfd);
	return ret;
}
