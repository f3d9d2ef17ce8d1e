#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench, on the host: turn the results in OUTDIR into
# docs/benchmarks.md and the plots in docs/bench/ (gnuplot). Two parts, each
# rewritten when OUTDIR has its results and kept from the current
# docs/benchmarks.md when it has not (BENCH_NATIVE_ONLY=1 runs only the
# first):
#   native   handshakes at real speed, from native-handshakes.tsv
#            (handshakes-native-report.sh writes it), from the heading
#            "## Native" on;
#   qemu TCG meta.tsv, throughput.tsv and the other sections' files, from
#            the heading "## qemu TCG" on; the other sections write their
#            own markdown: userspace/bench/SECTION-report.sh OUTDIR prints it
#            on stdout and puts its PNGs into docs/bench/.
# The measurements that predate the harness stay at the end, taken from
# the current docs/benchmarks.md (from the heading "## Earlier
# measurements" on). What the numbers mean (why a target is missed, what
# would close the gap) is written by hand in userspace/bench/*-notes.md
# and goes under the targets tables.
#
#   report.sh OUTDIR [COMMAND]   COMMAND: how the results were made
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: report.sh OUTDIR [COMMAND]}
command=${2:-make bench}
doc=$top/docs/benchmarks.md
plots=$top/docs/bench
tp=$out/throughput.tsv

die() { echo "bench report: $*" >&2; exit 1; }
command -v gnuplot > /dev/null || die "gnuplot is missing (apt-get install gnuplot-nox; scripts/host-packages.sh installs it)"
grep -q '^## Earlier measurements' "$doc" ||
	die "$doc has no \"## Earlier measurements\" section to keep"
[ -f "$out/native-handshakes.tsv" ] || [ -f "$tp" ] ||
	die "$out has neither native-handshakes.tsv nor throughput.tsv: nothing ran"

meta() { awk -F'\t' -v k="$1" '$1 == k {print $2}' "$out/meta.tsv"; }
mkdir -p "$plots"
earlier=$(mktemp) native=$(mktemp) tcg=$(mktemp)
trap 'rm -f "$earlier" "$native" "$tcg"' EXIT
sed -n '/^## Earlier measurements/,$p' "$doc" > "$earlier"
# part FROM: the current document from heading FROM to the next part.
part() {
	awk -v from="$1" '
	/^## (Native|qemu TCG|Earlier measurements)/ { on = index($0, from) == 1 }
	on' "$doc"
}
if [ -f "$out/native-handshakes.tsv" ]; then
	bash "$here/handshakes-native-report.sh" "$out" "$command" > "$native" ||
		printf '## Native\n\n(the native report failed: see the output of make bench)\n\n' > "$native"
else
	part "## Native" > "$native"
fi
if [ ! -f "$tp" ]; then
	part "## qemu TCG" > "$tcg"
	{
		cat "$here/benchmarks-intro.md"
		cat "$native" "$tcg" "$earlier"
	} > "$doc.tmp"
	mv "$doc.tmp" "$doc"
	echo "bench: wrote $doc (native part; the qemu TCG part kept) and $plots/" >&2
	exit 0
fi
[ -f "$out/meta.tsv" ] || die "$out/meta.tsv is missing: the qemu TCG run did not start"

servers="ktls-serve-sendfile ktls-serve-splice ktls-serve-userspace nginx-userspace nginx-ktls"
sizes=$(awk -F'\t' 'NR > 1 && !seen[$2]++ {print $2}' "$tp" | paste -sd' ')
conns_list=$(awk -F'\t' 'NR > 1 && !seen[$3]++ {print $3}' "$tp" | paste -sd' ')

# table COLUMN: one row per server, one column per size x connections;
# cells with an error show "error" (explained under the tables).
table() {
	awk -F'\t' -v col="$1" -v servers="$servers" -v sizes="$sizes" \
		-v conns="$conns_list" '
	NR > 1 {
		v[$1, $2, $3] = $12 == "ok" ? $col : "error"
	}
	END {
		ns = split(servers, sv, " "); nz = split(sizes, sz, " ")
		nc = split(conns, cn, " ")
		line = "| server |"; rule = "|---|"
		for (z = 1; z <= nz; z++)
			for (c = 1; c <= nc; c++) {
				line = line " " sz[z] " ×" cn[c] " |"
				rule = rule "---:|"
			}
		print line; print rule
		for (s = 1; s <= ns; s++) {
			line = "| " sv[s] " |"
			for (z = 1; z <= nz; z++)
				for (c = 1; c <= nc; c++) {
					x = v[sv[s], sz[z], cn[c]]
					line = line " " (x == "" ? "—" : x) " |"
				}
			print line
		}
	}' "$tp"
}

# The issue-6 targets, over every cell of 1 MiB and more that has no
# error: payload bytes per server CPU-second, summed over those cells.
ratios() {
	awk -F'\t' '
	NR > 1 && ($2 == "1m" || $2 == "64m") {
		if ($12 != "ok") { bad[$1] = 1; next }
		b[$1] += $5; cpu[$1] += $8
		cb[$1, $2, $3] = $5; cc[$1, $2, $3] = $8
		cells[$2 " ×" $3] = $2 SUBSEP $3
	}
	function per(s) { return cpu[s] > 0 ? b[s] / cpu[s] / 1e6 : 0 }
	function ratio(a, z) {
		if (bad[a] || bad[z] || per(a) == 0 || per(z) == 0)
			return "n/a (a row has errors)"
		return sprintf("%.3f×", per(a) / per(z))
	}
	function verdict(a, z, goal) {
		if (bad[a] || bad[z] || per(a) == 0 || per(z) == 0)
			return "not measured"
		return per(a) / per(z) >= goal ? "met" : "**missed**"
	}
	END {
		k = "ktls-serve-sendfile"; u = "nginx-userspace"; n = "nginx-ktls"
		print "| ratio of MB per server CPU-second, files ≥ 1 MiB | measured | goal | |"
		print "|---|---:|---:|---|"
		printf "| ktls-serve kTLS (sendfile) / nginx OpenSSL userspace | %s | ≥ 1.3× | %s |\n",
			ratio(k, u), verdict(k, u, 1.3)
		printf "| ktls-serve kTLS (sendfile) / nginx OpenSSL kTLS | %s | ≥ 1.0× | %s |\n",
			ratio(k, n), verdict(k, n, 1.0)
		p = "ktls-serve-splice"
		printf "| ktls-serve kTLS (splice) / nginx OpenSSL userspace | %s | ≥ 1.3× | %s |\n",
			ratio(p, u), verdict(p, u, 1.3)
		printf "| ktls-serve kTLS (splice) / nginx OpenSSL kTLS | %s | ≥ 1.0× | %s |\n",
			ratio(p, n), verdict(p, n, 1.0)
		printf "| ktls-serve kTLS (sendfile) / ktls-serve userspace (WolfSSL) | %s | | |\n",
			ratio(k, "ktls-serve-userspace")
		printf "| nginx OpenSSL kTLS / nginx OpenSSL userspace | %s | | |\n",
			ratio(n, u)
	}' "$tp"
}

# plot COLUMN TITLE FILE: bars per size, one per server, a panel per
# number of connections; log scale (sizes differ by orders of magnitude).
plot() {
	local col=$1 title=$2 png=$3 c dat panels=() i=0
	for c in $conns_list; do
		dat=$out/plot-$col-$c.dat
		awk -F'\t' -v col="$col" -v c="$c" -v servers="$servers" -v sizes="$sizes" '
		NR > 1 && $3 == c { v[$1, $2] = ($12 == "ok" && $col > 0) ? $col : "NaN" }
		END {
			ns = split(servers, sv, " "); nz = split(sizes, sz, " ")
			printf "size"
			for (s = 1; s <= ns; s++) printf " %s", sv[s]
			print ""
			for (z = 1; z <= nz; z++) {
				printf "%s", sz[z]
				for (s = 1; s <= ns; s++) {
					x = v[sv[s], sz[z]]
					printf " %s", x == "" ? "NaN" : x
				}
				print ""
			}
		}' "$tp" > "$dat"
		panels+=("set title '$c connection(s)'; plot for [i=2:6] '$dat' using i:xtic(1) title columnheader(i)")
		i=$((i + 1))
	done
	{
		echo "set terminal pngcairo size $((560 * i)),420 font ',10'"
		echo "set output '$png'"
		echo "set style data histograms; set style histogram clustered gap 1"
		echo "set style fill solid 0.8 border -1; set boxwidth 0.9"
		echo "set logscale y; set grid ytics; set key top left font ',8'"
		echo "set ylabel '$title'; set xlabel 'file size'"
		echo "set multiplot layout 1,$i title '$title (qemu TCG: compare bars, not absolute values)'"
		printf '%s\n' "${panels[@]}"
		echo "unset multiplot"
	} | gnuplot || die "gnuplot failed for $png"
}

plot 7 "MB/s of payload" "$plots/throughput.png"
plot 9 "server CPU-seconds per GB" "$plots/cpu-per-gb.png"

where=$(meta where)
{
	cat <<EOF
## qemu TCG section: kTLS throughput, handshakes and round trips ($where)

Generated by \`$command\` on $(meta date). Every figure from here up to
"Earlier measurements" comes from that one run: the same files, the same
client, the same kernel for every server.

| | |
|---|---|
| kernel | $(meta kernel) |
| CPU | $(meta cpu), $(meta cpus) CPUs$( [ "$where" = "qemu TCG" ] && echo "; the host's: $(meta host_cpu)") |
| where | $where |
| host load average | $(meta host_load) |
| one measurement | $(meta seconds) s$( [ "$(meta quick)" = 1 ] && echo ' (BENCH_QUICK=1: a smoke run, fewer cells)') |
| command | \`$command\` |

EOF
	if [ "$where" = "qemu TCG" ]; then
		cat <<'EOF'
**These figures were measured under qemu TCG, which emulates every
instruction: they are ratios between servers measured side by side, not
absolute speeds.** Real hardware is one to two orders of magnitude
faster, and not by the same factor for every code path. Other work on the
host (its load average above: near or over its CPU count, the VM shared
them) slows the emulated CPUs unevenly and makes the figures noisy: run
it on an otherwise idle host.

EOF
	fi
	cat <<EOF
## Throughput

Five servers, each with 2 workers, the same ECDSA P-256 certificate and
TLS 1.3 with TLS_AES_128_GCM_SHA256 only (pinned on the servers; the
client checks every connection got it):

- **ktls-serve-sendfile**: ktls-serve \`--tls kernel --body sendfile\`
  (kernel TLS, \`sendfile(2)\` from the page cache);
- **ktls-serve-splice**: ktls-serve \`--tls kernel --body splice\`
  (\`IORING_OP_SPLICE\` file → pipe → socket);
- **ktls-serve-userspace**: ktls-serve \`--tls userspace\` (WolfSSL with
  AES-NI encrypts every record);
- **nginx-userspace**: Debian's nginx 1.22.1 with OpenSSL 3.0, \`sendfile
  on\`, no kTLS;
- **nginx-ktls**: the same nginx with \`ssl_conf_command Options KTLS;\`
  and \`sendfile on;\` (OpenSSL's \`SSL_sendfile\` into kernel TLS).

The client (\`userspace/bench/bench_get.c\`) holds N keep-alive
connections, one thread each, and fetches the same file over and over for
one window; it decrypts with kernel TLS (no userspace record layer), checks
each response's status and length, and counts payload bytes, including
the part of a response still in flight when the window closes. Server
CPU is the servers' own accounting: utime + stime from \`/proc/PID/stat\`
of every server process (nginx's master and workers; threads are counted
in their process), read at the window's start and end. \`TlsTxSw\` in
\`/proc/net/tls_stat\` must rise by one per connection on each side for a
kTLS row and by the client's connections only for a userspace row; a cell
whose check fails shows "error" and is listed below, never filled in.

### Targets (issue 6)

$(ratios)

$(cat "$here/throughput-notes.md" 2>/dev/null)

### Throughput, MB/s of payload

Columns: file size × keep-alive connections.

$(table 7)

![throughput](bench/throughput.png)

### Server CPU-seconds per GB served

Lower is better.

$(table 9)

![CPU per GB](bench/cpu-per-gb.png)

EOF
	if grep -q '	error' "$tp"; then
		echo "### Cells with errors"
		echo
		awk -F'\t' 'NR > 1 && $12 != "ok" {printf "- %s, %s ×%s: %s\n", $1, $2, $3, $12}' "$tp"
		echo
	fi
	for section in handshakes rtt; do
		if [ -x "$here/$section-report.sh" ] || [ -f "$here/$section-report.sh" ]; then
			bash "$here/$section-report.sh" "$out" ||
				echo "(the $section report failed: see the output of make bench)"
		else
			case $section in
			rtt) echo "## Round trips" ;;
			*) echo "## ${section^}" ;;
			esac
			echo
			echo "Not built yet (userspace/bench/$section-report.sh is missing)."
		fi
		echo
	done
} > "$tcg"
{
	cat "$here/benchmarks-intro.md"
	cat "$native" "$tcg" "$earlier"
} > "$doc.tmp"
mv "$doc.tmp" "$doc"
echo "bench: wrote $doc and $plots/" >&2
