// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlshd_config: tlshd's configuration file (tlshd.conf(5)) through
 * ktlsd_config_load_tlshd() (userspace/ktlsd/tlshd_config.c), and the
 * sniffing that sends a file there (ktlsd_config_is_tlshd()). The load
 * ends in 0 or an error naming the file, every string terminated, and
 * what it ignored listed. Seed paths are ones every machine has.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ktlsd/config.h"

#define terminated(s) (!!memchr((s), 0, sizeof(s)))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ktlsd_config config;
	const char *path = fuzz_input_file(data, size);
	const struct ktlsd_upcall_config *u = &config.upcall;
	char err[512];
	int ret;

	ret = ktlsd_config_is_tlshd(path);
	if (ret < 0 || ret > 1)
		abort();
	memset(err, 0, sizeof(err));
	ret = ktlsd_config_load_tlshd(path, &config, err, sizeof(err));
	if (ret > 0 || (ret && strncmp(err, path, strlen(path))))
		abort();
	if (!ret && (u->enable != KTLSD_UPCALL_YES || !u->from_tlshd ||
		     !terminated(u->certificate) ||
		     !terminated(u->private_key) ||
		     !terminated(u->trust_store) ||
		     !terminated(u->client_certificate) ||
		     !terminated(u->client_private_key) ||
		     !terminated(u->client_trust_store) ||
		     !terminated(u->keyrings) || !terminated(u->tlshd_ignored)))
		abort();
	return 0;
}
