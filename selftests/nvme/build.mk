# SPDX-License-Identifier: GPL-2.0-or-later
# NVMe/TCP with TLS (PSK) in the VM (selftests/nvme): the guest script,
# installed as the test nvme_tls, its guest list, and nvme_key (add_key
# for the .nvme keyring: busybox has no keyctl).
EXTRA_TARGETS += $(BUILD)/tests/nvme_tls $(BUILD)/tests/nvme_tls.guest \
	$(BUILD)/tests/nvme_key
EXTRA_DEPS += $(BUILD)/selftests/nvme/nvme_key.d

$(BUILD)/tests/nvme_tls: selftests/nvme/nvme_tls.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@

$(BUILD)/tests/nvme_tls.guest: selftests/nvme/nvme_tls.guest
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@

$(BUILD)/selftests/nvme/nvme_key.o: selftests/nvme/nvme_key.c
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c $< -o $@

$(BUILD)/tests/nvme_key: $(BUILD)/selftests/nvme/nvme_key.o
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $^ -lkeyutils -o $@
