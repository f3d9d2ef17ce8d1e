/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every fuzz target (fuzz/NAME_fuzz.c) defines for libFuzzer. */
#ifndef KTLSD_FUZZ_H
#define KTLSD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One input; return 0 (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * For parsers that take a path (fuzz/input_file.c): @data as the whole
 * of a memfd, named "/proc/self/fd/N"; the same path every time.
 */
const char *fuzz_input_file(const uint8_t *data, size_t size);

/* records_fuzz.c: recvmsg() as records.c sees it (-Wl,--wrap=recvmsg). */
struct msghdr;
ssize_t __wrap_recvmsg(int fd, struct msghdr *msg, int flags);

#endif /* KTLSD_FUZZ_H */
