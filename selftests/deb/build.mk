# SPDX-License-Identifier: GPL-2.0-or-later
# make deb, then its packages installed into a scratch root and checked
# (selftests/deb/deb.sh), as the native test ktls_deb.
EXTRA_TARGETS += $(BUILD)/tests/ktls_deb

$(BUILD)/tests/ktls_deb: selftests/deb/deb.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@
