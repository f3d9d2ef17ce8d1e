#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench in the VM: installed as the "test" bench_vm that run-vm.sh
# runs from userspace/bench/vm.list (never from selftests/tests.list, so
# make check does not run it). Runs the driver, then prints every result
# file between marker lines on the results port; the host (bench.sh)
# copies them out of BUILD/vm/KERNEL/bench_vm.log.
#   @@FILE name.tsv
#   ...
#   @@FILE-END name.tsv
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
# The host's settings (BENCH_SECONDS, BENCH_QUICK), written by bench.sh.
[ -f "$here/bench/env" ] && . "$here/bench/env"

echo "TAP version 13"
echo "1..1"
{ sh "$here/bench/run.sh" "$out"; echo $? > "$out/.rc"; } 2>&1 | sed 's/^/# /'
rc=$(cat "$out/.rc")
for f in "$out"/*.tsv; do
	[ -f "$f" ] || continue
	echo "@@FILE $(basename "$f")"
	cat "$f"
	echo "@@FILE-END $(basename "$f")"
done
if [ -f "$out/throughput.tsv" ]; then
	echo "ok 1 bench"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
else
	echo "not ok 1 bench (no throughput.tsv; exit $rc)"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
fi
