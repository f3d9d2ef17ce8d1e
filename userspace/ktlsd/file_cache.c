// SPDX-License-Identifier: GPL-2.0-or-later
/* The worker's copies of its certificates and trust stores (file_cache.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "file_cache.h"
#include "ktls/ktls.h"

#define MAX_CACHED_FILES 12

struct cached_file {
	char *path;
	uint8_t *data;
	size_t len;
};

static struct cached_file files[MAX_CACHED_FILES];
static int nr_files;

static int add(const char *path)
{
	struct cached_file *f;

	if (!*path)
		return 0;
	for (int i = 0; i < nr_files; i++)
		if (!strcmp(files[i].path, path))
			return 0;
	if (nr_files == MAX_CACHED_FILES)
		return -ENOSPC;
	f = &files[nr_files];
	/* Unreadable now is an error the context build reports itself. */
	if (ktls_read_file("file", path, &f->data, &f->len))
		return 0;
	f->path = strdup(path);
	if (!f->path) {
		ktls_file_free(f->data, f->len);
		return -ENOMEM;
	}
	nr_files++;
	return 0;
}

int ktlsd_file_cache_fill(const struct ktlsd_config *config)
{
	const struct ktlsd_upcall_config *u = &config->upcall;
	const char *const paths[] = {
		config->server.certificate, config->client.trust_store,
		config->client.crl, u->certificate, u->trust_store,
		u->client_certificate, u->client_trust_store, u->crl,
		u->client_crl,
	};
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(paths) / sizeof(paths[0]); i++)
		ret = add(paths[i]);
	return ret;
}

int ktlsd_file_cache_read(void *arg, const char *path, uint8_t **data,
			  size_t *len)
{
	(void)arg;
	for (int i = 0; i < nr_files; i++) {
		if (strcmp(files[i].path, path))
			continue;
		*data = malloc(files[i].len + 1);
		if (!*data)
			return -ENOMEM;
		memcpy(*data, files[i].data, files[i].len + 1);
		*len = files[i].len;
		return 0;
	}
	/* The system trust store, say: readable by anyone. */
	return ktls_read_file("file", path, data, len);
}
