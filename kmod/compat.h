/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels kmod/ builds for, in one place
 * (Kbuild finds some of them in the headers). The rest of kmod/ has no
 * version checks.
 */
#ifndef KTLSD_COMPAT_H
#define KTLSD_COMPAT_H

#include <linux/version.h>

/*
 * Linux 6.4+ built with net/handshake has the API; elsewhere
 * ktlsd_handshake.ko provides the same one.
 */
#if IS_ENABLED(CONFIG_NET_HANDSHAKE)
#include <net/handshake.h>
#else
#include "ktlsd_handshake.h"
#endif

/*
 * The SHA-256 library's streaming context is struct sha256_ctx from Linux
 * 6.16 (struct sha256_state before), and kernel_bind() and kernel_connect()
 * take a struct sockaddr_unsized from 6.19. Kbuild looks for both in the
 * headers. Built and tested on 6.1, 6.12 and 7.3.
 */
#ifdef KTLSD_HAVE_SHA256_CTX
#define ktlsd_sha256_ctx sha256_ctx
#else
#define ktlsd_sha256_ctx sha256_state
#endif

#ifdef KTLSD_HAVE_SOCKADDR_UNSIZED
#define KTLSD_SOCKADDR(addr) ((struct sockaddr_unsized *)(addr))
#else
#define KTLSD_SOCKADDR(addr) ((struct sockaddr *)(addr))
#endif

#endif /* KTLSD_COMPAT_H */
