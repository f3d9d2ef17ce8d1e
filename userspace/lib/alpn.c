// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ALPN (RFC 7301): a client offers a list, a server picks the first of its
 * own list the client offered, or goes on without ALPN.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ktls_internal.h"

/* "h2,http/1.1": names of 1..255 bytes, no empty entries. */
static int check_alpn_list(const char *protocols)
{
	const char *p = protocols;
	size_t len;

	if (!*p)
		return __ktls_fail(-EINVAL, "ALPN list is empty");
	while (*p) {
		len = strcspn(p, ",");
		if (len == 0 || len > WOLFSSL_MAX_ALPN_PROTO_NAME_LEN)
			return __ktls_fail(-EINVAL,
					 "ALPN list \"%s\": each protocol name needs 1 to %d bytes between commas",
					 protocols,
					 WOLFSSL_MAX_ALPN_PROTO_NAME_LEN);
		p += len;
		if (*p == ',' && !*++p)
			return __ktls_fail(-EINVAL,
					 "ALPN list \"%s\" ends with a comma",
					 protocols);
	}
	return 0;
}

int ktls_session_set_alpn(struct ktls_session *session, const char *protocols)
{
	char list[1024];
	int ret;

	ret = check_alpn_list(protocols);
	if (ret)
		return ret;
	if (strlen(protocols) >= sizeof(list))
		return __ktls_fail(-ENAMETOOLONG, "ALPN list is longer than %zu bytes",
				 sizeof(list) - 1);
	/* WolfSSL takes the list comma-separated, and writable. */
	snprintf(list, sizeof(list), "%s", protocols);
	/*
	 * A server without a match goes on without ALPN (RFC 7301 allows
	 * either; the application sees "" and decides).
	 */
	if (wolfSSL_UseALPN(session->ssl, list, (unsigned int)strlen(list),
			    WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) !=
	    WOLFSSL_SUCCESS)
		return __ktls_fail(-EINVAL, "WolfSSL rejected the ALPN list \"%s\"",
				 protocols);
	return 0;
}

const char *ktls_session_alpn(const struct ktls_session *session)
{
	/* The agreed name is cached in the session: logically const. */
	struct ktls_session *cache = (struct ktls_session *)session;
	unsigned short len = 0;
	char *name = NULL;

	if (wolfSSL_ALPN_GetProtocol(session->ssl, &name, &len) !=
		    WOLFSSL_SUCCESS ||
	    !name || len >= sizeof(cache->alpn))
		return "";
	memcpy(cache->alpn, name, len);
	cache->alpn[len] = '\0';
	return cache->alpn;
}
