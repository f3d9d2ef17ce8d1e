# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# KTAP for the shell tests that run in the guest (busybox sh): nfs_tls and
# nvme_tls source it from their own directory. Callers set n=0 failed=0
# skipped=0 first; totals prints the plan and the totals line at the end.
say() { echo "# $*"; }
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); skipped=$((skipped + 1)); echo "ok $n $1 # SKIP $2"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
not() { ! "$@"; }
totals() {
	echo "1..$n"
	echo "# Totals: pass:$((n - failed - skipped)) fail:$failed xfail:0 xpass:0 skip:$skipped error:0"
}
now() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
tls_stat() { awk -v k="$1" '$1 == k {print $2}' /proc/net/tls_stat 2>/dev/null; }
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
# ktlsd_ready LOG PID: wait (30 s at most) until ktlsd logs that every
# process is ready (its upcall broker has joined the netlink group); 1 if
# it died first or never said so.
ktlsd_ready() {
	waited=0
	while [ "$waited" -lt 300 ]; do
		grep -q 'info: ready:' "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		waited=$((waited + 1))
	done
	return 1
}
