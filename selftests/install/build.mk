# SPDX-License-Identifier: GPL-2.0-or-later
# make install into a scratch root, and using what it installed
# (selftests/install/install.sh), as the native test ktls_install.
EXTRA_TARGETS += $(BUILD)/tests/ktls_install

$(BUILD)/tests/ktls_install: selftests/install/install.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@
