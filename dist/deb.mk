# SPDX-License-Identifier: GPL-2.0-or-later
# make deb: the Debian packages (debian/), built by dpkg-buildpackage into
# $(BUILD)/deb/: ktlsd, ktls-serve, libktls0, libktls-dev, ktlsd-dkms and
# the .changes and .buildinfo, nothing in ../. The objects go to
# $(BUILD)/deb/tree (built with dpkg-buildflags' flags, kept between runs:
# -nc skips debian/rules clean, which would delete them); dh_clean then
# leaves debian/ as git has it.
DEB_OUT := $(abspath $(BUILD))/deb

deb:
	$(quiet) DEB $(DEB_OUT)
	$(Q)rm -rf $(DEB_OUT)/*.deb $(DEB_OUT)/*.changes $(DEB_OUT)/*.buildinfo \
		$(DEB_OUT)/build.log && mkdir -p $(DEB_OUT)
	$(Q)env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		KTLSD_DEB_BUILD=$(DEB_OUT)/tree KTLSD_DEB_OUT=$(DEB_OUT) \
		dpkg-buildpackage -us -uc -b -nc -Jauto \
		--buildinfo-option=-u$(DEB_OUT) --changes-option=-u$(DEB_OUT) \
		--buildinfo-file=$(DEB_OUT)/ktlsd_$(VERSION)_$(shell dpkg --print-architecture).buildinfo \
		--changes-file=$(DEB_OUT)/ktlsd_$(VERSION)_$(shell dpkg --print-architecture).changes \
		> $(DEB_OUT)/build.log 2>&1 || \
		{ tail -n 40 $(DEB_OUT)/build.log; dh_clean; exit 1; }
	$(Q)dh_clean
	$(Q)ls $(DEB_OUT)/*.deb
