// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvme_key: the keyring steps of the nvme_tls test, which busybox cannot
 * do (Debian 12's nvme-cli 2.3 has no TLS either). Prints serials in
 * decimal, as /dev/nvme-fabrics' keyring= and tls_key= options take them.
 *
 *   nvme_key nvme-keyring              the kernel's .nvme keyring
 *   nvme_key keyring NAME              a new keyring in root's user keyring
 *   nvme_key add KEYRING IDENTITY HEX  a "psk" key described IDENTITY
 *   nvme_key find KEYRING IDENTITY     keyctl_search for the "psk" key
 *   nvme_key remove SERIAL             invalidate a key or keyring
 *
 * Keys and keyrings get possessor and user permissions, so that ktlsd
 * (root) and the kernel can read them whoever links them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <keyutils.h>

#define ALL_PERMS (KEY_POS_ALL | KEY_USR_ALL)
#define PSK_MAX 64

static int usage(void)
{
	fprintf(stderr, "usage: nvme_key nvme-keyring | keyring NAME | "
			"add KEYRING IDENTITY HEX | find KEYRING IDENTITY | "
			"remove SERIAL\n");
	return 2;
}

/* The .nvme keyring's serial, from /proc/keys (nvme-keyring's own). */
static int nvme_keyring(void)
{
	char line[512], type[64], desc[256];
	unsigned int serial;
	FILE *keys;

	keys = fopen("/proc/keys", "r");
	if (!keys) {
		perror("nvme_key: /proc/keys");
		return 1;
	}
	while (fgets(line, sizeof(line), keys)) {
		if (sscanf(line, "%x %*s %*s %*s %*s %*s %*s %63s %255s",
			   &serial, type, desc) == 3 &&
		    !strcmp(type, "keyring") && !strcmp(desc, ".nvme:")) {
			fclose(keys);
			printf("%u\n", serial);
			return 0;
		}
	}
	fclose(keys);
	fprintf(stderr, "nvme_key: no .nvme keyring in /proc/keys (is CONFIG_NVME_KEYRING built in or nvme-keyring loaded?)\n");
	return 1;
}

static int set_perms(key_serial_t serial, const char *what)
{
	if (keyctl_setperm(serial, ALL_PERMS) < 0) {
		fprintf(stderr, "nvme_key: setperm on %s %d: %s\n", what,
			serial, strerror(errno));
		return 1;
	}
	return 0;
}

static int new_keyring(const char *name)
{
	key_serial_t ring;

	ring = add_key("keyring", name, NULL, 0, KEY_SPEC_USER_KEYRING);
	if (ring < 0) {
		fprintf(stderr, "nvme_key: add_key keyring %s: %s\n", name,
			strerror(errno));
		return 1;
	}
	if (set_perms(ring, "keyring"))
		return 1;
	printf("%d\n", ring);
	return 0;
}

static int add_psk(const char *keyring, const char *identity, const char *hex)
{
	key_serial_t ring = (key_serial_t)strtol(keyring, NULL, 10);
	uint8_t psk[PSK_MAX];
	size_t len = strlen(hex) / 2;
	key_serial_t key;

	if (strlen(hex) % 2 || !len || len > PSK_MAX) {
		fprintf(stderr, "nvme_key: the key is 1 to %d bytes in hex\n",
			PSK_MAX);
		return 2;
	}
	for (size_t i = 0; i < len; i++) {
		if (sscanf(hex + 2 * i, "%2hhx", &psk[i]) != 1) {
			fprintf(stderr, "nvme_key: not hex: %s\n", hex);
			return 2;
		}
	}
	/*
	 * Made in our own keyring, where we possess it and may set its
	 * permissions, then moved: .nvme is not ours to possess.
	 */
	key = add_key("psk", identity, psk, len, KEY_SPEC_PROCESS_KEYRING);
	explicit_bzero(psk, sizeof(psk));
	if (key < 0) {
		fprintf(stderr, "nvme_key: add_key psk \"%s\": %s\n",
			identity, strerror(errno));
		return 1;
	}
	if (set_perms(key, "key"))
		return 1;
	if (keyctl_link(key, ring) < 0) {
		fprintf(stderr, "nvme_key: linking key %d into keyring %d: %s\n",
			key, ring, strerror(errno));
		return 1;
	}
	printf("%d\n", key);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "nvme-keyring"))
		return nvme_keyring();
	if (argc == 3 && !strcmp(argv[1], "keyring"))
		return new_keyring(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "add"))
		return add_psk(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "find")) {
		long key = keyctl_search((key_serial_t)strtol(argv[2], NULL,
							       10),
					 "psk", argv[3], 0);

		if (key < 0) {
			fprintf(stderr, "nvme_key: search %s for \"%s\": %s\n",
				argv[2], argv[3], strerror(errno));
			return 1;
		}
		printf("%ld\n", key);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "remove")) {
		if (keyctl_invalidate((key_serial_t)strtol(argv[2], NULL,
							   10)) < 0) {
			fprintf(stderr, "nvme_key: invalidate %s: %s\n",
				argv[2], strerror(errno));
			return 1;
		}
		return 0;
	}
	return usage();
}
