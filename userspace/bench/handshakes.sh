#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, section "handshakes": full and resumed TLS 1.3 handshakes per
# second with p50/p99 latency, ECDSA P-256 and RSA-2048 certificates, one
# load client (ktls-hs-load) against four servers:
#   inproc   libktls in the server's process (ktls-hs-server), then kTLS
#   handoff  ktls-hs-server passes each socket to the real ktlsd
#   upcall   the kernel test consumer listens; the kernel's handshake upcall
#            asks ktlsd for a server handshake
#   nginx    Debian's nginx 1.22 with OpenSSL 3.0
#
#   handshakes.sh OUTDIR    writes OUTDIR/handshakes.tsv and
#                           handshakes-meta.tsv; progress on stderr
#
# Runs in the guest (kTLS, the tls module loaded) or natively on a kTLS
# host. Env: BENCH_SECONDS (5) per row, measured in 1 s turns taken by the
# four servers alternately, BENCH_QUICK=1 (1 s, 2 connections),
# BENCH_HS_CONNS (4) concurrent connections, BENCH_BIN (the programs),
# BENCH_CERTS (test PKI), KTLSD_KMOD_DIR (the consumer module),
# BENCH_NGINX (the nginx binary), BENCH_NGINX_LIBS (its libraries, natively).
# run.sh starts every section with sh (busybox ash in the guest).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -uo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

here=$(cd "$(dirname "$0")" && pwd)
. "$here/hs-lib.sh"
out=${1:?usage: handshakes.sh OUTDIR}
mkdir -p "$out"
tsv=$out/handshakes.tsv
bin=${BENCH_BIN:-${KTLSD_BIN:-$here/../../build/bin}}
certs=${BENCH_CERTS:-${KTLSD_TEST_CERTS:-$here/../../build/test-certs}}
kmod=${KTLSD_KMOD_DIR:-/ktlsd/kmod}
nginx=${BENCH_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
seconds=${BENCH_SECONDS:-5}
conns=${BENCH_HS_CONNS:-4}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	seconds=1 conns=2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-hs.XXXXXX")
port_inproc=9441 port_handoff=9442 port_nginx=9443 port_upcall=9500
pids=()

say() { echo "handshakes: $*" >&2; }
die() { say "$*"; exit 1; }

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	pids=()
}
trap 'cleanup; rm -rf "$work"' EXIT

for prog in ktls-hs-load ktls-hs-server ktlsd; do
	[ -x "$bin/$prog" ] || die "$bin/$prog is missing (run make; in the guest it comes with hs.guest)"
done
for f in server.pem server.key server-rsa.pem server-rsa.key ca.pem; do
	[ -f "$certs/$f" ] ||
		die "no $f in $certs (make builds the test PKI; set BENCH_CERTS)"
done

# wait_for WHAT CHECK...: up to 20 s (emulated CPUs start slowly).
wait_for() {
	local what=$1 _
	shift
	for _ in $(seq 200); do
		"$@" && return 0
		sleep 0.1
	done
	say "$what did not come up in 20 s"
	return 1
}

ready_file() { grep -q ready "$1" 2>/dev/null; }

start() {	# start LOG CMD...: in the background, pid in $last_pid
	local log=$1
	shift
	"$@" > "$log" 2>&1 &
	last_pid=$!
	pids+=("$last_pid")
}

stop_all() {
	cleanup
	sleep 0.2
}

# slice PATH CERT KIND TARGET [load options]: one turn of the load client
# (1 s); its counts are added to $work/sum-PATH-CERT-KIND, its latencies
# to lat-PATH-CERT-KIND, its first error kept in err-PATH-CERT-KIND.
slice() {
	local id=$1-$2-$3 target=$4 line log
	log=$work/load-$id.log
	line=$("$bin/ktls-hs-load" --connect "$target" --ca "$certs/ca.pem" \
		--conns "$conns" --seconds 1 --latencies "$work/lat-$id" \
		"${@:5}" 2> "$log")
	if [ -z "$line" ]; then
		echo "0 0 0 1" >> "$work/sum-$id"
		[ -s "$work/err-$id" ] ||
			echo "load client failed: $(tail -n 1 "$log")" > "$work/err-$id"
		return
	fi
	# (no process substitution: the guest has no /dev/fd)
	tr ' ' '\n' <<<"$line" | awk -F= '{v[$1] = $2} END {
		print v["handshakes"], v["seconds"], v["resumed"], v["errors"]
	}' >> "$work/sum-$id"
	[ -s "$work/err-$id" ] ||
		sed -n 's/^ktls-hs-load: //p' "$log" | head -n 1 > "$work/err-$id"
}

# row PATH CERT KIND: the sum of the turns as one TSV row.
row() {
	local id=$1-$2-$3 n s rate lo hi p50 p99 resumed errors note
	read -r n s resumed errors <<<"$(awk '{
		n += $1; s += $2; r += $3; e += $4
	} END {print n + 0, s + 0, r + 0, e + 0}' "$work/sum-$id" 2>/dev/null)"
	rate=$(awk -v n="$n" -v s="$s" 'BEGIN {printf "%.1f", (s > 0 ? n / s : 0)}')
	read -r lo hi <<<"$(awk '$2 > 0 {
		r = $1 / $2
		if (lo == "" || r < lo) lo = r
		if (r > hi) hi = r
	} END {printf "%.1f %.1f", lo, hi}' "$work/sum-$id" 2>/dev/null)"
	read -r p50 p99 <<<"$(hs_percentiles "$work/lat-$id")"
	note=$(cat "$work/err-$id" 2>/dev/null)
	if [ "$3" = resumed ] && [ "$n" != 0 ] && [ "$resumed" != "$n" ]; then
		note="only $resumed of $n resumed${note:+; $note}"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" \
		"$3" "$n" "$s" "$rate" "$p50" "$p99" "$resumed" "$errors" "$lo" \
		"$hi" "$note" >> "$tsv"
	say "$1 $2 $3: $n handshakes, $rate/s (turns $lo to $hi), p50 $p50 ms, p99 $p99 ms, errors $errors"
}

# warm_up TARGET [load options]: half a second unmeasured, so that first
# connections (contexts, page faults, caches) are not in the figures.
warm_up() {
	"$bin/ktls-hs-load" --connect "$1" --ca "$certs/ca.pem" \
		--conns "$conns" --seconds 0.5 "${@:2}" > /dev/null 2>&1
}

# na PATH CERT KIND WHY: a row that cannot be measured, saying why.
na() {
	printf '%s\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\n' "$@" >> "$tsv"
	say "$1 $2 $3: n/a: $4"
}

ktlsd_conf() {	# ktlsd_conf CERT KEY: handoff and upcall, tickets on
	cat <<-CONF
	[global]
	loglevel = warning
	handshake_timeout = 20s

	[handoff]
	path = $work/handoff.sock
	mode = 0600

	[server]
	certificate = $1
	private_key = $2
	min_version = 1.3
	session_tickets = yes

	[client]
	trust_store = $certs/ca.pem

	[upcall]
	enable = $3
	certificate = $1
	private_key = $2
	trust_store = $certs/ca.pem
	handshake_timeout = 20s
	CONF
}

# The kernel test consumer (and on 6.1 our handshake family): "" when
# loaded, else why not.
upcall_why=
load_consumer() {
	local m
	[ -e /proc/ktlsd_test_consumer ] && return
	if [ ! -f "$kmod/ktlsd_test_consumer.ko" ]; then
		upcall_why="no ktlsd_test_consumer.ko for this kernel in $kmod (kmod/ builds for 6.1 and 6.12; 7.x headers need trixie's toolchain)"
		return
	fi
	for m in ktlsd_handshake ktlsd_test_consumer; do
		[ -f "$kmod/$m.ko" ] || continue
		insmod "$kmod/$m.ko" 2>> "$work/insmod.log" ||
			grep -q "^$m " /proc/modules || {
			upcall_why="insmod $m.ko failed: $(tail -n 1 "$work/insmod.log")"
			return
		}
	done
}

nginx_why=
# nginx looks its user up: a bare guest has no /etc/passwd.
nginx_users() {
	[ "$(id -u)" = 0 ] || return 0
	mkdir -p /etc
	grep -q '^root:' /etc/passwd 2>/dev/null ||
		echo 'root:x:0:0:root:/root:/bin/sh' >> /etc/passwd
	grep -q '^root:' /etc/group 2>/dev/null ||
		echo 'root:x:0:' >> /etc/group
}

# turn_min, turn_max: the slowest and fastest 1 s turn, handshakes/s (the
# noise of a shared, emulated CPU, shown rather than hidden).
printf 'path\tcert\tkind\thandshakes\tseconds\trate\tp50_ms\tp99_ms\tresumed\terrors\tturn_min\tturn_max\tnote\n' > "$tsv"
load_consumer
[ -x "$nginx" ] || nginx_why="no nginx binary at $nginx (make bench unpacks Debian's; set NGINX)"
[ -z "$nginx_why" ] && nginx_users
printf 'key\tvalue\nseconds\t%s\nconnections\t%s\n' "$seconds" "$conns" \
	> "$out/handshakes-meta.tsv"

# All four servers run side by side; the load client takes them in turns,
# one second each, so that a slower moment of the (shared, emulated) CPUs
# falls on every path alike rather than on one row.
for cert in ecdsa rsa; do
	case $cert in
	ecdsa) crt=$certs/server.pem key=$certs/server.key ;;
	rsa) crt=$certs/server-rsa.pem key=$certs/server-rsa.key ;;
	esac
	paths=()	# "PATH TARGET [load options]" of the servers that came up
	why=()		# PATH WHY for those that did not

	# (3) in-process WolfSSL
	start "$work/inproc.log" "$bin/ktls-hs-server" \
		--listen "127.0.0.1:$port_inproc" --cert "$crt" --key "$key" \
		--threads "$conns"
	if wait_for "ktls-hs-server" ready_file "$work/inproc.log"; then
		paths+=("inproc 127.0.0.1:$port_inproc")
	else
		why+=("inproc server did not start: $(tail -n 1 "$work/inproc.log")")
	fi

	# (1) ktlsd's handoff and (2) the kernel upcall: one ktlsd
	upcall_enable=yes
	[ -n "$upcall_why" ] && upcall_enable=no
	ktlsd_conf "$crt" "$key" $upcall_enable > "$work/ktlsd.conf"
	start "$work/ktlsd.log" "$bin/ktlsd" -f -c "$work/ktlsd.conf"
	if wait_for ktlsd test -S "$work/handoff.sock"; then
		start "$work/handoff.log" "$bin/ktls-hs-server" \
			--listen "127.0.0.1:$port_handoff" \
			--handoff "$work/handoff.sock" --threads "$conns"
		if wait_for "ktls-hs-server" ready_file "$work/handoff.log"; then
			paths+=("handoff 127.0.0.1:$port_handoff")
		else
			why+=("handoff server did not start: $(tail -n 1 "$work/handoff.log")")
		fi
		if [ -z "$upcall_why" ]; then
			start "$work/upcall.log" "$bin/ktls-hs-server" \
				--upcall "127.0.0.1:$port_upcall" --threads "$conns"
			paths+=("upcall 127.0.0.1:$port_upcall --ports $conns")
		else
			why+=("upcall $upcall_why")
		fi
	else
		why+=("handoff ktlsd did not start: $(tail -n 1 "$work/ktlsd.log")")
		why+=("upcall ktlsd did not start")
	fi

	# (4) nginx with OpenSSL
	if [ -z "$nginx_why" ]; then
		hs_nginx_conf nginx "$port_nginx" "$crt" "$key" "$work" > "$work/nginx.conf"
		# Natively, nginx's libssl3 comes from the cache tree.
		start "$work/nginx.log" env ${BENCH_NGINX_LIBS:+LD_LIBRARY_PATH="$BENCH_NGINX_LIBS"} \
			"$nginx" -p "$work" -c "$work/nginx.conf" \
			-e "$work/nginx-error.log" -g 'daemon off;'
		if wait_for nginx hs_listening "$port_nginx"; then
			paths+=("nginx 127.0.0.1:$port_nginx")
		else
			why+=("nginx did not start: $(tail -n 1 "$work/nginx-error.log" "$work/nginx.log" 2>/dev/null | tail -n 1)")
		fi
	else
		why+=("nginx $nginx_why")
	fi

	for p in "${paths[@]}"; do
		# shellcheck disable=SC2086 # PATH TARGET [options], split on purpose
		set -- $p
		say "$cert: warming up $1"
		warm_up "${@:2}"
		[ "$1" = upcall ] || warm_up "${@:2}" --resume
	done
	for kind in full resumed; do
		say "$cert $kind: ${#paths[@]} servers in turns, ${seconds} x 1 s each, $conns connections"
		for _ in $(seq "$seconds"); do
			for p in "${paths[@]}"; do
				# shellcheck disable=SC2086 # split on purpose
				set -- $p
				case $kind/$1 in
				resumed/upcall) ;;
				full/*) slice "$1" "$cert" full "${@:2}" ;;
				resumed/*) slice "$1" "$cert" resumed "${@:2}" --resume ;;
				esac
			done
		done
	done
	for p in "${paths[@]}"; do
		# shellcheck disable=SC2086 # split on purpose
		set -- $p
		row "$1" "$cert" full
		if [ "$1" = upcall ]; then
			na upcall "$cert" resumed "the kernel's handshake API has no session resumption: every upcall is a full handshake (tlshd and ktlsd alike)"
		else
			row "$1" "$cert" resumed
		fi
	done
	for w in "${why[@]}"; do
		na "${w%% *}" "$cert" full "${w#* }"
		na "${w%% *}" "$cert" resumed "${w#* }"
	done
	stop_all
	for f in inproc handoff upcall; do
		[ -f "$work/$f.log" ] && say "$f server: $(tail -n 1 "$work/$f.log")"
	done
	grep -v '^$' "$work/ktlsd.log" | tail -n 3 | sed 's/^/  ktlsd: /' >&2
done
say "wrote $tsv"
