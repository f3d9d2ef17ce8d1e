# SPDX-License-Identifier: GPL-2.0-or-later
# ktlsd, the handshake daemon (userspace/ktlsd).
KTLSD_SRCS := $(wildcard userspace/ktlsd/*.c)
KTLSD_OBJS := $(KTLSD_SRCS:%.c=$(BUILD)/%.o)
TOOLS += $(BUILD)/bin/ktlsd
EXTRA_DEPS += $(KTLSD_OBJS:.o=.d)

$(BUILD)/bin/ktlsd: $(KTLSD_OBJS) $(LIBKTLS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(KTLSD_OBJS) $(LIBKTLS) $(LDLIBS) -o $@
