#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, native section (issue 13): TLS 1.3 full and resumed
# handshakes per server CPU-second, with p50/p99 latency, at real speed on
# the host (no kernel TLS needed), for four servers:
#   inproc    ktls-hs-server --userspace: libktls (WolfSSL) in its threads,
#             the request and answer in userspace TLS
#   handoff   ktls-hs-server --handoff: each socket goes to the real ktlsd
#             (privilege-separated); on a kernel without kTLS the install
#             fails with ENOENT after the whole handshake, and that answer
#             is what is counted (the server closes; the client counts the
#             close after its completed handshake)
#   nginx122  Debian 12's nginx 1.22 with OpenSSL 3.0
#   nginx126  Debian 13's nginx 1.26 with OpenSSL 3.5 (trixie's loader)
# for ECDSA P-256 and RSA-2048 certificates, the X25519 and X25519MLKEM768
# key exchanges (where the server has it: not OpenSSL 3.0) and 1, 16 and 64
# concurrent clients (ktls-hs-load --userspace, one thread each).
#
# Every cell is taken in 1 s turns, the servers alternating, all of them
# running: a busy moment of the shared host falls on every server alike.
# Server CPU is utime + stime from /proc of the server's processes (nginx:
# master and workers; handoff: ktls-hs-server and every ktlsd process)
# around each turn; the load client reports its own CPU (getrusage).
#
#   handshakes-native.sh OUTDIR   writes OUTDIR/native-handshakes.tsv and
#                                 native-meta.tsv; progress on stderr
# Env: BENCH_SECONDS (turns per cell, 3), BENCH_QUICK=1 (1 turn, 1 and 16
# clients, ECDSA only), BENCH_HS_CONCURRENCY ("1 16 64"), BENCH_BIN,
# BENCH_CERTS, BENCH_NGINX122 (binary), BENCH_NGINX122_LIBS (its library
# path), BENCH_NGINX126 (the unpacked opt/nginx126 directory).
set -uo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

here=$(cd "$(dirname "$0")" && pwd)
. "$here/hs-lib.sh"
out=${1:?usage: handshakes-native.sh OUTDIR}
mkdir -p "$out"
tsv=$out/native-handshakes.tsv
bin=${BENCH_BIN:-$here/../../build/bin}
certs=${BENCH_CERTS:-$here/../../build/test-certs}
nginx122=${BENCH_NGINX122:-}
nginx122_libs=${BENCH_NGINX122_LIBS:-}
nginx126=${BENCH_NGINX126:-}
turns=${BENCH_SECONDS:-3}
concurrency=${BENCH_HS_CONCURRENCY:-1 16 64}
cert_list="ecdsa rsa"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	turns=1 concurrency="1 16" cert_list=ecdsa
fi
max_conns=0
for c in $concurrency; do [ "$c" -gt "$max_conns" ] && max_conns=$c; done
hz=$(getconf CLK_TCK)
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-native.XXXXXX")
base=$((20000 + RANDOM % 20000))
declare -A port pid_of why_not
servers="inproc handoff nginx122 nginx126"
i=0
for s in $servers; do port[$s]=$((base + i)); i=$((i + 1)); done
started_pids=()

say() { echo "native: $*" >&2; }
die() { say "$*"; exit 1; }

stop_all() {
	local p
	for p in "${started_pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	started_pids=()
	sleep 0.2
}
trap 'stop_all; rm -rf "$work"' EXIT

for prog in ktls-hs-load ktls-hs-server ktlsd; do
	[ -x "$bin/$prog" ] || die "$bin/$prog is missing (run make)"
done

# ticks PID...: utime + stime of the PIDs and all their descendants
# (threads are counted in their process), in clock ticks.
ticks() {
	local all=() p queue=("$@") total=0 f
	while [ ${#queue[@]} -gt 0 ]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		all+=("$p")
		# shellcheck disable=SC2207 # pids, one word each
		queue+=($(cat /proc/"$p"/task/*/children 2>/dev/null))
	done
	for p in "${all[@]}"; do
		f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		# shellcheck disable=SC2086 # fields of /proc/PID/stat
		set -- $f
		total=$((total + ${12} + ${13}))
	done
	echo "$total"
}

wait_for() {	# wait_for CHECK...: up to 10 s
	local _
	for _ in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

start() {	# start NAME LOG CMD...: in the background
	local name=$1 log=$2
	shift 2
	"$@" > "$log" 2>&1 &
	pid_of[$name]=$!
	started_pids+=("$!")
}

ktlsd_conf() {	# ktlsd_conf CERT KEY
	cat <<-CONF
	[global]
	loglevel = error
	[handoff]
	path = $work/handoff.sock
	mode = 0600
	[server]
	certificate = $1
	private_key = $2
	min_version = 1.3
	session_tickets = yes
	CONF
}

# start_servers CERT KEY: all four; why_not[SERVER] for those that did not
# come up.
start_servers() {
	local crt=$1 key=$2 s
	why_not=()
	start inproc "$work/inproc.log" "$bin/ktls-hs-server" --userspace \
		--listen "127.0.0.1:${port[inproc]}" --cert "$crt" --key "$key" \
		--threads "$max_conns"
	rm -f "$work/handoff.sock"
	ktlsd_conf "$crt" "$key" > "$work/ktlsd.conf"
	start ktlsd "$work/ktlsd.log" "$bin/ktlsd" -f -c "$work/ktlsd.conf"
	if wait_for test -S "$work/handoff.sock"; then
		start handoff "$work/handoff.log" "$bin/ktls-hs-server" \
			--userspace --listen "127.0.0.1:${port[handoff]}" \
			--handoff "$work/handoff.sock" --threads "$max_conns"
	else
		why_not[handoff]="ktlsd did not start: $(tail -n 1 "$work/ktlsd.log")"
	fi
	if [ -n "$nginx122" ] && [ -x "$nginx122" ]; then
		hs_nginx_conf nginx122 "${port[nginx122]}" "$crt" "$key" "$work" > "$work/nginx122.conf"
		start nginx122 "$work/nginx122.log" \
			env ${nginx122_libs:+LD_LIBRARY_PATH="$nginx122_libs"} \
			"$nginx122" -p "$work" -c "$work/nginx122.conf" \
			-e "$work/nginx122-error.log" -g 'daemon off;'
	else
		why_not[nginx122]="no nginx 1.22 binary (BENCH_NGINX122=${nginx122:-unset}; scripts/nginx.sh unpacks it)"
	fi
	if [ -n "$nginx126" ] && [ -f "$nginx126/sbin/nginx" ]; then
		hs_nginx_conf nginx126 "${port[nginx126]}" "$crt" "$key" "$work" > "$work/nginx126.conf"
		# OpenSSL 3.5 must not read the host's OpenSSL 3.0 configuration.
		: > "$work/openssl35.cnf"
		start nginx126 "$work/nginx126.log" \
			env OPENSSL_CONF="$work/openssl35.cnf" \
			"$nginx126/lib/ld-linux-x86-64.so.2" --library-path "$nginx126/lib" \
			"$nginx126/sbin/nginx" -p "$work" -c "$work/nginx126.conf" \
			-e "$work/nginx126-error.log" -g 'daemon off;'
	else
		why_not[nginx126]="no nginx 1.26 tree (BENCH_NGINX126=${nginx126:-unset}; scripts/nginx126.sh unpacks it)"
	fi
	for s in $servers; do
		[ -n "${why_not[$s]:-}" ] && continue
		wait_for hs_listening "${port[$s]}" ||
			why_not[$s]="did not come up: $(tail -n 1 "$work/$s.log" "$work/$s-error.log" 2>/dev/null | grep -v '^==>' | tail -n 1)"
	done
}

# cpu_pids SERVER: the processes whose CPU is the server's.
cpu_pids() {
	case $1 in
	handoff) echo "${pid_of[handoff]} ${pid_of[ktlsd]}" ;;
	*) echo "${pid_of[$1]}" ;;
	esac
}

load() {	# load SERVER GROUP KIND CONNS SECONDS [LATENCIES]
	local extra=(--userspace --groups "$2")
	[ "$1" = handoff ] && extra+=(--expect-close)
	[ "$3" = resumed ] && extra+=(--resume)
	[ -n "${6:-}" ] && extra+=(--latencies "$6")
	"$bin/ktls-hs-load" --connect "127.0.0.1:${port[$1]}" --ca "$certs/ca.pem" \
		--conns "$4" --seconds "$5" "${extra[@]}"
}

# turn SERVER CERT GROUP KIND CONNS: one 1 s turn, its figures added to
# $work/sum-ID ("handshakes wall resumed errors server_ticks client_cpu").
turn() {
	local id=$1-$2-$3-$4-$5 before after line pids
	pids=$(cpu_pids "$1")
	# shellcheck disable=SC2086 # pids, one word each
	before=$(ticks $pids)
	line=$(load "$1" "$3" "$4" "$5" 1 "$work/lat-$id" 2> "$work/load-$id.log")
	# shellcheck disable=SC2086
	after=$(ticks $pids)
	if [ -z "$line" ]; then
		echo "0 0 0 1 $((after - before)) 0" >> "$work/sum-$id"
		[ -s "$work/err-$id" ] ||
			echo "load client failed: $(tail -n 1 "$work/load-$id.log")" > "$work/err-$id"
		return
	fi
	tr ' ' '\n' <<< "$line" | awk -F= -v t=$((after - before)) '{v[$1] = $2} END {
		print v["handshakes"], v["seconds"], v["resumed"], v["errors"], t, v["cpu_s"]
	}' >> "$work/sum-$id"
	[ -s "$work/err-$id" ] ||
		sed -n 's/^ktls-hs-load: //p' "$work/load-$id.log" | head -n 1 > "$work/err-$id"
}

# row SERVER CERT GROUP KIND CONNS: the turns summed up as one TSV row.
row() {
	local id=$1-$2-$3-$4-$5 n wall resumed errors ticks ccpu scpu p50 p99 note
	read -r n wall resumed errors ticks ccpu <<< "$(awk '{
		n += $1; w += $2; r += $3; e += $4; t += $5; c += $6
	} END {print n + 0, w + 0, r + 0, e + 0, t + 0, c + 0}' "$work/sum-$id")"
	scpu=$(awk -v t="$ticks" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')
	read -r p50 p99 <<< "$(hs_percentiles "$work/lat-$id")"
	note=$(cat "$work/err-$id" 2>/dev/null)
	if [ "$4" = resumed ] && [ "$n" != 0 ] && [ "$resumed" != "$n" ]; then
		note="only $resumed of $n resumed${note:+; $note}"
	fi
	awk -v OFS='\t' -v s="$1" -v c="$2" -v g="$3" -v k="$4" -v m="$5" \
		-v n="$n" -v w="$wall" -v sc="$scpu" -v cc="$ccpu" -v p50="$p50" \
		-v p99="$p99" -v r="$resumed" -v e="$errors" -v note="$note" 'BEGIN {
		print s, c, g, k, m, n, w, sc, cc, (sc > 0 ? sprintf("%.0f", n / sc) : 0),
			(w > 0 ? sprintf("%.0f", n / w) : 0),
			(n > 0 ? sprintf("%.1f", sc * 1e6 / n) : 0),
			(n > 0 ? sprintf("%.1f", cc * 1e6 / n) : 0), p50, p99, r, e, note
	}' >> "$tsv"
	say "$1 $2 $3 $4 x$5: $n handshakes, $(tail -n 1 "$tsv" | cut -f10) per server CPU-s, client CPU $ccpu s, p50 $p50 ms, p99 $p99 ms, errors $errors"
}

na() {	# na SERVER CERT GROUP KIND CONNS WHY
	printf '%s\t%s\t%s\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\n' "$@" >> "$tsv"
}

printf 'server\tcert\tgroup\tkind\tconns\thandshakes\twall_s\tserver_cpu_s\tclient_cpu_s\tper_server_cpu_s\tper_wall_s\tserver_us\tclient_us\tp50_ms\tp99_ms\tresumed\terrors\tnote\n' > "$tsv"
{
	printf 'key\tvalue\n'
	printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'kernel\t%s\n' "$(uname -r)"
	printf 'cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	printf 'cpus\t%s\n' "$(nproc)"
	printf 'turns\t%s\n' "$turns"
	printf 'concurrency\t%s\n' "$concurrency"
	printf 'load_before\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	[ -n "$nginx122" ] && printf 'nginx122\t%s\n' \
		"$(env ${nginx122_libs:+LD_LIBRARY_PATH="$nginx122_libs"} "$nginx122" -V 2>&1 |
			sed -n 's/^nginx version: //p; s/^built with //p' | paste -sd' ')"
	[ -n "$nginx126" ] && printf 'nginx126\t%s\n' \
		"$("$nginx126/lib/ld-linux-x86-64.so.2" --library-path "$nginx126/lib" \
			"$nginx126/sbin/nginx" -V 2>&1 |
			sed -n 's/^nginx version: //p; s/^built with //p' | paste -sd' ')"
} > "$out/native-meta.tsv"

for cert in $cert_list; do
	case $cert in
	ecdsa) crt=$certs/server.pem key=$certs/server.key ;;
	rsa) crt=$certs/server-rsa.pem key=$certs/server-rsa.key ;;
	esac
	start_servers "$crt" "$key"
	for group in X25519 X25519MLKEM768; do
		up=()
		for s in $servers; do
			if [ -n "${why_not[$s]:-}" ]; then
				continue
			fi
			# OpenSSL 3.0 has no ML-KEM: a client offering only the
			# hybrid would get a HelloRetryRequest it cannot answer.
			if [ "$s" = nginx122 ] && [ "$group" != X25519 ]; then
				continue
			fi
			up+=("$s")
		done
		for s in "${up[@]}"; do	# first connections out of the figures
			load "$s" "$group" full 4 0.3 > /dev/null 2>&1
			load "$s" "$group" resumed 4 0.3 > /dev/null 2>&1
		done
		for kind in full resumed; do
			for conns in $concurrency; do
				say "$cert $group $kind x$conns: ${up[*]} in turns, $turns x 1 s"
				for _ in $(seq "$turns"); do
					for s in "${up[@]}"; do
						turn "$s" "$cert" "$group" "$kind" "$conns"
					done
				done
				for s in "${up[@]}"; do
					row "$s" "$cert" "$group" "$kind" "$conns"
				done
			done
		done
		for s in $servers; do
			for kind in full resumed; do
				for conns in $concurrency; do
					if [ -n "${why_not[$s]:-}" ]; then
						na "$s" "$cert" "$group" "$kind" "$conns" "${why_not[$s]}"
					elif [ "$s" = nginx122 ] && [ "$group" != X25519 ]; then
						na "$s" "$cert" "$group" "$kind" "$conns" "OpenSSL 3.0 has no X25519MLKEM768"
					fi
				done
			done
		done
	done
	stop_all
	for s in inproc handoff; do
		[ -f "$work/$s.log" ] && say "$s server: $(tail -n 1 "$work/$s.log")"
	done
done
printf 'load_after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/native-meta.tsv"
say "wrote $tsv"
