/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every fuzz target (fuzz/NAME_fuzz.c) defines for libFuzzer. */
#ifndef KTLSD_FUZZ_H
#define KTLSD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* One input; return 0 (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* KTLSD_FUZZ_H */
