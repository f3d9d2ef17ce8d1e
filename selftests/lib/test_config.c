// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "test_config.h"

int test_handshake_opts(enum ktls_role role, int fd,
			const struct test_opts *opts, unsigned int dirs,
			struct ktls_session **session)
{
	struct ktls_config config = {
		.role = role,
		.min_version = opts->version,
		.max_version = opts->version,
		.ciphers = opts->cipher,
		.groups = opts->groups,
		.session_tickets = opts->session_tickets,
		.key_update_records = opts->key_update_records,
	};
	char cert[PATH_MAX], key[PATH_MAX];
	struct ktls_ctx *ctx;
	struct test_pki pki;
	int ret;

	test_pki(&pki);
	if (role == KTLS_ROLE_SERVER) {
		test_pki_file(opts->rsa ? "server-rsa.pem" : "server.pem", cert,
			      sizeof(cert));
		test_pki_file(opts->rsa ? "server-rsa.key" : "server.key", key,
			      sizeof(key));
		config.cert_file = cert;
		config.key_file = key;
	} else {
		config.ca_file = pki.ca;
		config.server_name = "localhost";
	}
	ret = ktls_ctx_new(&config, &ctx);
	if (ret)
		return ret;
	ret = ktls_handshake(ctx, fd, session);
	ktls_ctx_free(ctx);
	if (ret || !dirs)
		return ret;
	ret = ktls_install(*session, dirs);
	if (ret) {
		ktls_session_free(*session);
		*session = NULL;
	}
	return ret;
}

int test_handshake(enum ktls_role role, int fd, unsigned int dirs,
		   struct ktls_session **session)
{
	static const struct test_opts defaults;

	return test_handshake_opts(role, fd, &defaults, dirs, session);
}

static ssize_t session_recv(void *handle, void *buf, size_t len)
{
	return ktls_recv(handle, buf, len);
}

static ssize_t session_send(void *handle, const void *buf, size_t len)
{
	return ktls_send(handle, buf, len);
}

static void session_abort(void *handle)
{
	shutdown(ktls_session_fd(handle), SHUT_RDWR);
}

void ktls_stream(struct stream *stream, struct ktls_session *session)
{
	stream->send = session_send;
	stream->recv = session_recv;
	stream->abort = session_abort;
	stream->handle = session;
}

bool kernel_can_rekey(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 14);
}
