# ktls-serve: the HTTPS file server (userspace/serve), linked with libktls,
# WolfSSL, liburing (Debian liburing-dev) and libseccomp (libseccomp-dev).
SERVE_SRCS := $(wildcard userspace/serve/*.c)
SERVE_OBJS := $(SERVE_SRCS:%.c=$(BUILD)/%.o)
TOOLS += $(BUILD)/bin/ktls-serve
EXTRA_DEPS += $(SERVE_OBJS:.o=.d)

$(BUILD)/bin/ktls-serve: $(SERVE_OBJS) $(LIBKTLS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(SERVE_OBJS) $(LIBKTLS) $(LDLIBS) -luring -lseccomp -o $@
