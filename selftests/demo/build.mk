# SPDX-License-Identifier: GPL-2.0-or-later
# The main job end to end (selftests/demo/demo.sh), installed as the test
# ktls_demo with the list of programs it needs in the guest; `make demo`
# runs it natively and in the 6.12 VM (scripts/demo.sh).
EXTRA_TARGETS += $(BUILD)/tests/ktls_demo $(BUILD)/tests/ktls_demo.guest

$(BUILD)/tests/ktls_demo: selftests/demo/demo.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@

$(BUILD)/tests/ktls_demo.guest: selftests/demo/ktls_demo.guest
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@
