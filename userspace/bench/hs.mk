# SPDX-License-Identifier: GPL-2.0-or-later
# The handshake and round-trip sections of make bench (userspace/bench/hs_*):
# ktls-hs-load (the load client), ktls-hs-server (in-process, ktlsd handoff
# and kernel-upcall servers) and ktls-hs-rtt (time to first byte through
# netem), all linked with libktls; the guest list bench-hs.guest.
HS_COMMON_OBJ := $(BUILD)/userspace/bench/hs_common.o
HS_PROGS := ktls-hs-load ktls-hs-server ktls-hs-rtt
HS_BINS := $(addprefix $(BUILD)/bin/,$(HS_PROGS))
TOOLS += $(HS_BINS)
EXTRA_DEPS += $(HS_COMMON_OBJ:.o=.d) \
	$(patsubst ktls-hs-%,$(BUILD)/userspace/bench/hs_%.d,$(HS_PROGS))

$(BUILD)/bin/ktls-hs-%: $(BUILD)/userspace/bench/hs_%.o $(HS_COMMON_OBJ) \
		$(LIBKTLS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(LIBKTLS) $(LDLIBS) -o $@

# The guest drivers of the two sections, beside the programs so that the
# guest list can name them (bin/bench-handshakes.sh, bin/bench-rtt.sh).
HS_SCRIPTS := $(BUILD)/bin/bench-handshakes.sh $(BUILD)/bin/bench-rtt.sh
TOOLS += $(HS_SCRIPTS)

$(BUILD)/bin/bench-%.sh: userspace/bench/%.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@
