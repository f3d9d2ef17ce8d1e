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
