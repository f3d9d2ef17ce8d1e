// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd's configuration is checked at start: a bad one exits 2 with
 * "ktlsd: FILE:LINE: reason" on stderr, a good one passes --check-config.
 * Natively and in the VM (no kernel TLS needed).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "lib/daemon.h"

#define NOBODY 65534

FIXTURE(config)
{
	struct daemon d;
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	char out[4096], expect[PATH_MAX + 512];
};

FIXTURE_SETUP(config)
{
	ASSERT_EQ(0, daemon_init(&self->d));
	test_pki_file("server.pem", self->cert, sizeof(self->cert));
	test_pki_file("server.key", self->key, sizeof(self->key));
	test_pki_file("ca.pem", self->ca, sizeof(self->ca));
}

FIXTURE_TEARDOWN(config)
{
	daemon_cleanup(&self->d);
}

/* Check @text with ktlsd --check-config (as @uid); its exit status. */
static int check(struct daemon *d, const char *text, uid_t uid, char *out,
		 size_t len)
{
	const char *const args[] = { "--check-config", "-c", d->conf, NULL };

	if (daemon_write_raw(d, text))
		return -1;
	return ktlsd_run(args, uid, out, len);
}

static void server_conf(char *buf, size_t len, const char *cert,
			const char *key, const char *extra)
{
	snprintf(buf, len, "[server]\ncertificate = %s\nprivate_key = %s\n%s",
		 cert, key, extra);
}

TEST_F(config, good_config_checks)
{
	const char *const args[] = { "--check-config", "-c", self->d.conf, NULL };

	ASSERT_EQ(0, daemon_write_config(&self->d, "10s", NULL));
	EXPECT_EQ(0, ktlsd_run(args, -1, self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, "configuration is valid"))
		TH_LOG("%s", self->out);
}

TEST_F(config, unknown_key_suggests)
{
	EXPECT_EQ(2, check(&self->d, "# comment\n[server]\ncert = /x\n", -1,
			   self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:3: unknown key \"cert\" in [server] (did you mean certificate?)\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, unknown_section)
{
	EXPECT_EQ(2, check(&self->d, "[serve]\n", -1, self->out,
			   sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:1: unknown section [serve] (sections: global, handoff, server, client, upcall, allow uid|gid NAME)\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, bad_value)
{
	char text[2 * PATH_MAX + 128];

	server_conf(text, sizeof(text), self->cert, self->key,
		    "\n[global]\nloglevel = chatty\n");
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:6: loglevel = \"chatty\": expected error, warning, info or debug\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, bad_duration)
{
	EXPECT_EQ(2, check(&self->d, "[global]\nhandshake_timeout = 10 min\n",
			   -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:2: handshake_timeout = \"10 min\": expected a duration such as 10s or 1500ms (at most an hour)\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, missing_key_file)
{
	char text[2 * PATH_MAX + 128];

	server_conf(text, sizeof(text), self->cert, "/nonexistent/server.key",
		    "");
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:3: private_key = \"/nonexistent/server.key\": cannot read it: No such file or directory\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

/* The key is root's, 0600; ktlsd started as nobody cannot read it. */
TEST_F(config, unreadable_key_file)
{
	char key[PATH_MAX + 32], text[3 * PATH_MAX];
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs root to make a file nobody cannot read");
	snprintf(key, sizeof(key), "%s/secret.key", self->d.dir);
	fd = open(key, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fchown(fd, 0, 0));
	ASSERT_EQ(0, write(fd, "x", 1) == 1 ? 0 : -1);
	close(fd);
	server_conf(text, sizeof(text), self->cert, key, "");
	EXPECT_EQ(2, check(&self->d, text, NOBODY, self->out,
			   sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:3: private_key = \"%s\": cannot read it: Permission denied\n",
		 self->d.conf, key);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, bad_suite)
{
	char text[2 * PATH_MAX + 128];

	server_conf(text, sizeof(text), self->cert, self->key,
		    "min_version = 1.2\n"
		    "ciphers = TLS_AES_128_GCM_SHA256:TLS_RSA_WITH_AES_128_CBC_SHA\n");
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:5: [server]: cipher suite 'TLS_RSA_WITH_AES_128_CBC_SHA' is unknown or cannot be offloaded to kernel TLS\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, bad_group)
{
	char text[2 * PATH_MAX + 128];

	snprintf(text, sizeof(text), "[client]\ntrust_store = %s\ngroups = X448\n",
		 self->ca);
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:3: [client]: group 'X448' is not supported (use X25519MLKEM768, SecP256r1MLKEM768, X25519, P-256 or P-384)\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, not_a_certificate)
{
	char text[2 * PATH_MAX + 128];

	/* A key where the certificate should be. */
	server_conf(text, sizeof(text), self->key, self->key, "");
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:2: [server]: %s is not a PEM certificate chain\n",
		 self->d.conf, self->key);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, server_needs_key)
{
	char text[PATH_MAX + 64];

	snprintf(text, sizeof(text), "\n[server]\ncertificate = %s\n",
		 self->cert);
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:2: [server] needs private_key = FILE\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, nothing_to_do)
{
	EXPECT_EQ(2, check(&self->d, "[global]\nthreads = 1\n", -1, self->out,
			   sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s: no [server], [client] or [upcall]: ktlsd would have no handshake to run\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, syntax_error)
{
	EXPECT_EQ(2, check(&self->d, "[global]\nthreads 4\n", -1, self->out,
			   sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:2: expected \"key = value\" or [section], got \"threads 4\"\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, missing_file)
{
	const char *const args[] = { "-c", "/nonexistent/ktlsd.conf", NULL };

	EXPECT_EQ(2, ktlsd_run(args, -1, self->out, sizeof(self->out)));
	EXPECT_STREQ("ktlsd: /nonexistent/ktlsd.conf: cannot read the "
		"configuration: No such file or directory\n",
		     self->out);
}

TEST_F(config, usage)
{
	const char *const help[] = { "--help", NULL };
	const char *const bad[] = { "--bogus", NULL };
	const char *const version[] = { "--version", NULL };

	EXPECT_EQ(0, ktlsd_run(help, -1, self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, "--check-config"));
	EXPECT_EQ(2, ktlsd_run(bad, -1, self->out, sizeof(self->out)));
	EXPECT_EQ(0, ktlsd_run(version, -1, self->out, sizeof(self->out)));
	EXPECT_EQ(0, strncmp(self->out, "ktlsd ", 6));
}

#define FAMILY_PRESENT "this kernel has the \"handshake\" netlink family (net/handshake, or ktlsd_handshake.ko): ktlsd serves upcalls here"
#define NEEDS_FAMILY "but this kernel has no \"handshake\" netlink family: it needs Linux >= 6.4 with CONFIG_NET_HANDSHAKE, or on Linux 6.1 the ktlsd_handshake.ko module from kmod/ (insmod ktlsd_handshake.ko)\n"

/* enable = yes where the kernel cannot: exit 1 naming what is needed. */
TEST_F(config, upcall_required_without_family)
{
	const char *const args[] = { "-f", "-c", self->d.conf, NULL };
	int ret;

	ASSERT_EQ(0, daemon_write_raw(&self->d, "[upcall]\nenable = yes\n"));
	ret = ktlsd_run_for(args, 5, self->out, sizeof(self->out));
	if (ret == -1)
		SKIP(return, FAMILY_PRESENT);
	EXPECT_EQ(1, ret);
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: error: %s: upcalls are required ([upcall] enable = yes), "
		 NEEDS_FAMILY, self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

/* enable = auto without handoffs where the kernel cannot: nothing to do. */
TEST_F(config, upcall_auto_nothing_to_serve)
{
	const char *const args[] = { "-f", "-c", self->d.conf, NULL };
	int ret;

	ASSERT_EQ(0, daemon_write_raw(&self->d, "[upcall]\nenable = auto\n"));
	ret = ktlsd_run_for(args, 5, self->out, sizeof(self->out));
	if (ret == -1)
		SKIP(return, FAMILY_PRESENT);
	EXPECT_EQ(1, ret);
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: info: no kernel handshake upcalls here (no \"handshake\" netlink family: Linux >= 6.4 with CONFIG_NET_HANDSHAKE, or ktlsd_handshake.ko on 6.1): serving handoffs only\n"
		 "ktlsd: error: %s: nothing to serve: no [server] or [client] for handoffs, and no kernel upcalls on this kernel\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, upcall_bad_enable)
{
	EXPECT_EQ(2, check(&self->d, "[upcall]\nenable = maybe\n", -1,
			   self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:2: enable = \"maybe\": expected auto, yes or no\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, upcall_certificate_without_key)
{
	char text[PATH_MAX + 64];

	snprintf(text, sizeof(text), "[upcall]\ncertificate = %s\n",
		 self->cert);
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:1: [upcall] needs certificate and private_key together\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

/* Clients are verified against a trust store named for them, or none. */
TEST_F(config, upcall_verify_client_needs_trust_store)
{
	char text[PATH_MAX + 64];

	snprintf(text, sizeof(text),
		 "[upcall]\ncertificate = %s\nprivate_key = %s\n"
		 "verify_client = yes\n", self->cert, self->key);
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:1: [upcall] verify_client = yes needs "
		 "client_trust_store = FILE, the CA certificates client "
		 "certificates must chain to (never the system bundle)\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

/* tlshd's file, as Debian's ktls-utils ships it plus a server identity. */
static void tlshd_conf(char *buf, size_t len, const char *cert,
		       const char *key, const char *extra)
{
	snprintf(buf, len,
		 "[debug]\nloglevel=1\ntls=0\nnl=0\n\n"
		 "[authenticate]\n#keyrings= <keyring>;<keyring>\n\n"
		 "[authenticate.client]\n#x509.truststore= <pathname>\n\n"
		 "[authenticate.server]\nx509.certificate= %s\n"
		 "x509.private_key= %s\n%s",
		 cert, key, extra);
}

TEST_F(config, tlshd_drop_in_checks)
{
	const char *const args[] = { "--check-config", "-c", self->d.conf,
				     NULL };
	char text[2 * PATH_MAX + 256];

	tlshd_conf(text, sizeof(text), self->cert, self->key, "");
	ASSERT_EQ(0, daemon_write_raw(&self->d, text));
	EXPECT_EQ(0, ktlsd_run(args, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s: configuration is valid\n", self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

/*
 * CRLs: loaded at start against their trust store, so a file that is no
 * CRL, or one from another CA, is refused with the line of its key.
 */
TEST_F(config, client_crl)
{
	char text[3 * PATH_MAX + 128], crl[PATH_MAX], other_ca[PATH_MAX];

	test_pki_file("crl.pem", crl, sizeof(crl));
	test_pki_file("unknownca-ca.pem", other_ca, sizeof(other_ca));
	snprintf(text, sizeof(text), "[client]\ntrust_store = %s\ncrl = %s\n",
		 self->ca, crl);
	EXPECT_EQ(0, check(&self->d, text, -1, self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);

	snprintf(text, sizeof(text), "[client]\ntrust_store = %s\ncrl = %s\n",
		 self->ca, self->cert);
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:3: [client]: CRL file %s holds no PEM CRL",
		 self->d.conf, self->cert);
	EXPECT_EQ(0, strncmp(self->expect, self->out, strlen(self->expect)))
		TH_LOG("%s", self->out);

	snprintf(text, sizeof(text), "[client]\ntrust_store = %s\ncrl = %s\n",
		 other_ca, crl);
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:3: [client]: CRL file %s: a CRL is not signed by a CA of the trust store\n",
		 self->d.conf, crl);
	EXPECT_STREQ(self->expect, self->out);

	/* A server section checks no client certificates: no crl there. */
	server_conf(text, sizeof(text), self->cert, self->key, "crl = /x\n");
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, ":4: unknown key \"crl\" in [server]"))
		TH_LOG("%s", self->out);
}

TEST_F(config, upcall_crls)
{
	char text[4 * PATH_MAX + 256], crl[PATH_MAX];

	test_pki_file("crl.pem", crl, sizeof(crl));
	snprintf(text, sizeof(text),
		 "[upcall]\ncertificate = %s\nprivate_key = %s\n"
		 "trust_store = %s\ncrl = %s\nverify_client = yes\n"
		 "client_trust_store = %s\nclient_crl = %s\n",
		 self->cert, self->key, self->ca, crl, self->ca, crl);
	EXPECT_EQ(0, check(&self->d, text, -1, self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);

	snprintf(text, sizeof(text),
		 "[upcall]\ncertificate = %s\nprivate_key = %s\n"
		 "client_crl = %s\n", self->cert, self->key, crl);
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:4: [upcall] client_crl checks client certificates: it needs verify_client = yes or optional\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);

	/* A certificate given as the client CRL: blamed on client_crl. */
	snprintf(text, sizeof(text),
		 "[upcall]\ncertificate = %s\nprivate_key = %s\n"
		 "verify_client = yes\nclient_trust_store = %s\n"
		 "client_crl = %s\n", self->cert, self->key, self->ca,
		 self->cert);
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:6: [upcall]: CRL file %s holds no PEM CRL",
		 self->d.conf, self->cert);
	EXPECT_EQ(0, strncmp(self->expect, self->out, strlen(self->expect)))
		TH_LOG("%s", self->out);
}

/*
 * A trust store that is no PEM certificate is blamed on its own line, as
 * libktls names the field (ktls_reason_field), not on the key checked
 * with it: the client identity's, or the CRL's. Both were blamed on the
 * other line when ktlsd matched words of the reason.
 */
TEST_F(config, upcall_bad_trust_store_blamed_on_its_line)
{
	char text[4 * PATH_MAX + 256], crl[PATH_MAX];
	char client_cert[PATH_MAX], client_key[PATH_MAX];

	test_pki_file("crl.pem", crl, sizeof(crl));
	test_pki_file("client.pem", client_cert, sizeof(client_cert));
	test_pki_file("client.key", client_key, sizeof(client_key));
	snprintf(text, sizeof(text),
		 "[upcall]\ncertificate = %s\nprivate_key = %s\n"
		 "trust_store = %s\nclient_certificate = %s\n"
		 "client_private_key = %s\n", self->cert, self->key, crl,
		 client_cert, client_key);
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:4: [upcall]: trust store %s holds no PEM certificate",
		 self->d.conf, crl);
	EXPECT_EQ(0, strncmp(self->expect, self->out, strlen(self->expect)))
		TH_LOG("%s", self->out);

	snprintf(text, sizeof(text),
		 "[upcall]\ncertificate = %s\nprivate_key = %s\n"
		 "trust_store = %s\ncrl = %s\n", self->cert, self->key, crl,
		 crl);
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	EXPECT_EQ(0, strncmp(self->expect, self->out, strlen(self->expect)))
		TH_LOG("%s", self->out);
}

/* tlshd's x509.crl: the server's for client certificates, here. */
TEST_F(config, tlshd_crl)
{
	char text[4 * PATH_MAX + 256], extra[2 * PATH_MAX + 64];
	char crl[PATH_MAX];

	test_pki_file("crl.pem", crl, sizeof(crl));
	snprintf(extra, sizeof(extra), "x509.truststore= %s\nx509.crl= %s\n",
		 self->ca, crl);
	tlshd_conf(text, sizeof(text), self->cert, self->key, extra);
	EXPECT_EQ(0, check(&self->d, text, -1, self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);

	snprintf(extra, sizeof(extra), "x509.truststore= %s\nx509.crl= %s\n",
		 self->ca, self->cert);
	tlshd_conf(text, sizeof(text), self->cert, self->key, extra);
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:16: [authenticate.server]: CRL file %s holds no PEM CRL",
		 self->d.conf, self->cert);
	EXPECT_EQ(0, strncmp(self->expect, self->out, strlen(self->expect)))
		TH_LOG("%s", self->out);
}

/*
 * --tlshd reads tlshd's file from where tlshd 1.3+ does: /etc/tlshd.conf
 * while it exists (with a word to move it), else /etc/tlshd/config; with
 * neither it exits 2 naming both. Each run sees an /etc of its own.
 */
TEST_F(config, tlshd_default_paths)
{
	const char *const args[] = { "--check-config", "--tlshd", NULL };
	char good[2 * PATH_MAX + 256];
	char bad[] = "[authenticate.server]\nx509.certificate= /nonexistent\n";
	struct etc_file only_new[] = {
		{ "tlshd/config", good }, { NULL, NULL },
	};
	struct etc_file both[] = {
		{ "tlshd/config", good }, { "tlshd.conf", bad }, { NULL, NULL },
	};
	struct etc_file none[] = { { NULL, NULL } };

	tlshd_conf(good, sizeof(good), self->cert, self->key, "");
	EXPECT_EQ(0, ktlsd_run_etc(args, only_new, self->out,
				   sizeof(self->out)))
		TH_LOG("%s", self->out);
	EXPECT_STREQ("ktlsd: /etc/tlshd/config: configuration is valid\n",
		     self->out);

	/* The older file wins while it exists, as in tlshd: here it is bad. */
	EXPECT_EQ(2, ktlsd_run_etc(args, both, self->out, sizeof(self->out)));
	EXPECT_NE(NULL, strstr(self->out, "reading /etc/tlshd.conf, tlshd's older path"))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out,
			       "/etc/tlshd.conf:2: [authenticate.server] x509.certificate"))
		TH_LOG("%s", self->out);

	EXPECT_EQ(2, ktlsd_run_etc(args, none, self->out, sizeof(self->out)));
	EXPECT_STREQ("ktlsd: --tlshd: neither /etc/tlshd/config nor /etc/tlshd.conf exists: write tlshd's configuration there (tlshd.conf(5)), or name a file with --tlshd-config FILE\n",
		     self->out);
}

/* Served as tlshd would be: upcalls are the point, so they are required. */
TEST_F(config, tlshd_drop_in_requires_family)
{
	const char *const args[] = { "-f", "--tlshd-config", self->d.conf,
				     NULL };
	char text[2 * PATH_MAX + 256];
	int ret;

	tlshd_conf(text, sizeof(text), self->cert, self->key, "");
	ASSERT_EQ(0, daemon_write_raw(&self->d, text));
	ret = ktlsd_run_for(args, 5, self->out, sizeof(self->out));
	if (ret == -1)
		SKIP(return, FAMILY_PRESENT);
	EXPECT_EQ(1, ret);
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: info: %s: tlshd's configuration: kernel upcalls only, no handoff socket\n"
		 "ktlsd: warning: %s: ignored (no ktlsd equivalent, see ktlsd(8)): line 3: tls, line 4: nl\n"
		 "ktlsd: error: %s: upcalls are required (tlshd's configuration), "
		 NEEDS_FAMILY, self->d.conf, self->d.conf, self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, tlshd_bad_file)
{
	char text[2 * PATH_MAX + 256];

	tlshd_conf(text, sizeof(text), self->cert, self->key,
		   "x509.truststore= /nonexistent/ca.pem\n");
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:15: [authenticate.server] x509.truststore = \"/nonexistent/ca.pem\": cannot read it: No such file or directory\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

TEST_F(config, tlshd_and_ktlsd_sections_mixed)
{
	char text[2 * PATH_MAX + 64];

	server_conf(text, sizeof(text), self->cert, self->key,
		    "[authenticate.server]\n");
	EXPECT_EQ(2, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s:4: [authenticate.server] is a section of tlshd's configuration, and this file also has ktlsd's: keep them in separate files (ktlsd --tlshd-config FILE reads tlshd's)\n",
		 self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

/* A [server] section, then @rule: refused, with its line and reason. */
struct refusal {
	const char *rule;
	int line;
	const char *reason;
};

#define config_data_t FIXTURE_DATA(config)

static void expect_refused(struct __test_metadata *_metadata,
			   config_data_t *self,
			   const struct refusal *cases, size_t n)
{
	char text[2 * PATH_MAX + 256];

	for (size_t i = 0; i < n; i++) {
		server_conf(text, sizeof(text), self->cert, self->key,
			    cases[i].rule);
		EXPECT_EQ(2, check(&self->d, text, -1, self->out,
				   sizeof(self->out)))
			TH_LOG("%s", cases[i].rule);
		snprintf(self->expect, sizeof(self->expect), "ktlsd: %s:%d: %s\n",
			 self->d.conf, cases[i].line, cases[i].reason);
		EXPECT_STREQ(self->expect, self->out);
	}
}

/* [allow uid|gid ...]: each mistake names its line. */
TEST_F(config, allow_rule_errors)
{
	static const struct refusal cases[] = {
		{ "[allow root]\n", 4,
		  "expected [allow uid NAME|NUMBER] or "
		  "[allow gid NAME|NUMBER], got [allow root]" },
		{ "[allow uid no-such-user-k7]\n", 4,
		  "[allow uid no-such-user-k7]: no such user" },
		{ "[allow gid 0]\nroles = admin\n", 5,
		  "roles = \"admin\": unknown role \"admin\" "
		  "(expected server, client or server,client)" },
		{ "[allow uid 0]\nserver_names = a.example, b c\n", 5,
		  "server_names: \"b c\" is not a host name "
		  "(a leading \"*.\" is the only wildcard)" },
		{ "[allow uid 0]\nmax_waiting = 0\n", 5,
		  "max_waiting = \"0\": expected a number from 1 to 1000000" },
		{ "[allow uid 0]\nroles = client\n[allow uid 00]\n", 6,
		  "[allow uid 0] appears twice (first at line 4)" },
		{ "[allow uid 0]\nrole = client\n", 5,
		  "unknown key \"role\" in [allow uid 0] (did you mean roles?)" },
		{ "[handoff]\nfirst_byte_timeout = 0\n", 5,
		  "first_byte_timeout = \"0\": expected a duration "
		  "such as 10s or 1500ms (at most an hour)" },
		{ "[handoff]\nmax_unrequested_per_uid = x\n", 5,
		  "max_unrequested_per_uid = \"x\": expected a number from 1 to 1000000" },
	};
	expect_refused(_metadata, self, cases, sizeof(cases) / sizeof(cases[0]));
}

#define KNOWN_GLOBAL "(known: threads, log, loglevel, handshake_timeout, user)"
#define KNOWN_HANDOFF "(known: path, mode, group, max_in_flight, " \
	"max_in_flight_per_uid, max_waiting, max_waiting_per_uid, " \
	"max_unrequested, max_unrequested_per_uid, first_byte_timeout, " \
	"request_timeout)"
#define KNOWN_SERVER "(known: certificate, private_key, min_version, " \
	"max_version, ciphers, groups, session_tickets)"
#define KNOWN_CLIENT "(known: trust_store, crl, min_version, max_version, " \
	"ciphers, groups)"
#define KNOWN_UPCALL "(known: enable, certificate, private_key, " \
	"trust_store, client_certificate, client_private_key, " \
	"client_trust_store, crl, client_crl, keyrings, handshake_timeout, " \
	"verify_client)"
#define KNOWN_ALLOW "(known: roles, server_names, max_in_flight, max_waiting)"

/*
 * A key a section does not have is refused with its line, its name and
 * the section, in every section: never read as the section's last key
 * (a duration in [global] and [upcall], a group or max_in_flight in
 * [handoff], session_tickets in [server] and [client], max_waiting in
 * [allow]). Each section has a value that key would take, and one it
 * would refuse in its own name.
 */
TEST_F(config, unknown_key_in_every_section)
{
	static const struct refusal cases[] = {
		{ "[global]\nidle_timeout = 10s\n", 5,
		  "unknown key \"idle_timeout\" in [global] " KNOWN_GLOBAL },
		{ "[global]\nmax_in_flight = 5\n", 5,
		  "unknown key \"max_in_flight\" in [global] " KNOWN_GLOBAL },
		{ "[global]\nsession_tickets = yes\n", 5,
		  "unknown key \"session_tickets\" in [global] " KNOWN_GLOBAL },
		{ "[handoff]\nowner = root\n", 5,
		  "unknown key \"owner\" in [handoff] " KNOWN_HANDOFF },
		{ "[handoff]\nbacklog = many\n", 5,
		  "unknown key \"backlog\" in [handoff] " KNOWN_HANDOFF },
		{ "[handoff]\nmax_connections = 5\n", 5,
		  "unknown key \"max_connections\" in [handoff] " KNOWN_HANDOFF },
		{ "ocsp_stapling = yes\n", 4,
		  "unknown key \"ocsp_stapling\" in [server] " KNOWN_SERVER },
		{ "trust_store = /etc/passwd\n", 4,
		  "unknown key \"trust_store\" in [server] " KNOWN_SERVER },
		{ "[client]\nsession_tickets = yes\n", 5,
		  "unknown key \"session_tickets\" in [client] " KNOWN_CLIENT },
		{ "[client]\ncertificate = /etc/passwd\n", 5,
		  "unknown key \"certificate\" in [client] " KNOWN_CLIENT },
		{ "[upcall]\nretry_timeout = 5s\n", 5,
		  "unknown key \"retry_timeout\" in [upcall] " KNOWN_UPCALL },
		{ "[upcall]\ntickets = yes\n", 5,
		  "unknown key \"tickets\" in [upcall] " KNOWN_UPCALL },
		{ "[allow uid 0]\nmax_pending = 3\n", 5,
		  "unknown key \"max_pending\" in [allow uid 0] " KNOWN_ALLOW },
		{ "[allow gid 0]\nmax_in_flight_per_uid = 3\n", 5,
		  "unknown key \"max_in_flight_per_uid\" in [allow gid 0] "
		  KNOWN_ALLOW },
		{ "[allow uid 0]\nuid = none\n", 5,
		  "unknown key \"uid\" in [allow uid 0] " KNOWN_ALLOW },
	};
	expect_refused(_metadata, self, cases, sizeof(cases) / sizeof(cases[0]));
}

/*
 * tlshd's file: tlshd passes over keys it does not know, and so do we
 * (they are listed as ignored at start), in every section, whatever
 * their value: never read as another key (a loglevel, a file).
 */
static void tlshd_unknown_keys_conf(char *buf, size_t len, const char *cert,
				    const char *key)
{
	snprintf(buf, len,
		 "[debug]\nloglevel=0\nverbosity=lots\n"
		 "[authenticate]\nkeyring=.nvme\n"
		 "[authenticate.client]\nx509.trust_store= /nonexistent/ca.pem\n"
		 "[authenticate.server]\nx509.certificate= %s\n"
		 "x509.private_key= %s\nx509.bogus= /nonexistent/ca.pem\n"
		 "[main]\nx509.certificate= /nonexistent/server.pem\n",
		 cert, key);
}

TEST_F(config, tlshd_unknown_keys_ignored)
{
	char text[2 * PATH_MAX + 512];

	tlshd_unknown_keys_conf(text, sizeof(text), self->cert, self->key);
	EXPECT_EQ(0, check(&self->d, text, -1, self->out, sizeof(self->out)));
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: %s: configuration is valid\n", self->d.conf);
	EXPECT_STREQ(self->expect, self->out);
}

/* ...and named, each with its line, when ktlsd starts. */
TEST_F(config, tlshd_unknown_keys_listed)
{
	const char *const args[] = { "-f", "--tlshd-config", self->d.conf,
				     NULL };
	char text[2 * PATH_MAX + 512];
	int ret;

	tlshd_unknown_keys_conf(text, sizeof(text), self->cert, self->key);
	ASSERT_EQ(0, daemon_write_raw(&self->d, text));
	ret = ktlsd_run_for(args, 5, self->out, sizeof(self->out));
	if (ret == -1)
		SKIP(return, FAMILY_PRESENT);
	EXPECT_EQ(1, ret);
	snprintf(self->expect, sizeof(self->expect),
		 "ktlsd: warning: %s: ignored (no ktlsd equivalent, see ktlsd(8)): line 3: verbosity, line 5: keyring, line 7: x509.trust_store, line 11: x509.bogus, line 12: [main], line 13: x509.certificate\n",
		 self->d.conf);
	EXPECT_NE(NULL, strstr(self->out, self->expect)) TH_LOG("%s", self->out);
}

TEST_F(config, allow_rules_check)
{
	char text[2 * PATH_MAX + 256];

	server_conf(text, sizeof(text), self->cert, self->key,
		    "[allow uid 0]\nroles = server, client\n"
		    "server_names = *.example.com,db.internal\n"
		    "max_in_flight = 10\nmax_waiting = 20\n"
		    "[allow gid 0]\nroles = client\n"
		    "[handoff]\nfirst_byte_timeout = 500ms\n"
		    "request_timeout = 1s\nmax_in_flight_per_uid = 4\n"
		    "max_waiting = 8\nmax_waiting_per_uid = 2\n"
		    "max_unrequested = 8\nmax_unrequested_per_uid = 2\n");
	EXPECT_EQ(0, check(&self->d, text, -1, self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
}

TEST_HARNESS_MAIN
