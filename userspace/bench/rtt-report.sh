#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, section "rtt", on the host: OUTDIR/rtt.tsv (from rtt.sh) into
# a markdown section on stdout and the plot docs/bench/rtt.png (gnuplot).
#
#   rtt-report.sh OUTDIR       BENCH_PLOTS moves the plot's folder
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: rtt-report.sh OUTDIR}
tsv=$out/rtt.tsv
plots=${BENCH_PLOTS:-$here/../../docs/bench}

die() { echo "rtt-report: $*" >&2; exit 1; }
[ -f "$tsv" ] || die "no $tsv: the rtt section did not run"
command -v gnuplot > /dev/null ||
	die "gnuplot is missing (apt-get install gnuplot-nox)"
mkdir -p "$plots"

meta() {	# meta KEY DEFAULT: from rtt-meta.tsv
	awk -F'\t' -v k="$1" -v d="$2" '$1 == k {v = $2} END {print v == "" ? d : v}' \
		"$out/rtt-meta.tsv" 2>/dev/null || echo "$2"
}
delay=$(meta delay_ms_each_way 25)
samples=$(meta samples '?')
skipped=$(meta skipped '')

echo "## Round trips"
echo
if [ -n "$skipped" ] || [ "$(wc -l < "$tsv")" -le 1 ]; then
	echo "Not measured: ${skipped:-no samples (see the output of make bench)}."
	exit 0
fi

# median COLUMN [MODE]: the median of a column, over one mode or all.
median() {
	awk -F'\t' -v c="$1" -v m="${2:-}" 'NR > 1 && (m == "" || $1 == m) {print $c}' "$tsv" |
		sort -n | awk '{v[NR] = $1} END {
			if (!NR) exit
			printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

# TCP's handshake is one round trip: the yardstick for the others.
rtt=$(median 3)

# predicted MODE: round trips to the first byte, and to the request
# reaching the server, as the protocols say.
predicted() {
	case $1 in
	tls1.2-full) echo "4 3.5" ;;
	tls1.3-full | tls1.3-resumed) echo "3 2.5" ;;
	tls1.3-0rtt) echo "2 1.5" ;;
	esac
}

label() {
	case $1 in
	tls1.2-full) echo "TLS 1.2 full" ;;
	tls1.3-full) echo "TLS 1.3 full" ;;
	tls1.3-resumed) echo "TLS 1.3 resumed" ;;
	tls1.3-0rtt) echo "TLS 1.3 0-RTT" ;;
	esac
}

modes="tls1.2-full tls1.3-full tls1.3-resumed tls1.3-0rtt"
rows=
data=$out/rtt-plot.dat
echo '# mode predicted measured request_predicted request_measured' > "$data"
for m in $modes; do
	fb=$(median 5 "$m")
	rq=$(median 4 "$m")
	[ -n "$fb" ] || continue
	read -r p_fb p_rq <<<"$(predicted "$m")"
	fb_rtt=$(awk -v a="$fb" -v r="$rtt" 'BEGIN {printf "%.2f", a / r}')
	rq_rtt=$(awk -v a="$rq" -v r="$rtt" 'BEGIN {printf "%.2f", a / r}')
	range=$(awk -F'\t' -v m="$m" 'NR > 1 && $1 == m {
		if (lo == "" || $5 < lo) lo = $5; if ($5 > hi) hi = $5
	} END {printf "%.0f–%.0f", lo, hi}' "$tsv")
	extra=$(awk -F'\t' -v m="$m" 'NR > 1 && $1 == m {
		n++; r += $6 == "yes"; e += $7 == "yes"
	} END {printf "%d/%d resumed, %d/%d 0-RTT accepted", r, n, e, n}' "$tsv")
	rows+="| $(label "$m") | $p_fb | $fb ($range) | **$fb_rtt** | $p_rq | $rq | $rq_rtt | $extra |"$'\n'
	printf '"%s" %s %s %s %s\n' "$(label "$m")" "$p_fb" "$fb_rtt" "$p_rq" \
		"$rq_rtt" >> "$data"
done

gnuplot <<PLOT || die "gnuplot failed for $plots/rtt.png"
set terminal pngcairo size 800,420 font ',10'
set output '$plots/rtt.png'
set title 'Round trips through a $((delay * 2)) ms RTT (medians of $samples; 1 RTT = TCP connect, $rtt ms)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set ylabel 'round trips'
set yrange [0:*]
set grid ytics
set key top right
set xtics scale 0
plot '$data' using 2:xtic(1) title 'first byte, predicted', \
	'' using 3 title 'first byte, measured', \
	'' using 4 title 'request at server, predicted', \
	'' using 5 title 'request at server, measured'
PLOT

cat <<EOF
Two network namespaces joined by veth, netem delaying each direction by
${delay} ms (a $((delay * 2)) ms round trip); libktls at both ends
(\`ktls-hs-rtt\`, ECDSA P-256 certificate, X25519), kernel TLS after the
handshake, \`TCP_NODELAY\` on both sockets as browsers and curl set it.
Each connection sends an 18-byte request and times the first byte of the
answer from \`connect()\`; the server's moment of holding the request is
read on the same clock (both ends are threads of one process). Medians of
$samples connections per mode; round trips are measured times divided by
the median TCP connect time ($rtt ms, one round trip). The protocols
predict, counting TCP's own round trip: TLS 1.2 needs TCP + 2 RTT before
the request goes out and 1 more for the answer (4); TLS 1.3 full and
resumed TCP + 1, then 1 (3); 0-RTT sends the request in the first flight
(2). What is above the prediction is computation (the handshake's
signatures and key exchanges, slow under qemu TCG), not waiting.

| mode | predicted RTTs to first byte | first byte ms (median, range) | RTTs | predicted RTTs to request at server | request at server ms | RTTs | |
|---|---:|---:|---:|---:|---:|---:|---|
${rows%$'\n'}

![round trips](bench/rtt.png)

With 0-RTT the request reaches the server in the client's first flight, a
round trip before a full TLS 1.3 handshake delivers it (the "request at
server" columns). The answer can only leave that early if the server sends
it as 0.5-RTT data, right behind its own Finished; libktls has no call for
that (the server installs kernel TLS once the client's Finished arrived),
so the first byte still comes after TCP + 2 round trips, as with a full
handshake. An idempotent answer sent at that point would take the first
byte to the predicted 2 round trips.
EOF
