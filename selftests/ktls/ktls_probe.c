// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls-probe against servers of ours: what it prints (--json) and how it
 * exits, for a good server, an expired certificate, TLS 1.2 with RSA, and
 * a port nobody listens on. Whether kernel TLS was installed must match
 * what this kernel can do. A certificate whose subject holds a newline
 * and terminal escapes is printed escaped (\xNN) in the text output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>

#include "kselftest_harness.h"
#include "test_config.h"

#define NO_TLS_REASON \
	"kernel TLS unavailable: the tls module is not loaded " \
	"(run 'modprobe tls'; the kernel needs CONFIG_TLS)"

struct server_job {
	int listen_fd;
	const char *cert, *key;
	uint16_t version;
};

/* Accept one connection, handshake, and wait for the client to go. */
static int serve_one(struct peer *thread)
{
	struct server_job *job = thread->arg;
	struct ktls_config config = {
		.role = KTLS_ROLE_SERVER,
		.min_version = job->version,
		.max_version = job->version,
	};
	char cert[PATH_MAX], key[PATH_MAX], buf[64];
	struct ktls_session *session = NULL;
	struct ktls_ctx *ctx;
	int fd, ret;

	if (job->cert[0] == '/') {
		snprintf(cert, sizeof(cert), "%s", job->cert);
		snprintf(key, sizeof(key), "%s", job->key);
	} else {
		test_pki_file(job->cert, cert, sizeof(cert));
		test_pki_file(job->key, key, sizeof(key));
	}
	config.cert_file = cert;
	config.key_file = key;
	ret = ktls_ctx_new(&config, &ctx);
	if (ret)
		return ret;
	fd = accept(job->listen_fd, NULL, NULL);
	if (fd < 0) {
		ktls_ctx_free(ctx);
		return -errno;
	}
	ktls_handshake(ctx, fd, &session);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	ktls_session_free(session);
	ktls_ctx_free(ctx);
	close(fd);
	return 0;
}

static int listen_any(int *port)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(fd, 1) || getsockname(fd, (struct sockaddr *)&addr, &len))
		return -errno;
	*port = ntohs(addr.sin_port);
	return fd;
}

/* Run ktls-probe ARGS... (--json if @json); its stdout in @out; exit status. */
static int run_probe_as(char *out, size_t len, bool json,
			const char *const args[])
{
	const char *bin = getenv("KTLSD_BIN");
	char path[PATH_MAX], ca[PATH_MAX];
	const char *argv[16];
	int pipefd[2], status, n = 0;
	size_t used = 0;
	ssize_t r;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/ktls-probe", bin ? bin : "build/bin");
	test_pki_file("ca.pem", ca, sizeof(ca));
	argv[n++] = path;
	if (json)
		argv[n++] = "--json";
	argv[n++] = "--ca";
	argv[n++] = ca;
	argv[n++] = "--timeout";
	argv[n++] = "5000";
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(pipefd))
		return -errno;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (used < len - 1 &&
	       (r = read(pipefd[0], out + used, len - 1 - used)) > 0)
		used += (size_t)r;
	out[used] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status);
}

static int run_probe(char *out, size_t len, const char *const args[])
{
	return run_probe_as(out, len, true, args);
}

FIXTURE(probe)
{
	int listen_fd, port;
	char target[32];
	struct peer server;
	struct server_job job;
	char out[8192];
};

FIXTURE_VARIANT(probe)
{
	const char *cert, *key;
	uint16_t version;
	const char *args[4];		/* extra ktls-probe arguments */
	int exit_status;
	const char *expect[5];		/* each must appear in the JSON */
	const char *text;		/* must appear in the text output */
};

FIXTURE_VARIANT_ADD(probe, good_tls13)
{
	.cert = "server.pem", .key = "server.key",
	.args = { "--name", "localhost" },
	.exit_status = 0,
	.expect = { "\"version\": \"TLSv1.3\"", "\"verified\": true",
		    "\"san\": \"IP:127.0.0.1, DNS:localhost\"",
		    "\"round_trips\": 1,",
		    "\"group\": \"X25519MLKEM768\"" },
	.text = ", group X25519MLKEM768\n",
};

FIXTURE_VARIANT_ADD(probe, expired)
{
	.cert = "expired.pem", .key = "expired.key",
	.args = { "--name", "localhost" },
	.exit_status = 1,
	.expect = { "\"verification\": \"certificate has expired\"",
		    "\"ktls\": \"not attempted: the certificate was not verified\"",
		    "\"not_after\": \"2021-01-01 00:00:00 UTC\"" },
};

/* A good chain for another name: shown, with the verdict, not a failure. */
FIXTURE_VARIANT_ADD(probe, wrong_name)
{
	.cert = "server.pem", .key = "server.key",
	.args = { "--name", "wrong.example" },
	.exit_status = 1,
	.expect = { "\"verification\": \"certificate name mismatch\"",
		    "\"handshake_ok\": true",
		    "\"subject\": \"/CN=localhost\"" },
};

FIXTURE_VARIANT_ADD(probe, tls12_rsa)
{
	.cert = "server-rsa.pem", .key = "server-rsa.key",
	.version = KTLS_TLS_1_2,
	.args = { "--tls1.2", "--cipher",
		  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	.exit_status = 0,
	.expect = { "\"version\": \"TLSv1.2\"",
		    "\"cipher\": \"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\"",
		    "\"round_trips\": 2,", "\"group\": \"X25519\"" },
	.text = ", group X25519\n",
};

FIXTURE_SETUP(probe)
{
	self->listen_fd = listen_any(&self->port);
	ASSERT_LE(0, self->listen_fd);
	snprintf(self->target, sizeof(self->target), "127.0.0.1:%d",
		 self->port);
	self->job = (struct server_job){
		.listen_fd = self->listen_fd,
		.cert = variant->cert,
		.key = variant->key,
		.version = variant->version,
	};
	ASSERT_EQ(0, peer_start(&self->server, serve_one, &self->job));
}

FIXTURE_TEARDOWN(probe)
{
	close(self->listen_fd);
}

TEST_F(probe, json_and_exit_status)
{
	const char *args[8] = { 0 };
	int i, n = 0, ktls = ktls_kernel_has_tls();

	for (i = 0; i < 4 && variant->args[i]; i++)
		args[n++] = variant->args[i];
	args[n] = self->target;
	EXPECT_EQ(variant->exit_status,
		  run_probe(self->out, sizeof(self->out), args))
		TH_LOG("%s", self->out);
	peer_join(&self->server);
	for (i = 0; i < 5 && variant->expect[i]; i++)
		EXPECT_NE(NULL, strstr(self->out, variant->expect[i]))
			TH_LOG("missing %s in:\n%s", variant->expect[i],
			       self->out);
	if (variant->exit_status)
		return;
	/* kTLS installed exactly where this kernel has it. */
	if (ktls == -ENOENT) {
		EXPECT_NE(NULL, strstr(self->out, NO_TLS_REASON))
			TH_LOG("%s", self->out);
	} else {
		EXPECT_NE(NULL, strstr(self->out, "\"ktls_installed\": true"))
			TH_LOG("%s", self->out);
	}
}

/* The text output names the group as the JSON does. */
TEST_F(probe, text_names_the_group)
{
	const char *args[8] = { 0 };
	int i, n = 0;

	for (i = 0; i < 4 && variant->args[i]; i++)
		args[n++] = variant->args[i];
	args[n] = self->target;
	run_probe_as(self->out, sizeof(self->out), false, args);
	peer_join(&self->server);
	if (variant->text)
		EXPECT_NE(NULL, strstr(self->out, variant->text))
			TH_LOG("missing %s in:\n%s", variant->text, self->out);
}

static int write_pem(const char *path, const uint8_t *der, int der_len,
		     int type)
{
	uint8_t pem[4096];
	int n = wc_DerToPem(der, (word32)der_len, pem, sizeof(pem), type);
	FILE *f;

	if (n <= 0)
		return -EIO;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fwrite(pem, 1, (size_t)n, f);
	return fclose(f) ? -errno : 0;
}

/* A self-signed ECDSA certificate for @cn (and @org) into @cert, @key. */
static int hostile_cert(const char *cn, const char *org, const char *cert,
			const char *key_path)
{
	uint8_t der[2048];
	ecc_key key;
	WC_RNG rng;
	Cert tmpl;
	int len, ret = -EIO;

	if (wc_InitRng(&rng))
		return -EIO;
	if (wc_ecc_init(&key))
		goto free_rng;
	if (wc_ecc_make_key_ex(&rng, 32, &key, ECC_SECP256R1) ||
	    wc_InitCert(&tmpl))
		goto free_key;
	snprintf(tmpl.subject.commonName, CTC_NAME_SIZE, "%s", cn);
	tmpl.subject.commonNameEnc = CTC_UTF8;
	snprintf(tmpl.subject.org, CTC_NAME_SIZE, "%s", org);
	tmpl.subject.orgEnc = CTC_UTF8;
	tmpl.sigType = CTC_SHA256wECDSA;
	/* wc_InitCert() made it self-signed: the issuer is the subject. */
	len = wc_MakeCert(&tmpl, der, sizeof(der), NULL, &key, &rng);
	if (len > 0)
		len = wc_SignCert(tmpl.bodySz, tmpl.sigType, der, sizeof(der),
				  NULL, &key, &rng);
	if (len <= 0 || write_pem(cert, der, len, CERT_TYPE))
		goto free_key;
	len = wc_EccKeyToDer(&key, der, sizeof(der));
	if (len <= 0 || write_pem(key_path, der, len, ECC_PRIVATEKEY_TYPE))
		goto free_key;
	ret = 0;
free_key:
	wc_ecc_free(&key);
free_rng:
	wc_FreeRng(&rng);
	return ret;
}

/*
 * The server's subject and issuer hold a newline, a fake output line and
 * terminal escapes (clear screen, set title, and C1 CSI as valid UTF-8:
 * WolfSSL 5.9 refuses a UTF8String that is not): the text output shows
 * them as \xNN, and no control byte but the line ends reaches the terminal.
 */
TEST(hostile_subject_printed_escaped)
{
	char cert[64], key[64], target[32], out[8192];
	const char *args[2] = { target, NULL };
	struct server_job job = { .cert = cert, .key = key };
	struct peer server;
	int port, i;

	snprintf(cert, sizeof(cert), "/tmp/ktls_probe_evil.%d.pem", getpid());
	snprintf(key, sizeof(key), "/tmp/ktls_probe_evil.%d.key", getpid());
	ASSERT_EQ(0, hostile_cert("evil\nverification: ok\x1b[2J",
				  "\x1b]0;owned\x07\xc2\x9b", cert, key));
	job.listen_fd = listen_any(&port);
	ASSERT_LE(0, job.listen_fd);
	snprintf(target, sizeof(target), "127.0.0.1:%d", port);
	ASSERT_EQ(0, peer_start(&server, serve_one, &job));
	/* Self-signed: not verified (exit 1), but the chain is shown. */
	EXPECT_EQ(1, run_probe_as(out, sizeof(out), false, args))
		TH_LOG("%s", out);
	peer_join(&server);
	close(job.listen_fd);
	unlink(cert);
	unlink(key);
	EXPECT_NE(NULL, strstr(out, "evil\\x0averification: ok\\x1b[2J"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\\x1b]0;owned\\x07\\xc2\\x9b"))
		TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "\nverification: ok\x1b"));
	for (i = 0; out[i]; i++)
		EXPECT_TRUE(out[i] == '\n' || (out[i] >= 0x20 && out[i] < 0x7f))
			TH_LOG("byte 0x%02x at %d", (unsigned char)out[i], i);
}

/* Nothing listens: exit 2 and the reason. */
TEST(connection_refused)
{
	static const char *const args[] = { "127.0.0.1:1", NULL };
	char out[4096];

	EXPECT_EQ(2, run_probe(out, sizeof(out), args));
	EXPECT_NE(NULL, strstr(out, "\"handshake_ok\": false"));
	EXPECT_NE(NULL, strstr(out, "Connection refused")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
