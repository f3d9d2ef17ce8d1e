#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, section "handshakes", on the host: OUTDIR/handshakes.tsv (from
# handshakes.sh) into a markdown section on stdout and the plot
# docs/bench/handshakes.png (gnuplot).
#
#   handshakes-report.sh OUTDIR       BENCH_PLOTS moves the plot's folder
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: handshakes-report.sh OUTDIR}
tsv=$out/handshakes.tsv
plots=${BENCH_PLOTS:-$here/../../docs/bench}

die() { echo "handshakes-report: $*" >&2; exit 1; }
[ -f "$tsv" ] || die "no $tsv: the handshakes section did not run"
command -v gnuplot > /dev/null ||
	die "gnuplot is missing (apt-get install gnuplot-nox)"
mkdir -p "$plots"

meta() {	# meta KEY DEFAULT: from handshakes-meta.tsv
	awk -F'\t' -v k="$1" -v d="$2" '$1 == k {v = $2} END {print v == "" ? d : v}' \
		"$out/handshakes-meta.tsv" 2>/dev/null || echo "$2"
}
seconds=$(meta seconds '?')
conns=$(meta connections '?')

# The rows as "path cert kind" -> fields, for awk below.
label() {
	case $1 in
	handoff) echo "ktlsd, application handoff" ;;
	upcall) echo "ktlsd, kernel upcall (test consumer)" ;;
	inproc) echo "libktls in-process (WolfSSL)" ;;
	nginx) echo "nginx 1.22 + OpenSSL 3.0" ;;
	*) echo "$1" ;;
	esac
}

short() {	# short PATH: the plot's label
	case $1 in
	handoff) echo "ktlsd handoff" ;;
	upcall) echo "ktlsd upcall" ;;
	inproc) echo "in-process" ;;
	nginx) echo "nginx" ;;
	esac
}

# table CERT: one line per path, full and resumed side by side.
table() {
	local cert=$1 path
	echo "| path | full /s (turns) | p50 ms | p99 ms | resumed /s (turns) | p50 ms | p99 ms |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for path in handoff upcall inproc nginx; do
		awk -F'\t' -v p="$path" -v c="$cert" -v name="$(label "$path")" '
			NR > 1 && $1 == p && $2 == c {
				if ($4 == "-") { r[$3] = "n/a"; a[$3] = b[$3] = "" }
				else {
					r[$3] = sprintf("%.1f", $6)
					if ($11 != "" && $12 != "" && $11 != $12)
						r[$3] = r[$3] sprintf(" (%s–%s)", $11, $12)
					a[$3] = $7; b[$3] = $8
				}
			}
			END {
				if (!("full" in r)) exit
				printf "| %s | %s | %s | %s | %s | %s | %s |\n", name,
					r["full"], a["full"], b["full"],
					r["resumed"], a["resumed"], b["resumed"]
			}' "$tsv"
	done
}

# rate PATH CERT KIND: handshakes per second, or nothing.
rate() {
	awk -F'\t' -v p="$1" -v c="$2" -v k="$3" \
		'NR > 1 && $1 == p && $2 == c && $3 == k && $4 != "-" && $6 > 0 {print $6}' "$tsv"
}

# ratio A B GOAL: "1.23x (goal >= G: met)" or why there is none.
ratio() {
	if [ -z "$1" ] || [ -z "$2" ]; then
		echo "not measured"
		return
	fi
	awk -v a="$1" -v b="$2" -v g="$3" 'BEGIN {
		r = a / b
		printf "%.3fx (goal ≥ %.1fx: %s)", r, g, (r >= g ? "met" : "missed")
	}'
}

ratios() {
	local cert kind h i n
	echo "| certificate | handshake | ktlsd handoff / in-process | ktlsd handoff / nginx |"
	echo "|---|---|---|---|"
	for cert in ecdsa rsa; do
		for kind in full resumed; do
			h=$(rate handoff "$cert" "$kind")
			i=$(rate inproc "$cert" "$kind")
			n=$(rate nginx "$cert" "$kind")
			printf '| %s | %s | %s | %s |\n' \
				"$([ "$cert" = ecdsa ] && echo "ECDSA P-256" || echo RSA-2048)" \
				"$kind" "$(ratio "$h" "$i" 0.9)" "$(ratio "$h" "$n" 1.0)"
		done
	done
}

notes() {
	awk -F'\t' 'NR > 1 && $13 != "" {
		printf "- %s, %s, %s: %s\n", $1, $2, $3, $13
	}' "$tsv"
}

# ratio_of A B: A / B with three decimals (0.897 is not 0.90), or nothing.
ratio_of() {
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'
}

# Where a goal is missed, what the figures themselves say about why.
why_missed() {
	local cert kind h i n hi hn opts sp='' explained=''
	opts=${KTLSD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ktlsd}/wolfssl/prefix/include/wolfssl/options.h
	if [ -f "$opts" ]; then
		grep -q 'define WOLFSSL_HAVE_SP_RSA' "$opts" && sp=yes || sp=no
	fi
	for cert in ecdsa rsa; do
		for kind in full resumed; do
			h=$(rate handoff "$cert" "$kind")
			i=$(rate inproc "$cert" "$kind")
			n=$(rate nginx "$cert" "$kind")
			hi=$(ratio_of "$h" "$i")
			hn=$(ratio_of "$h" "$n")
			if [ -n "$hi" ] && awk -v r="$hi" 'BEGIN {exit !(r < 0.9)}'; then
				printf '\n**%s %s: ktlsd below the in-process handshake (%sx).** ' "$cert" "$kind" "$hi"
				if [ -z "$explained" ]; then
					echo "The same libktls handshake runs in both; the handoff adds a SCM_RIGHTS message each way and a wake-up of a ktlsd loop per connection, on two emulated CPUs shared with the load client and the other servers. A profile on a kTLS host (perf) should come before any tuning."
					explained=yes
				else
					echo "The handoff's cost, as above."
				fi
			fi
			if [ -n "$hn" ] && awk -v r="$hn" 'BEGIN {exit !(r < 1.0)}'; then
				printf '\n**%s %s: ktlsd below nginx (%sx).** ' "$cert" "$kind" "$hn"
				if [ -n "$hi" ] && awk -v r="$hi" 'BEGIN {exit !(r >= 0.9)}'; then
					printf "ktlsd keeps up with the same handshake in-process (%sx), so the handoff is not the gap: WolfSSL's handshake is slower than OpenSSL's here. " "$hi"
					# shellcheck disable=SC2016 # backquotes for markdown
					[ "$sp" = no ] && printf 'Our WolfSSL build has generic big-integer math (WOLFSSL_SP_MATH_ALL) but not the specialised RSA/ECC code (`--enable-sp --enable-sp-asm`), the first thing to try. '
					echo
				else
					echo "Part of it is the handoff's own cost (above)."
				fi
			fi
		done
	done
	return 0
}

plot() {
	local data=$out/handshakes-plot.dat path
	{
		echo "# path ecdsa-full ecdsa-resumed rsa-full rsa-resumed"
		for path in handoff upcall inproc nginx; do
			printf '"%s"' "$(short "$path")"
			for ck in "ecdsa full" "ecdsa resumed" "rsa full" "rsa resumed"; do
				# shellcheck disable=SC2086 # two words on purpose
				printf ' %s' "$(rate $path ${ck% *} ${ck#* } | grep . || echo 0)"
			done
			echo
		done
	} > "$data"
	gnuplot <<-PLOT || die "gnuplot failed for $plots/handshakes.png"
	set terminal pngcairo size 900,420 font ',10'
	set output '$plots/handshakes.png'
	set title 'TLS 1.3 handshakes per second ($conns connections; n/a = 0)'
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.85 border -1
	set ylabel 'handshakes / s'
	set yrange [0:*]
	set grid ytics
	set key top right
	set xtics scale 0
	plot '$data' using 2:xtic(1) title 'ECDSA full', \
		'' using 3 title 'ECDSA resumed', \
		'' using 4 title 'RSA full', \
		'' using 5 title 'RSA resumed'
	PLOT
}

plot
cat <<EOF
## Handshakes

TLS 1.3 handshakes per second (X25519 key share) with latency percentiles,
through each way of running the server's handshake, for an ECDSA P-256 and
an RSA-2048 certificate (the test PKI). One load client for all of them,
\`ktls-hs-load\` ($conns concurrent connections; ${seconds} s per row, in
1 s turns the four servers take alternately, all of them running, after
half a second of warm-up each): each connection runs the handshake, sends an
18-byte request through kernel TLS, reads the first bytes of the answer
(so the server side finished too), then resets. Latency is from
\`connect()\` to the client's handshake complete. "Resumed" offers the
TLS 1.3 ticket of the previous connection. In brackets: the slowest and
the fastest turn, handshakes per second. The load client shares the
CPUs with the server: under qemu TCG the figures are ratios, not speeds.
Ratios between paths that run the same library (handoff, upcall and
in-process all run libktls on WolfSSL) hold best; across libraries (WolfSSL
against OpenSSL) emulation distorts more, as each library's assembly runs
at its own fraction of native speed under TCG: the nginx ratios want a
native kTLS host (\`make bench\` runs natively there) to be confirmed.

- **ktlsd, application handoff**: \`ktls-hs-server --handoff\` accepts and
  passes each socket to the real \`ktlsd\` (session tickets on), which
  installs kTLS; the server answers through kTLS.
- **ktlsd, kernel upcall**: the kernel test consumer (\`kmod/\`) listens and
  asks for a server handshake through the kernel's handshake upcall, which
  \`ktlsd\` answers; each consumer job takes one connection, so the load
  client has one port per connection and retries while a job re-listens.
- **libktls in-process**: \`ktls-hs-server\` runs the same libktls handshake
  in its own threads, then kTLS.
- **nginx**: Debian's nginx 1.22.1 with OpenSSL 3.0, \`return 200\`.

### ECDSA P-256

$(table ecdsa)

### RSA-2048

$(table rsa)

![handshakes per second](bench/handshakes.png)

### Ratios against the goals

$(ratios)
EOF
why_missed
n=$(notes)
if [ -n "$n" ]; then
	printf '\n### Notes on rows\n\n%s\n' "$n"
fi
