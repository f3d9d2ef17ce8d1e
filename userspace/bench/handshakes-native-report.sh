#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: the native handshake section of docs/benchmarks.md from
# OUTDIR/native-handshakes.tsv and native-meta.tsv (handshakes-native.sh),
# on stdout, and its plot docs/bench/native-handshakes.png. What the
# figures mean (the profile, why a goal is missed) is written by hand in
# userspace/bench/native-notes.md and goes under the goals table.
#
#   handshakes-native-report.sh OUTDIR [COMMAND]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: handshakes-native-report.sh OUTDIR [COMMAND]}
command=${2:-make bench}
tsv=$out/native-handshakes.tsv
plots=$top/docs/bench
[ -f "$tsv" ] || { echo "native report: no $tsv" >&2; exit 1; }
meta() { awk -F'\t' -v k="$1" '$1 == k {print $2}' "$out/native-meta.tsv"; }
concurrency=$(meta concurrency)
servers="inproc handoff nginx122 nginx126"
names='inproc=ktls-hs-server, libktls in-process (WolfSSL 5.9.2)
handoff=ktls-hs-server → ktlsd handoff (privilege-separated)
nginx122=nginx 1.22 + OpenSSL 3.0 (Debian 12)
nginx126=nginx 1.26 + OpenSSL 3.5 (Debian 13)'
name() { sed -n "s/^$1=//p" <<< "$names"; }

# table CERT GROUP WHAT: servers × (full, resumed) × concurrency; WHAT
# "rate" (handshakes per server CPU-second) or "latency" (p50 / p99 ms;
# servers without a measured cell left out).
table() {
	awk -F'\t' -v cert="$1" -v group="$2" -v what="$3" -v servers="$servers" \
		-v conc="$concurrency" -v names="$names" '
	BEGIN {
		n = split(names, nl, "\n")
		for (i = 1; i <= n; i++) {
			split(nl[i], kv, "=")
			label[kv[1]] = substr(nl[i], length(kv[1]) + 2)
		}
	}
	NR > 1 && $2 == cert && $3 == group {
		if (what == "latency") {
			if ($14 != "-") v[$1, $4, $5] = $14 " / " $15
			next
		}
		v[$1, $4, $5] = $10 == "-" ? "n/a" : $10
		if ($17 != "-" && $17 > 0) v[$1, $4, $5] = v[$1, $4, $5] " (" $17 " errors)"
	}
	END {
		ns = split(servers, sv, " "); nc = split(conc, cv, " ")
		line = "| server |"; rule = "|---|"
		for (k = 1; k <= 2; k++)
			for (c = 1; c <= nc; c++) {
				line = line " " (k == 1 ? "full" : "resumed") " ×" cv[c] " |"
				rule = rule "---:|"
			}
		print line; print rule
		for (s = 1; s <= ns; s++) {
			line = "| " label[sv[s]] " |"
			any = 0
			for (k = 1; k <= 2; k++)
				for (c = 1; c <= nc; c++) {
					x = v[sv[s], (k == 1 ? "full" : "resumed"), cv[c]]
					if (x != "") any = 1
					line = line " " (x == "" ? "—" : x) " |"
				}
			if (any) print line
		}
	}' "$tsv"
}

# Per server CPU-second over every concurrency of a cell: all its
# handshakes over all its server CPU (what the goals are about).
goals() {
	awk -F'\t' '
	NR > 1 && $6 != "-" {
		k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
		n[k] += $6; cpu[k] += $8; e[k] += $17
		cl[$1] += $9; sv[$1] += $8
	}
	function per(s, c, g, t,  k) {
		k = s SUBSEP c SUBSEP g SUBSEP t
		return cpu[k] > 0 ? n[k] / cpu[k] : 0
	}
	function ratio(a, b, c, g, t, goal,  x, y) {
		x = per(a, c, g, t); y = per(b, c, g, t)
		if (!x || !y) return "| n/a | ≥ " goal " | not measured |"
		return sprintf("| %.2f× (%.0f / %.0f) | ≥ %s | %s |", x / y, x, y,
			goal, (x / y >= goal ? "met" : "**missed**"))
	}
	END {
		print "| ratio, handshakes per server CPU-second (all concurrencies) | certificate | key exchange | kind | measured | goal | |"
		print "|---|---|---|---|---:|---:|---|"
		split("ecdsa rsa", certs, " "); split("full resumed", kinds, " ")
		for (ci = 1; ci <= 2; ci++) for (ti = 1; ti <= 2; ti++) {
			c = certs[ci]; t = kinds[ti]
			printf "| in-process / nginx 1.22 + OpenSSL 3.0 | %s | X25519 | %s %s\n",
				c, t, ratio("inproc", "nginx122", c, "X25519", t, 1.5)
		}
		for (ci = 1; ci <= 2; ci++) for (gi = 1; gi <= 2; gi++) for (ti = 1; ti <= 2; ti++) {
			c = certs[ci]; t = kinds[ti]; g = gi == 1 ? "X25519" : "X25519MLKEM768"
			printf "| in-process / nginx 1.26 + OpenSSL 3.5 | %s | %s | %s %s\n",
				c, g, t, ratio("inproc", "nginx126", c, g, t, 1.2)
		}
		for (ci = 1; ci <= 2; ci++) for (ti = 1; ti <= 2; ti++) {
			c = certs[ci]; t = kinds[ti]
			printf "| ktlsd handoff / in-process | %s | X25519 | %s %s\n",
				c, t, ratio("handoff", "inproc", c, "X25519", t, 0.95)
		}
		for (ci = 1; ci <= 2; ci++) for (ti = 1; ti <= 2; ti++) {
			c = certs[ci]; t = kinds[ti]
			printf "| ktlsd handoff / nginx 1.22 + OpenSSL 3.0 | %s | X25519 | %s %s\n",
				c, t, ratio("handoff", "nginx122", c, "X25519", t, 1.5)
			printf "| ktlsd handoff / nginx 1.26 + OpenSSL 3.5 | %s | X25519 | %s %s\n",
				c, t, ratio("handoff", "nginx126", c, "X25519", t, 1.2)
		}
		x = per("inproc", "ecdsa", "X25519", "full")
		printf "| in-process full ECDSA handshakes per core-second | ecdsa | X25519 | full | %.0f | ≥ 8000 | %s |\n",
			x, (x >= 8000 ? "met" : "**missed**")
		print ""
		print "| load client CPU per server CPU, over the whole run | server |"
		print "|---:|---|"
		split("inproc handoff nginx122 nginx126", s, " ")
		for (i = 1; i <= 4; i++)
			if (sv[s[i]] > 0)
				printf "| %.2f | %s |\n", cl[s[i]] / sv[s[i]], s[i]
	}' "$tsv"
}

plot() {	# bars: per server CPU-second at 16 clients (or the middle one)
	local dat=$out/native-plot.dat mid png=$plots/native-handshakes.png
	mid=$(awk '{print $(int((NF + 1) / 2))}' <<< "$concurrency")
	awk -F'\t' -v m="$mid" -v servers="$servers" '
	NR > 1 && $5 == m {
		cell = $2 "/" ($3 == "X25519" ? "x25519" : "mlkem") "/" $4
		if (!(cell in seen)) { seen[cell] = 1; order[++nc] = cell }
		v[cell, $1] = $10 == "-" ? "NaN" : $10
	}
	END {
		ns = split(servers, sv, " ")
		printf "cell"
		for (s = 1; s <= ns; s++) printf " %s", sv[s]
		print ""
		for (c = 1; c <= nc; c++) {
			printf "%s", order[c]
			for (s = 1; s <= ns; s++) {
				x = v[order[c], sv[s]]
				printf " %s", x == "" ? "NaN" : x
			}
			print ""
		}
	}' "$tsv" > "$dat"
	command -v gnuplot > /dev/null || return 0
	mkdir -p "$plots"
	gnuplot <<-EOF || echo "native report: gnuplot failed for $png" >&2
	set terminal pngcairo size 1100,460 font ',10'
	set output '$png'
	set style data histograms; set style histogram clustered gap 1
	set style fill solid 0.8 border -1; set boxwidth 0.9
	set grid ytics; set key top right font ',9'; set yrange [0:*]
	set xtics rotate by -30 font ',8'
	set ylabel 'handshakes per server CPU-second'
	set title 'TLS 1.3 handshakes per server CPU-second, $mid concurrent clients (native, real speed)'
	plot for [i=2:5] '$dat' using i:xtic(1) title columnheader(i)
	EOF
}
plot

# busy: what the load average says about other work on the host.
busy() {
	local before after
	before=$(meta load_before) after=$(meta load_after)
	if awk -v l="${before%% *}" -v c="$(meta cpus)" 'BEGIN {exit !(l + 0 >= c + 0)}'; then
		echo "**The host was shared**: its load average was $before before and ${after:-unknown} after (1, 5, 15 min) on $(meta cpus) CPUs, so other work ran on the same cores during the run."
	else
		echo "Load average $before before, ${after:-unknown} after (1, 5, 15 min)."
	fi
}

cat <<EOF
## Native: TLS 1.3 handshakes at real speed

**These figures are native, at real speed** (issue 13): the servers and the
load client ran directly on the host, with userspace TLS, which needs no
kernel TLS. Generated by \`$command\` on $(meta date); kernel $(meta kernel),
$(meta cpu), $(meta cpus) CPUs. $(busy)
So read the ratios, measured side by side, rather than the absolute rates:
every cell is taken in 1 s turns ($(meta turns) per server), the servers
alternating, all of them running, so that a busy moment falls on every
server alike; and the figure is handshakes per *server CPU-second* (utime +
stime from \`/proc\` of all the server's processes, around each turn),
which other load changes far less than handshakes per wall-clock second.

- **in-process**: \`ktls-hs-server --userspace\`, libktls (WolfSSL 5.9.2,
  the project's build) in one blocking thread per connection; it reads the
  18-byte request and answers 36 bytes in userspace TLS, then close_notify.
- **ktlsd handoff**: \`ktls-hs-server --handoff\` passes each accepted socket to the
  real, privilege-separated \`ktlsd\` (session tickets on), which runs the
  handshake (its key process signs) and then installs kernel TLS: on this
  kernel the install fails with \`ENOENT\`, after the whole handshake, and
  that answer is what is counted (the server then closes; the client counts
  the close after its completed handshake). CPU: ktls-hs-server and every
  ktlsd process.
- **nginx 1.22 + OpenSSL 3.0**: $(meta nginx122). \`worker_processes
  auto\` (2), \`ssl_session_tickets on\`, \`return 200\`.
- **nginx 1.26 + OpenSSL 3.5**: $(meta nginx126). The same
  configuration; run through trixie's loader from the cache
  (\`scripts/nginx126.sh\`, packages pinned by SHA-256).

One load client, \`ktls-hs-load --userspace\` (libktls, one thread per
concurrent connection, TLS 1.3, one key share: X25519, or X25519MLKEM768
alone, so no HelloRetryRequest): connect, handshake, send the request,
read the answer (or the close), reset. "Resumed" offers the ticket of the
thread's previous connection (a thread starts over with a full handshake,
not counted, every 200 resumptions: WolfSSL's own ticket keys fail the
256th chained resumption). Latency is from \`connect()\` to the client's
handshake complete. OpenSSL 3.0 has no ML-KEM: its X25519MLKEM768 rows are
n/a.

### Goals (issue 13)

$(goals)

Is the load client the bottleneck? For these figures it cannot be: they
are handshakes per *server* CPU-second, and a server waiting for a slow
client is idle, which is not counted (only its wake-ups are: with one
client every wait is a sleep and a wake-up, one reason the ×1 columns are
lower for every server). The client's own CPU (\`cpu_s\` from
\`getrusage\`, in the TSV) is in the second table: about as much as the
server spends, so client and server share the two cores about evenly, with
the other sessions' VMs. What a busy host does change is contention (a
server thread waiting for a core, caches shared with other work), and the
alternating turns spread that over every server alike. Rates per
wall-clock second (\`per_wall_s\` in the TSV) do depend on the client and
on the other sessions: they are not quoted.

$(cat "$here/native-notes.md" 2>/dev/null)

EOF
for cert in ecdsa rsa; do
	for group in X25519 X25519MLKEM768; do
		grep -q "	$cert	$group	" "$tsv" || continue
		case $cert in
		ecdsa) title="ECDSA P-256" ;;
		rsa) title="RSA-2048" ;;
		esac
		echo "### $title, $group: handshakes per server CPU-second"
		echo
		table "$cert" "$group" rate
		echo
		echo "Latency, p50 / p99 ms:"
		echo
		table "$cert" "$group" latency
		echo
	done
done
cat <<EOF
![native handshakes per server CPU-second](bench/native-handshakes.png)

Every row with its handshake count, wall and CPU seconds, client CPU and
errors: \`$(basename "$tsv")\` in the results directory.

EOF
tp=$out/native-throughput.tsv
if [ -f "$tp" ]; then
	cat <<-EOF
	## Native: userspace-TLS throughput at real speed

	**Native, real speed, the same host, right after the handshakes.** Keep-alive GETs of one
	file, TLS 1.3 with TLS_AES_128_GCM_SHA256, ECDSA P-256, encrypted in
	userspace by every server (no kernel TLS here): ktls-serve \`--tls
	userspace --workers 2\` (WolfSSL with AES-NI) against both nginx builds
	(2 workers, \`sendfile on\`, which OpenSSL turns into \`SSL_write\` without
	kTLS). One client, \`bench_get --userspace\` (WolfSSL decrypts; it
	checks every response's status and length); 1 s turns alternating
	between the servers; server CPU from \`/proc\` (every server process).
	MB are 10^6 bytes of payload.

	| server | file × connections | MB/s | MB per server CPU-second | errors |
	|---|---|---:|---:|---:|
	EOF
	awk -F'\t' 'NR > 1 {
		name = "nginx 1.26 + OpenSSL 3.5"
		if ($1 == "ktls-serve") name = "ktls-serve --tls userspace"
		if ($1 == "nginx122") name = "nginx 1.22 + OpenSSL 3.0"
		printf "| %s | %s ×%s | %s | %s | %s |\n", name, $2, $3, $7, $8, $9
	}' "$tp"
	echo
	cat "$here/native-throughput-notes.md" 2>/dev/null
	echo
fi
notes=$(awk -F'\t' 'NR > 1 && $18 != "" && $6 != "-" {printf "- %s, %s, %s, %s ×%s: %s\n", $1, $2, $3, $4, $5, $18}' "$tsv")
if [ -n "$notes" ]; then
	echo "Notes on rows:"
	echo
	echo "$notes"
	echo
fi
