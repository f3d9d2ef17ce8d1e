# SPDX-License-Identifier: GPL-2.0-or-later
# Stub from the h-serve branch: only ktls-serve's per-target lines. The fuzz
# helper's fuzz/build.mk (the rules, make fuzz) replaces this file; these
# lines go into its per-target block.
FUZZ_SRCS_http_request := userspace/serve/http_parse.c
FUZZ_CPPFLAGS_http_request := -Iuserspace/serve
FUZZ_SRCS_http_range := userspace/serve/http_range.c userspace/serve/http_parse.c
FUZZ_CPPFLAGS_http_range := -Iuserspace/serve
FUZZ_SRCS_http_path := userspace/serve/http_path.c userspace/serve/http_parse.c
FUZZ_CPPFLAGS_http_path := -Iuserspace/serve
FUZZ_SRCS_keyproc := userspace/ktlsd/keyproc_wire.c
FUZZ_SRCS_hello := userspace/lib/hello.c
FUZZ_SRCS_handoff_request := userspace/ktlsd/handoff_request.c
