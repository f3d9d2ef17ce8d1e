// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktlsd_config: ktlsd.conf through ktlsd_config_load()
 * (userspace/ktlsd/config.c), which hands tlshd's format on to
 * tlshd_config.c. Whatever the file says, the load must end in 0 or an
 * error that names the file, and leave every string terminated.
 * Paths in the seeds are ones every machine has (/dev/null, /etc/passwd):
 * the parser only checks that it can open them.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ktlsd/config.h"

#define terminated(s) (!!memchr((s), 0, sizeof(s)))

static bool role_ok(const struct ktlsd_role_config *r)
{
	return terminated(r->certificate) && terminated(r->private_key) &&
	       terminated(r->trust_store) && terminated(r->ciphers) &&
	       terminated(r->groups);
}

static bool upcall_ok(const struct ktlsd_upcall_config *u)
{
	return terminated(u->certificate) && terminated(u->private_key) &&
	       terminated(u->trust_store) &&
	       terminated(u->client_certificate) &&
	       terminated(u->client_private_key) &&
	       terminated(u->client_trust_store) && terminated(u->keyrings) &&
	       terminated(u->tlshd_ignored);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ktlsd_config config;
	const char *path = fuzz_input_file(data, size);
	char err[512];
	int ret;

	memset(err, 0, sizeof(err));
	ret = ktlsd_config_load(path, &config, err, sizeof(err));
	if (ret > 0 || (ret && strncmp(err, path, strlen(path))))
		abort();
	if (!ret && (!terminated(config.path) ||
		     !terminated(config.handoff_path) ||
		     !role_ok(&config.server) || !role_ok(&config.client) ||
		     !upcall_ok(&config.upcall)))
		abort();
	return 0;
}
