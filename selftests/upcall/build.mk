# SPDX-License-Identifier: GPL-2.0-or-later
# selftests/upcall: libupcall natively (no kernel handshake family needed).

# psk_keyring_test: a PSK server finds the client's key in a keyring.
PSK_KEYRING_TEST_OBJ := $(BUILD)/selftests/upcall/psk_keyring_test.o
EXTRA_TARGETS += $(BUILD)/tests/psk_keyring_test
EXTRA_DEPS += $(PSK_KEYRING_TEST_OBJ:.o=.d)
$(PSK_KEYRING_TEST_OBJ): CPPFLAGS += -Iinclude/uapi -Iuserspace/upcall

$(BUILD)/tests/psk_keyring_test: $(PSK_KEYRING_TEST_OBJ) \
		$(BUILD)/libupcall.a $(LIBKTLS) $(TEST_UTIL_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(BUILD)/libupcall.a $(LIBKTLS) \
		-lmnl -lkeyutils $(LDLIBS) -o $@

# upcall_prepare_test: libupcall's request checks, natively (no kernel).
UPCALL_PREPARE_OBJ := $(BUILD)/selftests/upcall/upcall_prepare_test.o
EXTRA_TARGETS += $(BUILD)/tests/upcall_prepare_test
EXTRA_DEPS += $(UPCALL_PREPARE_OBJ:.o=.d)
$(UPCALL_PREPARE_OBJ): CPPFLAGS += -Iinclude/uapi -Iuserspace/upcall

$(BUILD)/tests/upcall_prepare_test: $(UPCALL_PREPARE_OBJ) \
		$(BUILD)/libupcall.a $(LIBKTLS) $(TEST_UTIL_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(BUILD)/libupcall.a $(LIBKTLS) \
		-lmnl -lkeyutils $(LDLIBS) -o $@
