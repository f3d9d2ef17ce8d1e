// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ktls_reason() reads right when a failure wraps the reason of the one
 * below it (__ktls_fail with ktls_reason() as an argument: source and
 * destination of one vsnprintf were the same buffer), and
 * ktls_reason_field() names the ktls_config member a refused context was
 * about, whatever the reason's words.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include <ktls/ktls.h>

#include "kselftest_harness.h"
#include "test_util.h"

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

/* One refused configuration per member, and the member it names. */
TEST(reason_field_names_the_member)
{
	static const uint8_t short_key[8] = { 1 };
	char cert[PATH_MAX], key[PATH_MAX], other_key[PATH_MAX], crl[PATH_MAX];
	struct {
		const char *what;
		struct ktls_config config;
		enum ktls_config_field field;
	} cases[] = {
		{ "versions", { .role = KTLS_ROLE_CLIENT, .server_name = "x",
				.min_version = KTLS_TLS_1_3,
				.max_version = KTLS_TLS_1_2 },
		  KTLS_FIELD_VERSIONS },
		{ "ciphers", { .role = KTLS_ROLE_CLIENT, .server_name = "x",
			       .ciphers = "TLS_NO_SUCH_SUITE" },
		  KTLS_FIELD_CIPHERS },
		{ "groups", { .role = KTLS_ROLE_CLIENT, .server_name = "x",
			      .groups = "P-999" },
		  KTLS_FIELD_GROUPS },
		{ "missing cert", { .role = KTLS_ROLE_SERVER,
				    .cert_file = "/nonexistent.pem",
				    .key_file = key },
		  KTLS_FIELD_CERT_FILE },
		{ "key of another cert", { .role = KTLS_ROLE_SERVER,
					   .cert_file = cert,
					   .key_file = other_key },
		  KTLS_FIELD_KEY_FILE },
		{ "cert without key", { .role = KTLS_ROLE_SERVER,
					.cert_file = cert },
		  KTLS_FIELD_KEY_FILE },
		{ "CRL as trust store", { .role = KTLS_ROLE_CLIENT,
					  .server_name = "x", .ca_file = crl },
		  KTLS_FIELD_CA_FILE },
		{ "CRL on a plain server", { .role = KTLS_ROLE_SERVER,
					     .cert_file = cert,
					     .key_file = key,
					     .crl_file = crl },
		  KTLS_FIELD_CRL_FILE },
		{ "certificate as CRL", { .role = KTLS_ROLE_CLIENT,
					  .server_name = "x",
					  .crl_file = cert },
		  KTLS_FIELD_CRL_FILE },
		{ "no server name", { .role = KTLS_ROLE_CLIENT },
		  KTLS_FIELD_SERVER_NAME },
		{ "short PSK", { .role = KTLS_ROLE_CLIENT,
				 .psk_identity = "id", .psk_key = short_key,
				 .psk_key_len = sizeof(short_key) },
		  KTLS_FIELD_PSK },
	};
	struct ktls_config good = { .role = KTLS_ROLE_SERVER };
	struct ktls_ctx *ctx;

	test_pki_file("server.pem", cert, sizeof(cert));
	test_pki_file("server.key", key, sizeof(key));
	test_pki_file("client.key", other_key, sizeof(other_key));
	test_pki_file("crl.pem", crl, sizeof(crl));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_GT(0, ktls_ctx_new(&cases[i].config, &ctx))
			TH_LOG("%s: accepted", cases[i].what);
		EXPECT_EQ((int)cases[i].field, (int)ktls_reason_field())
			TH_LOG("%s: %s", cases[i].what, ktls_reason());
	}
	/* A context that builds leaves no member blamed. */
	good.cert_file = cert;
	good.key_file = key;
	ASSERT_EQ(0, ktls_ctx_new(&good, &ctx)) TH_LOG("%s", ktls_reason());
	EXPECT_EQ(KTLS_FIELD_NONE, (int)ktls_reason_field());
	ktls_ctx_free(ctx);
}

TEST_HARNESS_MAIN
