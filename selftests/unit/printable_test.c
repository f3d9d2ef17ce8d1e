// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * __ktls_printable() (include/ktls/printable.h): what a peer-controlled
 * string looks like in a log line. No byte that could end the line or
 * drive a terminal survives; truncation never splits an escape.
 */
#include <string.h>

#include <ktls/printable.h>

#include "kselftest_harness.h"

#define ESC(s) __ktls_printable(out, sizeof(out), s, sizeof(s) - 1)

TEST(plain_text_unchanged)
{
	char out[64];

	ASSERT_STREQ("www.example.com", ESC("www.example.com"));
	ASSERT_STREQ("GET /a%20b?x=1 HTTP/1.1", ESC("GET /a%20b?x=1 HTTP/1.1"));
}

TEST(control_bytes_escaped)
{
	char out[128];

	ASSERT_STREQ("evil\\x0aktlsd: info: forged", ESC("evil\nktlsd: info: forged"));
	ASSERT_STREQ("\\x1b[2J\\x1b]0;title\\x07", ESC("\x1b[2J\x1b]0;title\a"));
	ASSERT_STREQ("a\\x0d\\x09b\\x7f", ESC("a\r\tb\x7f"));
	/* NUL is one more byte, not the end. */
	ASSERT_STREQ("a\\x00b", ESC("a\0b"));
	/* 8-bit C1 CSI and invalid UTF-8 alike. */
	ASSERT_STREQ("\\x9b\\xc3\\xa9", ESC("\x9b\xc3\xa9"));
	/* The backslash itself, so an escape cannot be faked. */
	ASSERT_STREQ("\\x5cx0a", ESC("\\x0a"));
}

TEST(truncation_keeps_escapes_whole)
{
	char out[7];

	/* "ab" + "\x0a" needs 7 bytes with the NUL: fits exactly. */
	ASSERT_STREQ("ab\\x0a", ESC("ab\n"));
	/* "abc" then an escape that would not fit: dropped whole. */
	ASSERT_STREQ("abc", ESC("abc\nd"));
	ASSERT_STREQ("abcdef", ESC("abcdefgh"));
	ASSERT_STREQ("", __ktls_printable(out, 1, "x", 1));
	out[0] = 'z';
	__ktls_printable(out, 0, "x", 1);
	ASSERT_EQ('z', out[0]);
}

TEST(worst_case_size)
{
	char in[100], out[KTLS_PRINTABLE_SIZE(sizeof(in))];

	memset(in, '\n', sizeof(in));
	__ktls_printable(out, sizeof(out), in, sizeof(in));
	ASSERT_EQ(4 * sizeof(in), strlen(out));
}

TEST_HARNESS_MAIN
