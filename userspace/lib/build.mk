# SPDX-License-Identifier: GPL-2.0-or-later
# libktls for applications (issue 14): libktls.so.0 exporting only the calls
# of include/ktls/ktls.h and handoff.h (libktls.map), and a static
# libktls.a with WolfSSL inside, so that neither needs a WolfSSL of its own.
# Our programs keep linking $(LIBKTLS) (every internal call) and WolfSSL.
# The library's objects are built -fPIC (PICFLAGS in the object rule), and
# WolfSSL is built --with-pic (scripts/wolfssl.sh) for the same reason.
LIBKTLS_SONAME := libktls.so.0
LIBKTLS_SO := $(BUILD)/lib/libktls.so.$(VERSION)
LIBKTLS_DIST_A := $(BUILD)/lib/libktls.a
LIBKTLS_LINKS := $(BUILD)/lib/$(LIBKTLS_SONAME) $(BUILD)/lib/libktls.so
EXTRA_TARGETS += $(LIBKTLS_SO) $(LIBKTLS_LINKS) $(LIBKTLS_DIST_A)

$(LIB_OBJS): PICFLAGS := -fPIC

$(LIBKTLS_SO): $(LIB_OBJS) userspace/lib/libktls.map
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(LIBKTLS_SONAME) \
		-Wl,--version-script=userspace/lib/libktls.map \
		-Wl,--no-undefined -Wl,--exclude-libs,ALL -Wl,-z,relro,-z,now \
		$(LIB_OBJS) $(LIBWOLFSSL) -lm -lpthread -o $@

$(LIBKTLS_LINKS): $(LIBKTLS_SO)
	$(Q)ln -sf $(notdir $<) $@

# One archive with WolfSSL's objects beside ours (ar's MRI script joins
# archives; plain ar would nest them).
$(LIBKTLS_DIST_A): $(LIBKTLS) $(LIBWOLFSSL)
	@mkdir -p $(@D)
	$(quiet) AR $@
	$(Q)rm -f $@ && printf 'create %s\naddlib %s\naddlib %s\nsave\nend\n' \
		$@ $(LIBKTLS) $(LIBWOLFSSL) | ar -M
