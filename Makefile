# SPDX-License-Identifier: GPL-2.0-or-later
#
# ktlsd: userspace build, set-up, tests.
#
#   make            build libktls, the tools and the test programs
#   make demo       the main job: serve a 64 MiB file over TLS and fetch it,
#                   natively (userspace TLS) and in the 6.12 VM (kernel TLS)
#   make deps       install/fetch everything the build and tests need (cached)
#   make check      deps, build, native unit tests, the native tests again under
#                   ASan+UBSan, each fuzz target 5 s, then the VM suite on every
#                   kernel (KTLSD_CHECK_KERNELS= for the native part alone)
#   make fuzz       libFuzzer targets (fuzz/), each FUZZ_SECONDS (60) from its seeds
#   make asan       the build again with ASan+UBSan (gcc), in $(BUILD)/asan
#   make bench      the benchmark: rewrites docs/benchmarks.md and docs/bench/*.png
#   make vm-test KERNEL=6.12 TEST=ktls_loopback   one test on one kernel
#   make style      checkpatch.pl over our C
#   make install    DESTDIR, PREFIX (/usr/local), BINDIR, SBINDIR, LIBDIR,
#                   MANDIR, SYSCONFDIR (/etc)...: see dist/install.mk;
#                   make uninstall with the same variables
#   make deb        the Debian packages (debian/) in $(BUILD)/deb
#   make V=1        show full commands
#
# The cache (WolfSSL build, VM kernels, kselftest harness) lives outside git,
# in $(KTLSD_CACHE).

.DEFAULT_GOAL := all

KTLSD_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/ktlsd
export KTLSD_CACHE

WOLFSSL_PREFIX ?= $(KTLSD_CACHE)/wolfssl/prefix
KSELFTEST_DIR ?= $(KTLSD_CACHE)/kselftest
BUILD ?= build
# One version for ktlsd --version, libktls.so.$(VERSION) and ktls.pc.
VERSION := 0.1.0

ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-7s %s\n'
endif

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes
CFLAGS ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -DKTLS_VERSION='"$(VERSION)"' -Iinclude \
	-I$(WOLFSSL_PREFIX)/include
LIBWOLFSSL := $(WOLFSSL_PREFIX)/lib/libwolfssl.a
LDLIBS := $(LIBWOLFSSL) -lm -lpthread

# libktls
LIB_SRCS := $(wildcard userspace/lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIBKTLS := $(BUILD)/libktls.a

# Tools: one directory each under userspace/, one binary each in build/bin.
PROBE_SRCS := $(wildcard userspace/probe/*.c)
PROBE_OBJS := $(PROBE_SRCS:%.c=$(BUILD)/%.o)
TOOLS := $(BUILD)/bin/ktls-probe

# Test programs: each selftests/<group>/<name>.c is one kselftest binary.
TEST_UTIL_SRCS := $(wildcard selftests/lib/*.c)
TEST_UTIL_OBJS := $(TEST_UTIL_SRCS:%.c=$(BUILD)/%.o)
TEST_SRCS := $(wildcard selftests/unit/*.c selftests/ktls/*.c)
TEST_BINS := $(addprefix $(BUILD)/tests/,$(notdir $(TEST_SRCS:.c=)))
TEST_CFLAGS := -I$(KSELFTEST_DIR) -Iselftests/lib -Wno-unused-parameter \
	-Wno-missing-prototypes -Wno-clobbered
TEST_CERTS := $(BUILD)/test-certs/ca.pem

# Interop with peers we did not write (selftests/interop): our end of the
# connection, and the guest script, installed as the test ktls_interop with
# the list of host programs run-vm.sh copies into the guest for it.
INTEROP_SRCS := $(wildcard selftests/interop/*.c)
INTEROP_BINS := $(addprefix $(BUILD)/tests/,$(notdir $(INTEROP_SRCS:.c=)))
INTEROP_TEST := $(BUILD)/tests/ktls_interop $(BUILD)/tests/ktls_interop.guest
# What else a kTLS test needs in the guest (see selftests/vm/run-vm.sh).
GUEST_LISTS := $(patsubst selftests/ktls/%,$(BUILD)/tests/%,\
	$(wildcard selftests/ktls/*.guest))

# Keep objects make would otherwise treat as intermediate.
.SECONDARY:

# Each further program and test group brings its own rules in a build.mk
# beside its sources (userspace/NAME/build.mk, selftests/GROUP/build.mk),
# adding what it builds to TOOLS or EXTRA_TARGETS and its dependency files
# to EXTRA_DEPS. Programs first: tests name the libraries they define.
EXTRA_TARGETS :=
EXTRA_DEPS :=
include $(sort $(wildcard userspace/*/build.mk))
include $(sort $(wildcard selftests/*/build.mk))
# Fuzz targets (make fuzz): built only on demand, not by all.
include fuzz/build.mk
# make install / make uninstall.
include dist/install.mk
# make deb: the Debian packages.
include dist/deb.mk

.PHONY: all deps demo check style vm-test clean help bench asan install uninstall \
	installables deb
all: $(LIBKTLS) $(TOOLS) $(TEST_BINS) $(INTEROP_BINS) $(INTEROP_TEST) $(GUEST_LISTS) \
	$(TEST_CERTS) $(EXTRA_TARGETS)

help:
	@sed -n '3,24p' Makefile | sed 's/^# \{0,1\}//'

# Fail early and say how to fix it, rather than with a missing header.
$(WOLFSSL_PREFIX)/include/wolfssl/options.h $(KSELFTEST_DIR)/kselftest_harness.h:
	@echo "missing $@: run 'make deps' first (installs and caches what the build needs)" >&2
	@exit 1

$(BUILD)/userspace/%.o: userspace/%.c $(WOLFSSL_PREFIX)/include/wolfssl/options.h
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(PICFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(LIBKTLS): $(LIB_OBJS)
	$(quiet) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/ktls-probe: $(PROBE_OBJS) $(LIBKTLS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(PROBE_OBJS) $(LIBKTLS) $(LDLIBS) -o $@

$(BUILD)/selftests/%.o: selftests/%.c $(KSELFTEST_DIR)/kselftest_harness.h \
		$(WOLFSSL_PREFIX)/include/wolfssl/options.h
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(TEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/selftests/unit/%.o $(LIBKTLS) $(TEST_UTIL_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(LIBKTLS) $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/selftests/ktls/%.o $(LIBKTLS) $(TEST_UTIL_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(LIBKTLS) $(LDLIBS) -o $@

# Plain programs: no kselftest harness, no test helpers.
$(BUILD)/selftests/interop/%.o: selftests/interop/%.c \
		$(WOLFSSL_PREFIX)/include/wolfssl/options.h
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/selftests/interop/%.o $(LIBKTLS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(LIBKTLS) $(LDLIBS) -o $@

$(BUILD)/tests/ktls_interop: selftests/interop/interop.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@

$(BUILD)/tests/%.guest: selftests/ktls/%.guest
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@

$(BUILD)/tests/ktls_interop.guest: selftests/interop/guest-programs
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@

$(TEST_CERTS): selftests/pki/make-certs.sh
	$(quiet) PKI $(@D)
	$(Q)bash selftests/pki/make-certs.sh $(@D)

deps:
	$(Q)bash scripts/deps.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) bash scripts/demo.sh

# The benchmark (issue 6): rewrites docs/benchmarks.md and docs/bench/*.png.
bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) bash scripts/bench.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all fuzz-bins asan
	$(Q)bash selftests/run.sh $(BUILD)

# Everything again with ASan and UBSan (gcc's; the WolfSSL library links as
# it is), for make check's sanitizer pass over the native tests. Without
# -Werror: at -O1 gcc's flow-dependent warnings (format-truncation...)
# differ, and the -O2 build is the gate for those.
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
asan:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan \
		CFLAGS="$(ASAN_CFLAGS)" WARN="$(filter-out -Werror,$(WARN))" all

# checkpatch.pl over kmod/ (kernel rules) and the userspace C (same spirit).
style:
	$(Q)bash scripts/style.sh

# One test on one kernel, for debugging: make vm-test KERNEL=6.12 TEST=name
vm-test: all
	$(Q)bash selftests/vm/run-vm.sh -b $(BUILD) -k $(or $(KERNEL),6.12) \
		$(if $(TEST),-t $(TEST)) -v

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJS:.o=.d) $(PROBE_OBJS:.o=.d) $(TEST_UTIL_OBJS:.o=.d) $(TEST_SRCS:%.c=$(BUILD)/%.d) \
	$(INTEROP_SRCS:%.c=$(BUILD)/%.d) $(EXTRA_DEPS)
