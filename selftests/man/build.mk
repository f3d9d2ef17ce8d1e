# SPDX-License-Identifier: GPL-2.0-or-later
# selftests/man: the libktls man pages (man/man3, man/man7) against the
# public headers; a perl script, run natively from the source tree.
EXTRA_TARGETS += $(BUILD)/tests/man_pages

$(BUILD)/tests/man_pages: selftests/man/man_pages.pl
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@
