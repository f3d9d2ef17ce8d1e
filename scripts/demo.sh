#!/usr/bin/env bash
# make demo: the main job on this machine, end to end.
#   1. natively: this kernel has no kernel TLS, so ktls-serve serves a
#      64 MiB file over userspace TLS with a self-signed certificate it
#      generates, and says so; curl downloads it, SHA-256 checked;
#   2. in the Debian 6.12 VM, with kernel TLS: ktlsd holds the key and does
#      the handshake, ktls-serve sendfile()s the file into the kTLS socket,
#      curl downloads it, SHA-256 checked, /proc/net/tls_stat shown.
# Both are selftests/demo/demo.sh; `make check` runs it too (ktls_demo).
. "$(dirname "$0")/common.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
build=$(cd "$build" && pwd)

say demo "natively, on $(uname -r)"
KTLSD_BIN=$build/bin bash "$build/tests/ktls_demo" || die "the native demo failed"
say demo "in the Debian 6.12 VM, with kernel TLS"
bash "$top/selftests/vm/run-vm.sh" -b "$build" -k 6.12 -t ktls_demo -v ||
	die "the VM demo failed (logs in $build/vm/6.12/)"
say demo "both runs served the file intact"
