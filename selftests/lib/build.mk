# SPDX-License-Identifier: GPL-2.0-or-later
# selftests/lib: the KTAP helpers the guest's shell tests source, and
# serve-port.sh for the ones that start ktls-serve, example-config.sh for
# those of an installed ktlsd (the C helpers are built by the Makefile with
# each test program).
EXTRA_TARGETS += $(BUILD)/tests/guest-ktap.sh $(BUILD)/tests/serve-port.sh \
	$(BUILD)/tests/example-config.sh

$(BUILD)/tests/example-config.sh: selftests/lib/example-config.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@

$(BUILD)/tests/guest-ktap.sh: selftests/lib/guest-ktap.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@

$(BUILD)/tests/serve-port.sh: selftests/lib/serve-port.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@
