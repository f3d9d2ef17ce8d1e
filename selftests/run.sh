#!/usr/bin/env bash
# The test entry point of `make check`: native tests on the host, the same
# native tests built with ASan+UBSan ($BUILD/asan, make asan), every fuzz
# target for FUZZ_SECONDS (5) from its seeds (make fuzz-bins), then the VM
# suite on every kernel of the matrix. Ends with one plain line,
#   N passed, N failed[, N skipped]
# and exits non-zero if anything failed.
#
# Environment:
#   KTLSD_CHECK_KERNELS  VM kernels to run (default "6.1 6.12 newest"); empty
#                        for the native part alone:
#                        make all fuzz-bins asan && KTLSD_CHECK_KERNELS= \
#                            bash selftests/run.sh build
#   FUZZ_SECONDS         seconds per fuzz target (default 5)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
. "$here/lib/ktap.sh"

KTLSD_CACHE=${KTLSD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ktlsd}
export KTLSD_CACHE
read -r -a kernels <<< "${KTLSD_CHECK_KERNELS-6.1 6.12 newest}"
pass=0 fail=0 skip=0
start=$SECONDS

echo "native ($(uname -r))"
mkdir -p "$build/results/native"
while read -r name _ limit; do
	log=$build/results/native/$name.log
	(cd "$top" && KTLSD_TEST_CERTS=$build/test-certs KTLSD_BIN=$build/bin \
		timeout -k 5 "$limit" "$build/tests/$name") > "$log" 2>&1
	rc=$?
	read -r p f s < <(ktap_counts "$log" "$rc")
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	printf '  [native] %-22s pass %-3s fail %-3s skip %-3s (exit %s)\n' \
		"$name" "$p" "$f" "$s" "$rc"
	[ "$f" -ne 0 ] && sed 's/^/      /' "$log"
done < <(tests_for native all)

# Style is checked like a test: checkpatch findings fail the run.
if bash "$top/scripts/style.sh" > "$build/results/native/style.log" 2>&1; then
	pass=$((pass + 1))
	echo "  [native] style (checkpatch.pl)      clean"
else
	fail=$((fail + 1))
	echo "  [native] style (checkpatch.pl)      FAIL:"
	sed 's/^/      /' "$build/results/native/style.log"
fi

# The native tests again, built with ASan and UBSan. Every process writes
# its ASan reports to asan.PID files: a finding in a child whose exit
# status nobody checks still fails the test. gcc's UBSan next to ASan
# ignores log_path: its reports (each one fatal, with -fno-sanitize-recover)
# fail the test from its output. The daemons' seccomp filters forbid
# sigaltstack(), which the sanitizers call for each new thread (turned off
# here) and LeakSanitizer's stop-the-world at exit needs (so no leak check:
# the fuzz targets check the parsers for leaks).
abuild=$build/asan
ares=$abuild/results/native
rm -rf "$ares"
mkdir -p "$ares"
while read -r name _ limit; do
	log=$ares/$name.log
	reports=$ares/$name.reports
	mkdir -p "$reports"
	if [ -x "$abuild/tests/$name" ]; then
		(cd "$top" && KTLSD_TEST_CERTS=$abuild/test-certs KTLSD_BIN=$abuild/bin \
			ASAN_OPTIONS=log_path=$reports/asan:detect_leaks=0:use_sigaltstack=0 \
			UBSAN_OPTIONS=print_stacktrace=1:use_sigaltstack=0 \
			timeout -k 5 "$limit" "$abuild/tests/$name") > "$log" 2>&1
		rc=$?
	else
		echo "not built: $abuild/tests/$name (make asan)" > "$log"
		rc=1
	fi
	read -r p f s < <(ktap_counts "$log" "$rc")
	found=$(grep -l 'ERROR: AddressSanitizer' "$reports"/* 2>/dev/null)
	if { [ -n "$found" ] || grep -q 'runtime error:' "$log"; } &&
	   [ "$f" -eq 0 ]; then
		f=1
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	printf '  [asan]   %-22s pass %-3s fail %-3s skip %-3s (exit %s)\n' \
		"$name" "$p" "$f" "$s" "$rc"
	if [ "$f" -ne 0 ]; then
		sed 's/^/      /' "$log"
		for r in $found; do
			sed 's/^/      /' "$r"
		done
	fi
done < <(tests_for native all)

# Each fuzz target a few seconds from its seeds: one test each.
for src in "$top"/fuzz/*_fuzz.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" _fuzz.c)
	if bash "$top/fuzz/run.sh" -b "$build" -s "${FUZZ_SECONDS:-5}" "$name"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done

for k in "${kernels[@]}"; do
	rm -f "$build/vm/$k/counts"
	bash "$here/vm/run-vm.sh" -b "$build" -k "$k"
	if [ -f "$build/vm/$k/counts" ]; then
		read -r p f s < "$build/vm/$k/counts"
	else
		echo "  [$k] FAIL: the VM runner stopped before running tests"
		p=0 f=1 s=0
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
done

echo "make check took $((SECONDS - start)) s"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
