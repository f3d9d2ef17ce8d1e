# SPDX-License-Identifier: GPL-2.0-or-later
# Stub: the fuzz helper writes the real fuzz/build.mk; this branch adds
# only its line.
FUZZ_SRCS_handoff_request := userspace/ktlsd/handoff_request.c
