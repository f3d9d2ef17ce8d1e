/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels kmod/ builds for, in one place.
 * The rest of kmod/ has no version checks.
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

#endif /* KTLSD_COMPAT_H */
