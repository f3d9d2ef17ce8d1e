# ktls-serve's tests (selftests/serve): one shell script, installed under two
# names (the name says which TLS path the server must report), each with
# the list of programs run-vm.sh copies into the guest for it.
SERVE_TESTS := $(BUILD)/tests/ktls_serve $(BUILD)/tests/ktls_serve_fallback
EXTRA_TARGETS += $(SERVE_TESTS) $(SERVE_TESTS:=.guest)

$(SERVE_TESTS): selftests/serve/serve.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@

$(SERVE_TESTS:=.guest): selftests/serve/ktls_serve.guest
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@

# Resumption (tickets, rotation, --no-tickets, skipped 0-RTT), with
# openssl s_client and s_server: natively and in the VM.
EXTRA_TARGETS += $(BUILD)/tests/ktls_serve_resume \
	$(BUILD)/tests/ktls_serve_resume.guest

$(BUILD)/tests/ktls_serve_resume: selftests/serve/resume.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@

$(BUILD)/tests/ktls_serve_resume.guest: selftests/serve/ktls_serve.guest
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 644 $< $@

# For the memory measurement (docs/benchmarks.md), not a test: N idle
# keep-alive kTLS connections.
EXTRA_TARGETS += $(BUILD)/tests/idle_clients
EXTRA_DEPS += $(BUILD)/selftests/serve/idle_clients.d

$(BUILD)/tests/idle_clients: $(BUILD)/selftests/serve/idle_clients.o $(LIBKTLS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $< $(LIBKTLS) $(LDLIBS) -o $@

# The measurement script, as a program run-vm.sh can run when a private
# tests.list names it: ktls_serve_measure  vm  tls  1800
EXTRA_TARGETS += $(BUILD)/tests/ktls_serve_measure \
	$(BUILD)/tests/ktls_serve_measure.guest

$(BUILD)/tests/ktls_serve_measure: selftests/serve/measure.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@

$(BUILD)/tests/ktls_serve_measure.guest: selftests/serve/ktls_serve.guest
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)(cat $<; echo tests/idle_clients) > $@

# Limits and log escaping, natively over userspace TLS (a C harness test).
EXTRA_TARGETS += $(BUILD)/tests/serve_hardening
EXTRA_DEPS += $(BUILD)/selftests/serve/serve_hardening.d

$(BUILD)/tests/serve_hardening: $(BUILD)/selftests/serve/serve_hardening.o $(LIBKTLS) $(TEST_UTIL_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(LIBKTLS) $(LDLIBS) -o $@

# TLS 1.3 KeyUpdate over kernel TLS (a C harness test in the VM): the
# client's, and ours at the record limit; the guest needs the server.
EXTRA_TARGETS += $(BUILD)/tests/serve_key_update \
	$(BUILD)/tests/serve_key_update.guest
EXTRA_DEPS += $(BUILD)/selftests/serve/serve_key_update.d

$(BUILD)/tests/serve_key_update: $(BUILD)/selftests/serve/serve_key_update.o $(LIBKTLS) $(TEST_UTIL_OBJS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(LIBKTLS) $(LDLIBS) -o $@

$(BUILD)/tests/serve_key_update.guest:
	@mkdir -p $(@D)
	$(quiet) GEN $@
	$(Q)echo bin/ktls-serve > $@

# What sslscan (a scanner we did not write) says of ktls-serve's protocols:
# natively, over userspace TLS; skipped if sslscan is not installed.
EXTRA_TARGETS += $(BUILD)/tests/ktls_serve_scan

$(BUILD)/tests/ktls_serve_scan: selftests/serve/scan.sh
	@mkdir -p $(@D)
	$(quiet) INSTALL $@
	$(Q)install -m 755 $< $@
