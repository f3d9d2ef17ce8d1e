# SPDX-License-Identifier: GPL-2.0-or-later
# ktlsd, the handshake daemon (userspace/ktlsd), with libupcall for the
# kernel's upcalls. userspace/upcall/build.mk is read after this file, so
# its library is named here by path, not by $(LIBUPCALL).
KTLSD_SRCS := $(wildcard userspace/ktlsd/*.c)
KTLSD_OBJS := $(KTLSD_SRCS:%.c=$(BUILD)/%.o)
KTLSD_LIBUPCALL := $(BUILD)/libupcall.a
TOOLS += $(BUILD)/bin/ktlsd
EXTRA_DEPS += $(KTLSD_OBJS:.o=.d)

# <linux/handshake.h> is ours (include/uapi): Debian 12's headers predate it.
$(KTLSD_OBJS): CPPFLAGS += -Iinclude/uapi -Iuserspace/upcall

$(BUILD)/bin/ktlsd: $(KTLSD_OBJS) $(KTLSD_LIBUPCALL) $(LIBKTLS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(KTLSD_OBJS) $(KTLSD_LIBUPCALL) $(LIBKTLS) \
		-lmnl -lkeyutils -lseccomp -lcap-ng -lsystemd $(LDLIBS) -o $@
