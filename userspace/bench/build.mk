# make bench (userspace/bench): the benchmark harness. Shell scripts run
# the servers and clients; the C load client is built here. Helper
# programs for the handshake and round-trip sections live in hs.mk.
-include userspace/bench/hs.mk

# The load client of the throughput section, copied into the guest with
# the driver (bench.guest).
BENCH_GET_OBJS := $(BUILD)/userspace/bench/bench_get.o
EXTRA_TARGETS += $(BUILD)/tests/bench_get
EXTRA_DEPS += $(BENCH_GET_OBJS:.o=.d)

$(BUILD)/tests/bench_get: $(BENCH_GET_OBJS) $(LIBKTLS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(BENCH_GET_OBJS) $(LIBKTLS) $(LDLIBS) -o $@

# The VM side of make bench: the "test" bench_vm (vm-entry.sh), run from
# userspace/bench/vm.list, never from selftests/tests.list; every section
# script under tests/bench/; its guest list is every userspace/bench/*.guest
# plus those scripts and tests/bench/env, the settings (BENCH_SECONDS,
# BENCH_QUICK) scripts/bench.sh writes before it boots the VM.
BENCH_SCRIPTS := $(wildcard userspace/bench/*.sh)
BENCH_GUESTS := $(sort $(wildcard userspace/bench/*.guest))
BENCH_VM := $(BUILD)/tests/bench_vm
BENCH_INSTALLED := $(patsubst userspace/bench/%,$(BUILD)/tests/bench/%,\
	$(BENCH_SCRIPTS))
EXTRA_TARGETS += $(BENCH_VM) $(BENCH_VM).guest $(BENCH_INSTALLED)

$(BENCH_VM): userspace/bench/vm-entry.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@

$(BUILD)/tests/bench/%.sh: userspace/bench/%.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@

$(BENCH_VM).guest: $(BENCH_GUESTS) userspace/bench/build.mk
	@mkdir -p $(@D)
	$(quiet) GEN $@
	$(Q)(cat $(BENCH_GUESTS); \
	 printf 'tests/bench/%s\n' $(notdir $(BENCH_SCRIPTS)) env) > $@

# Until scripts/bench.sh writes it: no settings, the defaults apply.
EXTRA_TARGETS += $(BUILD)/tests/bench/env
$(BUILD)/tests/bench/env:
	@mkdir -p $(@D)
	$(Q)echo '# BENCH_SECONDS, BENCH_QUICK for the VM: scripts/bench.sh writes them' > $@
	$(Q)chmod 755 $@
