#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, section "rtt": time to the first response byte through a
# 50 ms round trip (two network namespaces joined by veth, netem delaying
# 25 ms each way) for TLS 1.2 full, TLS 1.3 full, TLS 1.3 resumed and TLS
# 1.3 0-RTT (the request in early data), libktls at both ends
# (ktls-hs-rtt).
#
#   rtt.sh OUTDIR    writes OUTDIR/rtt.tsv and rtt-meta.tsv (the delay, the
#                    samples, why it was skipped); progress on stderr
#
# Without netem, veth or network namespaces it writes the header only and
# the reason in rtt-meta.tsv. Env: BENCH_QUICK=1 (3 samples a mode),
# BENCH_RTT_SAMPLES (10), BENCH_RTT_DELAY_MS (25, each way), BENCH_BIN,
# BENCH_CERTS; modules listed in /ktlsd/modules.d/*.load are loaded.
# run.sh starts every section with sh (busybox ash in the guest).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -uo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: rtt.sh OUTDIR}
mkdir -p "$out"
tsv=$out/rtt.tsv
bin=${BENCH_BIN:-${KTLSD_BIN:-$here/../../build/bin}}
certs=${BENCH_CERTS:-${KTLSD_TEST_CERTS:-$here/../../build/test-certs}}
samples=${BENCH_RTT_SAMPLES:-10}
delay=${BENCH_RTT_DELAY_MS:-25}
[ "${BENCH_QUICK:-0}" = 1 ] && samples=3
srv=ktlsd-bench-srv cli=ktlsd-bench-cli
header='mode\tsample\tconnect_ms\trequest_at_server_ms\tfirst_byte_ms\tresumed\tearly'

say() { echo "rtt: $*" >&2; }

# Only *.tsv files leave the VM: the settings and a skip's reason too.
meta() {
	printf 'key\tvalue\ndelay_ms_each_way\t%s\nsamples\t%s\nskipped\t%s\n' \
		"$delay" "$samples" "${1:-}" > "$out/rtt-meta.tsv"
}

skip() {
	printf '%b\n' "$header" > "$tsv"
	meta "$*"
	say "skipped: $*"
	exit 0
}

cleanup() {
	ip netns del "$srv" 2>/dev/null
	ip netns del "$cli" 2>/dev/null
}
trap cleanup EXIT

[ -x "$bin/ktls-hs-rtt" ] || skip "$bin/ktls-hs-rtt is missing (run make)"
for tool in ip tc; do
	command -v $tool > /dev/null ||
		skip "no $tool (iproute2) here: the guest list hs.guest brings it"
done

# The guest loads no module by itself: veth, sch_netem and what they need.
for list in /ktlsd/modules.d/*.load; do
	[ -f "$list" ] || continue
	while read -r m; do
		insmod "/ktlsd/modules/$m" 2>/dev/null
	done < "$list"
done

cleanup
# ip netns keeps its names in /run/netns; a bare guest has no /run.
mkdir -p /run 2>/dev/null
err=$( {
	ip netns add "$srv" && ip netns add "$cli" &&
	ip link add veth-bsrv netns "$srv" type veth peer name veth-bcli \
		netns "$cli" &&
	ip -n "$srv" addr add 10.99.0.1/24 dev veth-bsrv &&
	ip -n "$cli" addr add 10.99.0.2/24 dev veth-bcli &&
	ip -n "$srv" link set lo up && ip -n "$cli" link set lo up &&
	ip -n "$srv" link set veth-bsrv up && ip -n "$cli" link set veth-bcli up
} 2>&1 ) || skip "no network namespaces joined by veth: $err"
err=$( {
	tc -n "$srv" qdisc add dev veth-bsrv root netem delay "${delay}ms" &&
	tc -n "$cli" qdisc add dev veth-bcli root netem delay "${delay}ms"
} 2>&1 ) || skip "netem is unavailable (sch_netem): $err"

meta
say "$samples samples of each mode through ${delay} ms each way"
if ! "$bin/ktls-hs-rtt" --server-ns "$srv" --client-ns "$cli" \
	--addr 10.99.0.1:9443 --cert "$certs/server.pem" \
	--key "$certs/server.key" --ca "$certs/ca.pem" --samples "$samples" \
	> "$tsv"; then
	say "ktls-hs-rtt failed; rows so far: $(($(wc -l < "$tsv") - 1))"
	exit 1
fi
awk -F'\t' 'NR > 1 {n[$1]++; s[$1] += $5} END {
	for (m in n) printf "rtt:   %-15s mean first byte %.1f ms\n", m, s[m] / n[m]
}' "$tsv" >&2
say "wrote $tsv"
