# SPDX-License-Identifier: GPL-2.0-or-later
# NFS over TLS in the VM (selftests/nfs): the guest script, installed as
# the test nfs_tls with its guest list (ktlsd, Debian's NFS userland from
# the cache, the NFS modules).
EXTRA_TARGETS += $(BUILD)/tests/nfs_tls $(BUILD)/tests/nfs_tls.guest

$(BUILD)/tests/nfs_tls: selftests/nfs/nfs_tls.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@

$(BUILD)/tests/nfs_tls.guest: selftests/nfs/nfs_tls.guest
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@
