# SPDX-License-Identifier: GPL-2.0-or-later
# selftests/upcall: libupcall natively (no kernel handshake family needed):
# psk_keyring_test (a PSK server finds the client's key in a keyring) and
# upcall_prepare_test (libupcall's request checks).
UPCALL_TEST_SRCS := $(wildcard selftests/upcall/*.c)
UPCALL_TEST_OBJS := $(UPCALL_TEST_SRCS:%.c=$(BUILD)/%.o)
UPCALL_TEST_BINS := $(addprefix $(BUILD)/tests/,$(notdir $(UPCALL_TEST_SRCS:.c=)))
EXTRA_TARGETS += $(UPCALL_TEST_BINS)
EXTRA_DEPS += $(UPCALL_TEST_OBJS:.o=.d)
$(UPCALL_TEST_OBJS): CPPFLAGS += -Iinclude/uapi -Iuserspace/upcall

$(UPCALL_TEST_BINS): $(BUILD)/tests/%: $(BUILD)/selftests/upcall/%.o \
		$(BUILD)/libupcall.a $(LIBKTLS) $(TEST_UTIL_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(BUILD)/libupcall.a $(LIBKTLS) \
		-lmnl -lkeyutils $(LDLIBS) -o $@
