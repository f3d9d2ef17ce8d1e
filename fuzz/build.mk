# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz targets (libFuzzer, clang-14, ASan + UBSan): every fuzz/NAME_fuzz.c
# is one target, built to $(BUILD)/fuzz/bin/NAME_fuzz, its seeds in
# fuzz/corpus/NAME/. The project's sources a target tests are compiled
# again with the sanitizers and coverage into $(BUILD)/fuzz/obj/.
#
#   make fuzz                  build every target, run each FUZZ_SECONDS
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS=der   one target, longer
#   make fuzz-bins             build only
#
# WolfSSL is the cache's static library, built by gcc without sanitizers:
# clang links it as it is (its own bugs are not what we look for here).

FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_SANITIZE := -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer $(FUZZ_SANITIZE)
# Fuzz targets include project headers by path below userspace/
# ("upcall/upcall_internal.h", "lib/ktls_internal.h").
FUZZ_CPPFLAGS := $(CPPFLAGS) -Iinclude/uapi -Iuserspace -Iuserspace/upcall
FUZZ_LDLIBS := $(LIBWOLFSSL) -lmnl -lkeyutils -lm -lpthread
# libupcall and libktls, built the same way: a target links what it uses.
FUZZ_LIB_SRCS := $(UPCALL_SRCS) $(LIB_SRCS)
FUZZ_LIBS := $(BUILD)/fuzz/libupcall.a $(BUILD)/fuzz/libktls.a

FUZZ_ALL := $(patsubst fuzz/%_fuzz.c,%,$(wildcard fuzz/*_fuzz.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)

# What each target links besides fuzz/NAME_fuzz.c and the two libraries
# (naming a library's source too is harmless and says what is tested):
# one line per target, FUZZ_SRCS_NAME := sources (and, if needed,
# FUZZ_LDLIBS_NAME := -lfoo, FUZZ_CPPFLAGS_NAME := -Idir).

FUZZ_SRCS_der := userspace/upcall/der.c
FUZZ_SRCS_upcall_accept := userspace/upcall/accept.c
FUZZ_SRCS_ktlsd_config := fuzz/input_file.c userspace/ktlsd/config.c userspace/ktlsd/tlshd_config.c userspace/ktlsd/log.c
FUZZ_SRCS_tlshd_config := fuzz/input_file.c userspace/ktlsd/tlshd_config.c userspace/ktlsd/config.c userspace/ktlsd/log.c
FUZZ_SRCS_records := userspace/lib/records.c
FUZZ_LDLIBS_records := -Wl,--wrap=recvmsg -Wl,--wrap=poll
# The other branches' targets (hello, handoff_request, http_*, keyproc):
FUZZ_SRCS_hello := userspace/lib/hello.c
FUZZ_SRCS_handoff_request := userspace/ktlsd/handoff_request.c
FUZZ_SRCS_http_request := userspace/serve/http_parse.c
FUZZ_CPPFLAGS_http_request := -Iuserspace/serve
FUZZ_SRCS_http_range := userspace/serve/http_range.c userspace/serve/http_parse.c
FUZZ_CPPFLAGS_http_range := -Iuserspace/serve
FUZZ_SRCS_http_path := userspace/serve/http_path.c userspace/serve/http_parse.c
FUZZ_CPPFLAGS_http_path := -Iuserspace/serve
FUZZ_SRCS_keyproc := userspace/ktlsd/keyproc_wire.c
FUZZ_SRCS_upcall_broker := userspace/ktlsd/upcall_broker.c userspace/ktlsd/upcall_wire.c userspace/ktlsd/keyproc_wire.c userspace/ktlsd/log.c
FUZZ_CPPFLAGS_upcall_broker := -Iuserspace/ktlsd
# --- end of the per-target lines ---

fuzz_objs = $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(1))
FUZZ_BINS := $(FUZZ_ALL:%=$(BUILD)/fuzz/bin/%_fuzz)
FUZZ_OBJS := $(sort $(call fuzz_objs,$(FUZZ_LIB_SRCS)) \
	$(foreach t,$(FUZZ_ALL),\
	$(call fuzz_objs,fuzz/$(t)_fuzz.c $(FUZZ_SRCS_$(t)))))
EXTRA_DEPS += $(FUZZ_OBJS:.o=.d)

# clang warns about things gcc does not: the project's -Werror is gcc's
# gate; here a new clang warning must not stop the fuzzing.
$(BUILD)/fuzz/obj/%.o: %.c $(WOLFSSL_PREFIX)/include/wolfssl/options.h
	@mkdir -p $(@D)
	$(quiet) FUZZCC $<
	$(Q)$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) \
		$(filter-out -Werror,$(WARN)) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/libupcall.a: $(call fuzz_objs,$(UPCALL_SRCS))
$(BUILD)/fuzz/libktls.a: $(call fuzz_objs,$(LIB_SRCS))
$(FUZZ_LIBS):
	$(quiet) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

define fuzz_target
$(call fuzz_objs,fuzz/$(1)_fuzz.c $(FUZZ_SRCS_$(1))): \
	FUZZ_CPPFLAGS += $(FUZZ_CPPFLAGS_$(1))
$(BUILD)/fuzz/bin/$(1)_fuzz: \
		$(call fuzz_objs,fuzz/$(1)_fuzz.c $(FUZZ_SRCS_$(1))) $(FUZZ_LIBS)
	@mkdir -p $$(@D)
	$$(quiet) FUZZLD $$@
	$$(Q)$$(FUZZ_CC) $$(FUZZ_CFLAGS) $$(filter %.o,$$^) $$(FUZZ_LIBS) \
		$$(FUZZ_LDLIBS_$(1)) $$(FUZZ_LDLIBS) -o $$@
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call fuzz_target,$(t))))

.PHONY: fuzz fuzz-bins
fuzz-bins: $(FUZZ_BINS)

# Each target from a copy of its seeds (new inputs never land in git);
# fails on the first crash, naming the target and the input.
fuzz: fuzz-bins
	$(Q)bash fuzz/run.sh -b $(BUILD) -s $(FUZZ_SECONDS) $(FUZZ_TARGETS)
