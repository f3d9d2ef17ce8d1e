// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The certificate ktls-serve uses when given none: ECDSA P-256, self-signed,
 * for localhost and 127.0.0.1, made once with wolfCrypt under
 * $XDG_STATE_HOME/ktls-serve/ (~/.local/state/ktls-serve/) and reused.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve.h"

#define DER_MAX 2048
#define PEM_MAX 4096
#define VALID_DAYS 825	/* the most browsers accept for a leaf */

/*
 * subjectAltName's GeneralNames: dNSName "localhost" (context tag 2) and
 * iPAddress 127.0.0.1 (tag 7), in one DER SEQUENCE.
 */
static const uint8_t alt_names[] = {
	0x30, 0x11,
	0x82, 0x09, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't',
	0x87, 0x04, 127, 0, 0, 1,
};

static int mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int state_dir(char *dir, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (state && *state)
		n = snprintf(dir, len, "%s/ktls-serve", state);
	else if (home && *home)
		n = snprintf(dir, len, "%s/.local/state/ktls-serve", home);
	else
		return -ENOENT;
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* Write @len bytes to @path through a temporary file and a rename. */
static int write_file(const char *path, const uint8_t *buf, size_t len,
		      mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len || fsync(fd))
		ret = errno ? -errno : -EIO;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int to_pem(const uint8_t *der, int der_len, int type, uint8_t *pem,
		  size_t *pem_len)
{
	int n = wc_DerToPem(der, (word32)der_len, pem, PEM_MAX, type);

	if (n <= 0)
		return -EIO;
	*pem_len = (size_t)n;
	return 0;
}

static int make_certificate(const char *cert_path, const char *key_path)
{
	uint8_t der[DER_MAX], pem[PEM_MAX];
	size_t pem_len;
	ecc_key key;
	WC_RNG rng;
	Cert template;
	int der_len, ret = -EIO;

	if (wc_InitRng(&rng))
		return -EIO;
	if (wc_ecc_init(&key))
		goto free_rng;
	if (wc_ecc_make_key_ex(&rng, 32, &key, ECC_SECP256R1))
		goto free_key;
	if (wc_InitCert(&template))
		goto free_key;
	snprintf(template.subject.commonName, CTC_NAME_SIZE, "localhost");
	snprintf(template.subject.org, CTC_NAME_SIZE, "ktls-serve self-signed");
	template.daysValid = VALID_DAYS;
	template.sigType = CTC_SHA256wECDSA;
	template.isCA = 0;
	memcpy(template.altNames, alt_names, sizeof(alt_names));
	template.altNamesSz = sizeof(alt_names);
	if (wc_SetKeyUsage(&template, "digitalSignature") ||
	    wc_SetExtKeyUsage(&template, "serverAuth"))
		goto free_key;
	der_len = wc_MakeCert(&template, der, sizeof(der), NULL, &key, &rng);
	if (der_len <= 0)
		goto free_key;
	der_len = wc_SignCert(template.bodySz, template.sigType, der,
			      sizeof(der), NULL, &key, &rng);
	if (der_len <= 0)
		goto free_key;
	ret = to_pem(der, der_len, CERT_TYPE, pem, &pem_len);
	if (ret)
		goto free_key;
	ret = write_file(cert_path, pem, pem_len, 0644);
	if (ret)
		goto free_key;
	der_len = wc_EccKeyToDer(&key, der, sizeof(der));
	ret = der_len > 0 ? to_pem(der, der_len, ECC_PRIVATEKEY_TYPE, pem,
				   &pem_len) : -EIO;
	if (!ret)
		ret = write_file(key_path, pem, pem_len, 0600);
	explicit_bzero(der, sizeof(der));
	explicit_bzero(pem, sizeof(pem));
free_key:
	wc_ecc_free(&key);
free_rng:
	wc_FreeRng(&rng);
	return ret;
}

int selfsigned_ensure(char *cert, char *key, size_t path_len, bool *created)
{
	char dir[PATH_MAX];
	int ret;

	ret = state_dir(dir, sizeof(dir));
	if (ret) {
		fprintf(stderr, "ktls-serve: no --cert/--key, and neither XDG_STATE_HOME nor HOME\n"
			"ktls-serve: says where to keep a self-signed one\n");
		return ret;
	}
	snprintf(cert, path_len, "%s/cert.pem", dir);
	snprintf(key, path_len, "%s/key.pem", dir);
	*created = false;
	if (access(cert, R_OK) == 0 && access(key, R_OK) == 0)
		return 0;
	ret = mkdirs(dir);
	if (!ret)
		ret = make_certificate(cert, key);
	if (ret) {
		fprintf(stderr, "ktls-serve: cannot make a self-signed certificate in %s: %s\n",
			dir, strerror(-ret));
		return ret;
	}
	*created = true;
	return 0;
}
