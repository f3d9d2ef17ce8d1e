# SPDX-License-Identifier: GPL-2.0-or-later
# libupcall (userspace/upcall): the daemon's side of the kernel handshake
# upcall, over libmnl; key serials through libkeyutils; upcall_serve() runs
# the handshake with libktls. Link with $(LIBUPCALL) $(LIBKTLS)
# $(UPCALL_LDLIBS) $(LDLIBS).
UPCALL_SRCS := $(wildcard userspace/upcall/*.c)
UPCALL_OBJS := $(UPCALL_SRCS:%.c=$(BUILD)/%.o)
LIBUPCALL := $(BUILD)/libupcall.a
UPCALL_LDLIBS := -lmnl -lkeyutils
EXTRA_TARGETS += $(LIBUPCALL)
EXTRA_DEPS += $(UPCALL_OBJS:.o=.d)

# <linux/handshake.h>: ours, as Debian 12's kernel headers predate it.
$(UPCALL_OBJS): CPPFLAGS += -Iinclude/uapi

$(LIBUPCALL): $(UPCALL_OBJS)
	$(quiet) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^
