# kmod/ against each test kernel's headers, which make deps caches. Built
# in a copy of the sources: `make clean` with M= deletes every *.ko below M.
# Output: BUILD/kmod/KERNEL/*.ko.
KMOD_KERNELS := 6.1 6.12 newest
KMOD_SRCS := Kbuild $(wildcard kmod/Kbuild kmod/*.c kmod/*.h) \
	include/uapi/linux/handshake.h
KMOD_STAMPS := $(KMOD_KERNELS:%=$(BUILD)/kmod/%/modules.stamp)
EXTRA_TARGETS += $(KMOD_STAMPS)

# Debian's 6.12 headers ask for BTF in modules, which needs pahole and the
# kernel's vmlinux; the modules load without it.
$(BUILD)/kmod/%/modules.stamp: $(KMOD_SRCS)
	$(quiet) KMOD $(@D)
	$(Q)hdrs=$$(cat "$(KTLSD_CACHE)/kernels/$*/headers" 2>/dev/null); \
	[ -d "$$hdrs" ] || { echo "no kernel headers for $* in $(KTLSD_CACHE): run 'make deps'" >&2; exit 1; }; \
	src=$(abspath $(BUILD))/kmod/src-$*; \
	rm -rf "$$src" $(@D) && mkdir -p "$$src" $(@D) && \
	cp --parents $(KMOD_SRCS) "$$src/" && \
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$$hdrs" M="$$src" \
		CONFIG_DEBUG_INFO_BTF_MODULES= modules && \
	cp "$$src"/kmod/*.ko $(@D)/ && touch $@

# The newest kernel's headers need trixie's gcc-14, and its kbuild binaries
# (fixdep, modpost) trixie's glibc: neither runs on Debian 12, so its
# modules are built chrooted into the trixie root make deps caches
# (scripts/trixie-root.sh). Again only when the sources, the scripts or
# that root (a new kernel) change.
KMOD_TRIXIE_READY := $(wildcard $(KTLSD_CACHE)/trixie-root/.ktlsd-ready)
$(BUILD)/kmod/newest/modules.stamp: $(KMOD_SRCS) scripts/kmod-trixie.sh \
		scripts/in-trixie-root.sh $(KMOD_TRIXIE_READY)
	$(quiet) KMOD $(@D)
	$(Q)rm -rf $(@D) && bash scripts/kmod-trixie.sh $(@D) $(KMOD_SRCS) && \
		touch $@

# The upcall tests: a kselftest program that plays ktlsd with libupcall,
# and the modules it loads in the guest (kmod_upcall.guest).
KMOD_TEST_SRCS := $(wildcard selftests/kmod/*.c)
KMOD_TEST_OBJS := $(KMOD_TEST_SRCS:%.c=$(BUILD)/%.o)
EXTRA_TARGETS += $(BUILD)/tests/kmod_upcall $(BUILD)/tests/kmod_upcall.guest
EXTRA_DEPS += $(KMOD_TEST_OBJS:.o=.d)

$(KMOD_TEST_OBJS): CPPFLAGS += -Iinclude/uapi -Iuserspace/upcall

$(BUILD)/tests/kmod_upcall: $(KMOD_TEST_OBJS) $(LIBUPCALL) $(LIBKTLS) \
		$(TEST_UTIL_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(KMOD_TEST_OBJS) $(TEST_UTIL_OBJS) $(LIBUPCALL) \
		$(LIBKTLS) $(UPCALL_LDLIBS) $(LDLIBS) -o $@

$(BUILD)/tests/kmod_upcall.guest: selftests/kmod/kmod_upcall.guest
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@
