# SPDX-License-Identifier: GPL-2.0-or-later
# NFS over TLS in the VM (selftests/nfs): the guest script, installed as
# the test nfs_tls with its guest list, and nfs_upcall_stub, a stand-in
# handshake daemon on libupcall (a child per request).
NFS_TEST_OBJS := $(BUILD)/selftests/nfs/nfs_upcall_stub.o
EXTRA_TARGETS += $(BUILD)/tests/nfs_tls $(BUILD)/tests/nfs_tls.guest \
	$(BUILD)/tests/nfs_upcall_stub
EXTRA_DEPS += $(NFS_TEST_OBJS:.o=.d)

$(NFS_TEST_OBJS): CPPFLAGS += -Iinclude/uapi -Iuserspace/upcall

$(BUILD)/tests/nfs_upcall_stub: $(NFS_TEST_OBJS) $(LIBUPCALL) $(LIBKTLS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(NFS_TEST_OBJS) $(LIBUPCALL) $(LIBKTLS) \
		$(UPCALL_LDLIBS) $(LDLIBS) -o $@

$(BUILD)/tests/nfs_tls: selftests/nfs/nfs_tls.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@

$(BUILD)/tests/nfs_tls.guest: selftests/nfs/nfs_tls.guest
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@
