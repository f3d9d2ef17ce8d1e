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

#include "internal.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

#define TLS13_IV_LEN 12

union crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
};

struct crypto_info_fields {
	uint8_t *iv, *key, *salt, *rec_seq;
	socklen_t size;
};

#define FIELDS_OF(s) ((struct crypto_info_fields){ \
	.iv = (s).iv, .key = (s).key, .salt = (s).salt, \
	.rec_seq = (s).rec_seq, .size = sizeof(s) })

static int fields_of(union crypto_info *ci, uint16_t cipher,
		     struct crypto_info_fields *f)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		*f = FIELDS_OF(ci->aes_gcm_128);
		return 0;
	case TLS_CIPHER_AES_GCM_256:
		*f = FIELDS_OF(ci->aes_gcm_256);
		return 0;
	case TLS_CIPHER_AES_CCM_128:
		*f = FIELDS_OF(ci->aes_ccm_128);
		return 0;
	case TLS_CIPHER_CHACHA20_POLY1305:
		*f = FIELDS_OF(ci->chacha20_poly1305);
		return 0;
	}
	return -EOPNOTSUPP;
}

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
		return ktls_fail(-ENOENT,
				 "kernel TLS unavailable: the tls module is not loaded (run 'modprobe tls'; the kernel needs CONFIG_TLS)");
	case ENOTCONN:
		return ktls_fail(-ENOTCONN,
				 "kernel TLS needs a connected TCP socket: fd %d is not connected",
				 fd);
	case EEXIST:
		return ktls_fail(-EEXIST,
				 "fd %d already has an upper layer protocol attached",
				 fd);
	default:
		return ktls_fail(-errno,
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
		return ktls_fail(-EIO, "WolfSSL did not report the %s sequence number",
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
		return ktls_fail(-err,
				 "kernel TLS cannot use %s: the kernel crypto API has no %s (load its module)",
				 suite->name, suite->kernel_aead);
	case EBUSY:
		return ktls_fail(-EBUSY,
				 "kernel TLS %s is already set on fd %d; this kernel cannot rekey",
				 name, session->fd);
	default:
		return ktls_fail(-err, "setsockopt(SOL_TLS, %s) for %s: %s",
				 name, suite->name, strerror(err));
	}
}

static int install_dir(struct ktls_session *session, unsigned int dir)
{
	const struct ktls_suite *suite = session->suite;
	bool client_writes = (dir == KTLS_TX) ==
			     (session->role == KTLS_ROLE_CLIENT);
	const struct ktls_secret *secret = client_writes ?
		&session->client_traffic : &session->server_traffic;
	struct crypto_info_fields f;
	uint8_t key[32], iv[TLS13_IV_LEN];
	union crypto_info ci;
	uint64_t seq = 0;
	int ret;

	ret = sequence_number(session, dir, &seq);
	if (ret)
		return ret;
	memset(&ci, 0, sizeof(ci));
	ret = fields_of(&ci, suite->kernel_cipher, &f);
	if (ret || suite->key_len > sizeof(key) ||
	    suite->salt_len + suite->iv_len != TLS13_IV_LEN)
		return ktls_fail(-EOPNOTSUPP, "no kernel TLS layout for %s",
				 suite->name);

	ret = ktls_traffic_key_iv(suite->hash, secret->bytes, key,
				  suite->key_len, iv, TLS13_IV_LEN);
	if (ret) {
		ktls_fail(ret, "deriving the %s traffic key failed",
			  client_writes ? "client" : "server");
		goto wipe;
	}

	/* The kernel builds the nonce as salt || iv, XORed with rec_seq. */
	ci.info.version = TLS_1_3_VERSION;
	ci.info.cipher_type = suite->kernel_cipher;
	memcpy(f.key, key, suite->key_len);
	memcpy(f.salt, iv, suite->salt_len);
	memcpy(f.iv, iv + suite->salt_len, suite->iv_len);
	for (int i = 0; i < 8; i++)
		f.rec_seq[i] = (uint8_t)(seq >> (56 - 8 * i));

	if (setsockopt(session->fd, SOL_TLS, dir == KTLS_TX ? TLS_TX : TLS_RX,
		       &ci, f.size) < 0)
		ret = setsockopt_error(session, dir, errno);
	else
		session->installed |= dir;
wipe:
	explicit_bzero(key, sizeof(key));
	explicit_bzero(iv, sizeof(iv));
	explicit_bzero(&ci, sizeof(ci));
	return ret;
}

int ktls_install(struct ktls_session *session, unsigned int dirs)
{
	int ret;

	if (!dirs || (dirs & ~(KTLS_TX | KTLS_RX)))
		return ktls_fail(-EINVAL, "ktls_install: bad directions %#x",
				 dirs);
	if (session->installed & dirs)
		return ktls_fail(-EALREADY,
				 "kernel TLS is already installed on fd %d",
				 session->fd);
	/*
	 * Every byte the peer sent after its Finished must still be in the
	 * socket: anything WolfSSL holds would be lost to the kernel.
	 */
	if (wolfSSL_has_pending(session->ssl) ||
	    !ktls_record_io_at_boundary(&session->rio))
		return ktls_fail(-EPROTO,
				 "peer data is already buffered in userspace; switching now would lose it");

	ret = attach_ulp(session);
	if (ret)
		return ret;
	if (dirs & KTLS_TX) {
		ret = install_dir(session, KTLS_TX);
		if (ret)
			return ret;
	}
	if (dirs & KTLS_RX)
		return install_dir(session, KTLS_RX);
	return 0;
}
