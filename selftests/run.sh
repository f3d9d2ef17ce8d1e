#!/usr/bin/env bash
# The test entry point of `make check`: native tests on the host, then the VM
# suite on every kernel of the matrix. Ends with one plain line,
#   N passed, N failed[, N skipped]
# and exits non-zero if anything failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
. "$here/lib/ktap.sh"

KTLSD_CACHE=${KTLSD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ktlsd}
export KTLSD_CACHE
kernels=(6.1 6.12 newest)
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
