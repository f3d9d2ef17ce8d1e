// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cipher suites ktlsd negotiates: only those the kernel can take over,
 * with the kernel's name for the cipher and the sizes of its crypto_info.
 */
#include <linux/tls.h>

#include "internal.h"

static const struct ktls_suite suites[] = {
	{
		.iana = 0x1301,
		.name = "TLS_AES_128_GCM_SHA256",
		.wolfssl_name = "TLS13-AES128-GCM-SHA256",
		.hash = KTLS_HASH_SHA256,
		.kernel_cipher = TLS_CIPHER_AES_GCM_128,
		.kernel_aead = "gcm(aes)",
		.key_len = TLS_CIPHER_AES_GCM_128_KEY_SIZE,
		.salt_len = TLS_CIPHER_AES_GCM_128_SALT_SIZE,
		.iv_len = TLS_CIPHER_AES_GCM_128_IV_SIZE,
	},
	{
		.iana = 0x1302,
		.name = "TLS_AES_256_GCM_SHA384",
		.wolfssl_name = "TLS13-AES256-GCM-SHA384",
		.hash = KTLS_HASH_SHA384,
		.kernel_cipher = TLS_CIPHER_AES_GCM_256,
		.kernel_aead = "gcm(aes)",
		.key_len = TLS_CIPHER_AES_GCM_256_KEY_SIZE,
		.salt_len = TLS_CIPHER_AES_GCM_256_SALT_SIZE,
		.iv_len = TLS_CIPHER_AES_GCM_256_IV_SIZE,
	},
	{
		.iana = 0x1303,
		.name = "TLS_CHACHA20_POLY1305_SHA256",
		.wolfssl_name = "TLS13-CHACHA20-POLY1305-SHA256",
		.hash = KTLS_HASH_SHA256,
		.kernel_cipher = TLS_CIPHER_CHACHA20_POLY1305,
		.kernel_aead = "rfc7539(chacha20,poly1305)",
		.key_len = TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE,
		.salt_len = TLS_CIPHER_CHACHA20_POLY1305_SALT_SIZE,
		.iv_len = TLS_CIPHER_CHACHA20_POLY1305_IV_SIZE,
	},
	{
		.iana = 0x1304,
		.name = "TLS_AES_128_CCM_SHA256",
		.wolfssl_name = "TLS13-AES128-CCM-SHA256",
		.hash = KTLS_HASH_SHA256,
		.kernel_cipher = TLS_CIPHER_AES_CCM_128,
		.kernel_aead = "ccm(aes)",
		.key_len = TLS_CIPHER_AES_CCM_128_KEY_SIZE,
		.salt_len = TLS_CIPHER_AES_CCM_128_SALT_SIZE,
		.iv_len = TLS_CIPHER_AES_CCM_128_IV_SIZE,
	},
};

const struct ktls_suite *ktls_suite_find(uint16_t iana)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].iana == iana)
			return &suites[i];
	return NULL;
}
