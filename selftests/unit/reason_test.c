// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls_reason() reads right when a failure wraps the reason of the one
 * below it (ktls_fail with ktls_reason() as an argument: source and
 * destination of one vsnprintf were the same buffer).
 */
#include <errno.h>

#include <ktls/ktls.h>

#include "kselftest_harness.h"

/* A PSK context whose cipher list has no TLS 1.3 suite. */
TEST(psk_suite_reason_wraps_inner_reason)
{
	static const uint8_t key[32] = { 1 };
	struct ktls_config config = {
		.role = KTLS_ROLE_CLIENT,
		.psk_identity = "id",
		.psk_key = key,
		.psk_key_len = sizeof(key),
		.ciphers = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	};
	struct ktls_ctx *ctx;

	ASSERT_EQ(-EINVAL, ktls_ctx_new(&config, &ctx));
	EXPECT_STREQ("a PSK needs a TLS 1.3 cipher suite: no cipher suite in 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' is usable with the configured TLS versions",
		     ktls_reason());
}

TEST_HARNESS_MAIN
