# SPDX-License-Identifier: GPL-2.0-or-later
# The handshake and round-trip sections of make bench (userspace/bench/hs_*):
# ktls-hs-load (the load client), ktls-hs-server (in-process, ktlsd handoff
# and kernel-upcall servers) and ktls-hs-rtt (time to first byte through
# netem), all linked with libktls. What the guest needs: hs.guest.
HS_COMMON_OBJ := $(BUILD)/userspace/bench/hs_common.o
HS_PROGS := ktls-hs-load ktls-hs-server ktls-hs-rtt ktls-hs-resume
HS_BINS := $(addprefix $(BUILD)/bin/,$(HS_PROGS))
TOOLS += $(HS_BINS)
EXTRA_DEPS += $(HS_COMMON_OBJ:.o=.d) \
	$(patsubst ktls-hs-%,$(BUILD)/userspace/bench/hs_%.d,$(HS_PROGS))

$(BUILD)/bin/ktls-hs-%: $(BUILD)/userspace/bench/hs_%.o $(HS_COMMON_OBJ) \
		$(LIBKTLS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(LIBKTLS) $(LDLIBS) -o $@

