# SPDX-License-Identifier: GPL-2.0-or-later
# ktlsd's tests (selftests/ktlsd): each NAME.c is one kselftest program,
# linked with the daemon helper in lib/; each needs bin/ktlsd in the guest.
KTLSD_TEST_SRCS := $(wildcard selftests/ktlsd/*.c)
KTLSD_TEST_BINS := $(addprefix $(BUILD)/tests/,$(notdir $(KTLSD_TEST_SRCS:.c=)))
KTLSD_TEST_LIB := $(BUILD)/selftests/ktlsd/lib/daemon.o
KTLSD_TEST_GUEST := $(KTLSD_TEST_BINS:=.guest)
EXTRA_TARGETS += $(KTLSD_TEST_BINS) $(KTLSD_TEST_GUEST)
EXTRA_DEPS += $(KTLSD_TEST_SRCS:%.c=$(BUILD)/%.d) $(KTLSD_TEST_LIB:.o=.d)

$(KTLSD_TEST_BINS): $(BUILD)/tests/%: $(BUILD)/selftests/ktlsd/%.o \
		$(KTLSD_TEST_LIB) $(LIBKTLS) $(TEST_UTIL_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(LIBKTLS) $(LDLIBS) -o $@

$(KTLSD_TEST_GUEST): selftests/ktlsd/ktlsd.guest
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@

# Test paths are PATH_MAX buffers glued into messages; truncation is moot.
$(BUILD)/selftests/ktlsd/%.o: TEST_CFLAGS += -Wno-format-truncation
