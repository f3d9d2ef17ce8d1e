/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel keys for the upcall tests: a file's bytes as a "user" key (what
 * a kernel consumer's key serial names), and /proc/keys read the way a
 * user would. System calls, not libkeyutils, so that every test program
 * can link this file.
 */
#ifndef TEST_KEYS_H
#define TEST_KEYS_H

#include <stddef.h>
#include <stdint.h>

/* A "user" key @desc in @keyring holding the file at @path: its serial, or -1. */
int32_t test_file_key(const char *desc, const char *path, int32_t keyring);

/*
 * Field @field (0: serial, 3: timeout, 8: description to the line's end)
 * of @serial's line in /proc/keys: 0, -ENOENT without such a line.
 */
int test_proc_keys_field(int32_t serial, int field, char *out, size_t len);

/* How many keys keyring @serial holds, from its /proc/keys line; -1 if unknown. */
int test_keyring_size(int32_t serial);

#endif /* TEST_KEYS_H */
