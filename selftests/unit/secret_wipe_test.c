// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Secrets do not outlive their use on the stack. After our key schedule
 * returns, the HMAC pads of the secret (key ^ 0x36, key ^ 0x5c: the secret
 * itself, to anyone who XORs) must not be left in the dead stack below the
 * caller; after ktls_ctx_new() has loaded a private key, no line of the key
 * PEM may be there either. The dead stack is read back through a large
 * uninitialised array in a function called from the same frame.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ktls/keysched.h>
#include <ktls/ktls.h>

#include "kselftest_harness.h"
#include "test_util.h"

#define SECRET_LEN 32
#define DEAD_STACK (64 * 1024)
#define PAD_IN 0x36
#define PAD_OUT 0x5c

/* Reading memory nobody wrote since it was handed out is the point. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

/*
 * Does @pattern lie in the stack below our caller's frame, left by calls
 * that returned? The array is never written: what it holds is whatever
 * the last deeper calls left there (the empty asm stops the compiler from
 * assuming anything about it).
 */
static __attribute__((noinline)) bool on_dead_stack(const uint8_t *pattern,
						    size_t len)
{
	uint8_t dead[DEAD_STACK];
	size_t i, j;

	asm volatile("" : : "r"(dead) : "memory");

	for (i = 0; i + len <= sizeof(dead); i++) {
		for (j = 0; j < len && dead[i + j] == pattern[j]; j++)
			;
		if (j == len)
			return true;
	}
	return false;
}

/* Leave the stack below us zeroed, so only what follows can be found. */
static __attribute__((noinline)) void clear_stack(void)
{
	uint8_t dead[DEAD_STACK];

	memset(dead, 0, sizeof(dead));
	asm volatile("" : : "r"(dead) : "memory");
}

/*
 * Is @text in memory malloc hands back? Blocks freed unwiped (a stdio
 * buffer, say) come back from the heap's free lists and top with their
 * old bytes. Large enough to take them all, under the mmap threshold.
 */
#define HEAP_BLOCKS 256
#define HEAP_BLOCK 4096

static bool in_freed_heap(const char *text)
{
	size_t len = strlen(text);
	uint8_t *blocks[HEAP_BLOCKS];
	bool found = false;

	for (int i = 0; i < HEAP_BLOCKS; i++) {
		blocks[i] = malloc(HEAP_BLOCK);
		if (blocks[i] && !found)
			found = memmem(blocks[i], HEAP_BLOCK, text, len);
	}
	for (int i = 0; i < HEAP_BLOCKS; i++)
		free(blocks[i]);
	return found;
}

#pragma GCC diagnostic pop

static void pad(const uint8_t *secret, uint8_t xor, uint8_t *out)
{
	for (size_t i = 0; i < SECRET_LEN; i++)
		out[i] = secret[i] ^ xor;
}

/* A traffic secret's key and IV, as install.c derives them. */
TEST(hmac_pads_wiped)
{
	uint8_t secret[SECRET_LEN], ipad[SECRET_LEN], opad[SECRET_LEN];
	uint8_t key[16], iv[12];

	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(0x80 + 3 * i);
	pad(secret, PAD_IN, ipad);
	pad(secret, PAD_OUT, opad);
	clear_stack();
	ASSERT_FALSE(on_dead_stack(ipad, sizeof(ipad)));

	ASSERT_EQ(0, __ktls_traffic_key_iv(KTLS_HASH_SHA256, secret, key,
					   sizeof(key), iv, sizeof(iv)));
	EXPECT_FALSE(on_dead_stack(ipad, sizeof(ipad)))
		TH_LOG("secret ^ 0x36 (HMAC ipad) left on the stack");
	EXPECT_FALSE(on_dead_stack(opad, sizeof(opad)))
		TH_LOG("secret ^ 0x5c (HMAC opad) left on the stack");
}

/* The base64 lines of @path's PEM body, NUL-separated in @lines. */
#define PEM_LINES 40

static int pem_lines(const char *path, char lines[PEM_LINES][80])
{
	FILE *f = fopen(path, "re");
	char buf[256];
	int n = 0;

	if (!f)
		return -errno;
	while (n < PEM_LINES && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		/* Long enough to be this key's and no other text's. */
		if (strncmp(buf, "-----", 5) && strlen(buf) >= 40 &&
		    strlen(buf) < 80)
			snprintf(lines[n++], sizeof(lines[0]), "%s", buf);
	}
	fclose(f);
	return n;
}

static void key_pem_not_left(struct __test_metadata *_metadata,
			     const char *cert_name, const char *key_name)
{
	char cert[PATH_MAX], key[PATH_MAX], lines[PEM_LINES][80];
	struct ktls_config config = {
		.role = KTLS_ROLE_SERVER,
		.cert_file = cert,
		.key_file = key,
	};
	struct ktls_ctx *ctx;
	int n;

	test_pki_file(cert_name, cert, sizeof(cert));
	test_pki_file(key_name, key, sizeof(key));
	n = pem_lines(key, lines);
	ASSERT_LT(0, n) TH_LOG("%s: no PEM body (run make)", key);
	clear_stack();

	ASSERT_EQ(0, ktls_ctx_new(&config, &ctx)) TH_LOG("%s", ktls_reason());
	for (int i = 0; i < n; i++) {
		const uint8_t *line = (const uint8_t *)lines[i];

		EXPECT_FALSE(on_dead_stack(line, strlen(lines[i])))
			TH_LOG("line %d of %s is left on the stack", i + 2,
			       key);
		EXPECT_FALSE(in_freed_heap(lines[i]))
			TH_LOG("line %d of %s is left in freed heap memory",
			       i + 2, key);
	}
	ktls_ctx_free(ctx);
}

TEST(ecdsa_key_pem_wiped)
{
	key_pem_not_left(_metadata, "server.pem", "server.key");
}

TEST(rsa_key_pem_wiped)
{
	key_pem_not_left(_metadata, "server-rsa.pem", "server-rsa.key");
}

/* A key WolfSSL cannot take: a PEM whose DER is cut short. */
TEST(refused_key_pem_wiped)
{
	char cert[PATH_MAX], key[PATH_MAX], lines[PEM_LINES][80];
	char bad[] = "/tmp/secret_wipe_test.XXXXXX";
	struct ktls_config config = {
		.role = KTLS_ROLE_SERVER,
		.cert_file = cert,
		.key_file = bad,
	};
	struct ktls_ctx *ctx;
	FILE *f;
	int n, fd;

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("server.key", key, sizeof(key));
	n = pem_lines(key, lines);
	ASSERT_LT(1, n);
	fd = mkstemp(bad);
	ASSERT_LE(0, fd);
	f = fdopen(fd, "w");
	n--;
	fprintf(f, "-----BEGIN PRIVATE KEY-----\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[i]);
	fprintf(f, "-----END PRIVATE KEY-----\n");
	fclose(f);
	clear_stack();
	EXPECT_EQ(-EINVAL, ktls_ctx_new(&config, &ctx));
	unlink(bad);
	for (int i = 0; i < n; i++) {
		EXPECT_FALSE(on_dead_stack((const uint8_t *)lines[i],
					   strlen(lines[i])))
			TH_LOG("line %d of the key is left on the stack", i + 2);
	}
}

TEST_HARNESS_MAIN
