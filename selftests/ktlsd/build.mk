# SPDX-License-Identifier: GPL-2.0-or-later
# ktlsd's tests (selftests/ktlsd): each NAME.c is one kselftest program,
# linked with the daemon helper in lib/; each needs bin/ktlsd in the guest.
KTLSD_TEST_SRCS := $(filter-out %/upcall_broker_test.c,\
	$(wildcard selftests/ktlsd/*.c))
KTLSD_TEST_BINS := $(addprefix $(BUILD)/tests/,$(notdir $(KTLSD_TEST_SRCS:.c=)))
KTLSD_TEST_LIB := $(BUILD)/selftests/ktlsd/lib/daemon.o
KTLSD_TEST_GUEST := $(filter-out %/ktlsd_upcall.guest,$(KTLSD_TEST_BINS:=.guest))
EXTRA_TARGETS += $(KTLSD_TEST_BINS) $(KTLSD_TEST_GUEST) \
	$(BUILD)/tests/ktlsd_upcall.guest
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

# ktlsd_upcall: the test consumer module and, on 6.1, our handshake family
# in the guest (ktlsd_upcall.guest); add_key() from libkeyutils.
$(BUILD)/tests/ktlsd_upcall: LDLIBS += -lkeyutils

$(BUILD)/tests/ktlsd_upcall.guest: selftests/ktlsd/ktlsd_upcall.guest
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@

# upcall_broker_test: the upcall broker's checks of the worker, natively.
UPCALL_BROKER_OBJ := $(BUILD)/selftests/ktlsd/upcall_broker_test.o
UPCALL_BROKER_DEPS := $(BUILD)/userspace/ktlsd/upcall_broker.o \
	$(BUILD)/userspace/ktlsd/upcall_wire.o $(BUILD)/userspace/ktlsd/log.o \
	$(BUILD)/userspace/ktlsd/keyproc_wire.o
EXTRA_TARGETS += $(BUILD)/tests/upcall_broker_test
EXTRA_DEPS += $(UPCALL_BROKER_OBJ:.o=.d)
$(UPCALL_BROKER_OBJ): CPPFLAGS += -Iinclude/uapi -Iuserspace/upcall \
	-Iuserspace/ktlsd

$(BUILD)/tests/upcall_broker_test: $(UPCALL_BROKER_OBJ) $(UPCALL_BROKER_DEPS) \
		$(BUILD)/libupcall.a $(LIBKTLS) $(TEST_UTIL_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(BUILD)/libupcall.a $(LIBKTLS) \
		-lmnl -lkeyutils $(LDLIBS) -o $@
