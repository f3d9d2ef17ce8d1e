#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench's driver, where the servers run (in the VM, or natively on a
# host whose kernel has kTLS): runs each section, userspace/bench/SECTION.sh
# OUTDIR, in order; each writes OUTDIR/SECTION.tsv (first line a header)
# and prints its progress on stderr. Also writes OUTDIR/meta.tsv (date,
# kernel, CPU, where it ran) for the report.
#
#   run.sh OUTDIR
#
# Environment (the defaults are the VM's layout; bench.sh sets them for a
# native run): BENCH_BIN (ktls-serve, ktlsd, ...), BENCH_TESTS (bench_get),
# BENCH_CERTS (the test PKI), BENCH_NGINX (Debian's nginx), BENCH_WHERE
# ("qemu TCG" or "native"), BENCH_SECONDS (one measurement, default 5;
# 1 with BENCH_QUICK), BENCH_QUICK=1 (a smoke run: fewer, shorter cells).
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: run.sh OUTDIR}
mkdir -p "$out"

export BENCH_BIN="${BENCH_BIN:-${KTLSD_BIN:-/ktlsd/bin}}"
export BENCH_TESTS="${BENCH_TESTS:-/ktlsd/tests}"
export BENCH_CERTS="${BENCH_CERTS:-${KTLSD_TEST_CERTS:-/ktlsd/test-certs}}"
export BENCH_NGINX="${BENCH_NGINX:-/usr/sbin/nginx}"
export BENCH_WHERE="${BENCH_WHERE:-qemu TCG}"
export BENCH_QUICK="${BENCH_QUICK:-0}"
if [ "$BENCH_QUICK" = 1 ]; then
	export BENCH_SECONDS="${BENCH_SECONDS:-1}"
else
	export BENCH_SECONDS="${BENCH_SECONDS:-5}"
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
{
	printf 'key\tvalue\n'
	printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'kernel\t%s\n' "$(uname -r)"
	printf 'cpu\t%s\n' "${cpu:-unknown}"
	printf 'cpus\t%s\n' "$(grep -c '^processor' /proc/cpuinfo)"
	printf 'where\t%s\n' "$BENCH_WHERE"
	printf 'seconds\t%s\n' "$BENCH_SECONDS"
	printf 'quick\t%s\n' "$BENCH_QUICK"
} > "$out/meta.tsv"

status=0
for section in throughput handshakes rtt; do
	if [ ! -f "$here/$section.sh" ]; then
		echo "bench: $section: not built yet ($here/$section.sh is missing)" >&2
		continue
	fi
	echo "bench: $section" >&2
	# Its own #! line says which shell (the VM has busybox sh, and bash
	# only where a guest list brings it).
	if [ -x "$here/$section.sh" ]; then
		"$here/$section.sh" "$out"
	else
		sh "$here/$section.sh" "$out"
	fi
	if [ $? -ne 0 ]; then
		echo "bench: $section failed (exit status above)" >&2
		status=1
	fi
done
exit $status
