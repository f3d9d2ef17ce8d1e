#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Interop with peers we did not write, run in the VM (busybox sh) as the test
# ktls_interop. Our end is ktls_interop_peer (libktls handshake, then kernel
# TLS TX and RX); the other end is
#   our server  <- openssl s_client, gnutls-cli, curl (HTTP POST)
#   our client  -> openssl s_server, gnutls-serv --echo
# for every version x suite both sides support, and post-quantum rows with
# Debian 13's OpenSSL 3.5 (unpacked in /opt/openssl35, run through its own
# loader: scripts/openssl35.sh)
#   our server  <- openssl 3.5 s_client     our client -> openssl 3.5 s_server
# with X25519MLKEM768 and SecP256r1MLKEM768, and a HelloRetryRequest each
# way (a client that sends only an X25519 share, a server that wants the
# hybrid), checking the group and the handshake's round trips. Each row
# moves $BYTES each
# way over 127.0.0.1, compares SHA-256 of what each side received with what
# the other sent, checks the negotiated version and suite, and checks that
# /proc/net/tls_stat's TlsTxSw and TlsRxSw rose (our socket went through
# kernel TLS). Prints KTAP: one "ok N name" / "not ok N name" per row, "# "
# diagnostics, and a "# Totals:" line; exits 0 only if no row failed.
#
# gnutls-cli writes what it receives to stdout one byte per write(2), 14 s
# for 4 MiB under TCG: its rows move $CLI_BYTES (256 KiB, still 16 full
# records each way) instead.
#
# Environment: KTLSD_TEST_CERTS (the test PKI), KTLS_INTEROP_BYTES (default
# 4 MiB), KTLS_INTEROP_TIMEOUT (seconds per process, default 60),
# KTLS_INTEROP_ONLY (run only rows whose name contains this string).
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

here=$(cd "$(dirname "$0")" && pwd)
ours=$here/ktls_interop_peer
certs=${KTLSD_TEST_CERTS:-/ktlsd/test-certs}
BYTES=${KTLS_INTEROP_BYTES:-4194304}
CLI_BYTES=$((BYTES < 262144 ? BYTES : 262144))
T=${KTLS_INTEROP_TIMEOUT:-60}
ONLY=${KTLS_INTEROP_ONLY:-}
work=${TMPDIR:-/tmp}/ktls_interop
input_full=$work/peer-input.bin
input_cli=$work/peer-input-cli.bin
port=20000

# version suite certificate, one per line.
SUITES="1.3 TLS_AES_128_GCM_SHA256 server
1.3 TLS_AES_256_GCM_SHA384 server
1.3 TLS_CHACHA20_POLY1305_SHA256 server
1.3 TLS_AES_128_CCM_SHA256 server
1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 server
1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 server
1.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 server
1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 server-rsa
1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 server-rsa
1.2 TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 server-rsa"

# OpenSSL 3.5 rows: tool version suite certificate, the group and round
# trips our end must report, the peer's -groups and our --groups ("-": the
# default). OpenSSL 3.5 sends a key share for the first group of -groups
# only, so X25519:X25519MLKEM768 offers the hybrid without its share.
PQ_ROWS="s_client35 1.3 TLS_AES_128_GCM_SHA256 server X25519MLKEM768 1 - -
s_client35 1.3 TLS_AES_256_GCM_SHA384 server SecP256r1MLKEM768 1 SecP256r1MLKEM768 -
s_client35 1.3 TLS_AES_128_GCM_SHA256 server X25519MLKEM768 2 X25519:X25519MLKEM768 -
s_server35 1.3 TLS_AES_128_GCM_SHA256 server X25519MLKEM768 1 - -
s_server35 1.3 TLS_AES_256_GCM_SHA384 server SecP256r1MLKEM768 1 SecP256r1MLKEM768:X25519MLKEM768 SecP256r1MLKEM768
s_server35 1.3 TLS_CHACHA20_POLY1305_SHA256 server X25519MLKEM768 2 X25519MLKEM768 X25519:X25519MLKEM768"
OSSL35_DIR=/opt/openssl35
# Its libc is trixie's, newer than the guest's: its own loader runs it.
OSSL35="$OSSL35_DIR/lib/ld-linux-x86-64.so.2 --library-path $OSSL35_DIR/lib $OSSL35_DIR/bin/openssl"

# Every peer supports every suite above (OpenSSL 3.0, GnuTLS 3.7, curl 7.88
# on OpenSSL); a suite a peer lacked would be left out here.
PEERS="s_client gnutls-cli curl s_server gnutls-serv"

# OpenSSL's name of a TLS 1.2 suite (TLS 1.3 names are the IANA ones).
ossl_name() {
	case $1 in
	TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) echo ECDHE-ECDSA-AES128-GCM-SHA256 ;;
	TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384) echo ECDHE-ECDSA-AES256-GCM-SHA384 ;;
	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256) echo ECDHE-ECDSA-CHACHA20-POLY1305 ;;
	TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) echo ECDHE-RSA-AES128-GCM-SHA256 ;;
	TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) echo ECDHE-RSA-AES256-GCM-SHA384 ;;
	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256) echo ECDHE-RSA-CHACHA20-POLY1305 ;;
	*) echo "$1" ;;
	esac
}

# A GnuTLS priority string allowing exactly one version and suite.
gnutls_priority() {
	local v=$1 suite=$2 cipher kx=

	case $suite in
	*AES_128_GCM*) cipher=AES-128-GCM ;;
	*AES_256_GCM*) cipher=AES-256-GCM ;;
	*CHACHA20_POLY1305*) cipher=CHACHA20-POLY1305 ;;
	*AES_128_CCM*) cipher=AES-128-CCM ;;
	esac
	case $suite in
	*_ECDHE_ECDSA_*) kx=:-KX-ALL:+ECDHE-ECDSA ;;
	*_ECDHE_RSA_*) kx=:-KX-ALL:+ECDHE-RSA ;;
	esac
	echo "NORMAL:-VERS-ALL:+VERS-TLS$v:-CIPHER-ALL:+$cipher$kx"
}

# OpenSSL s_client/s_server flags for one version and suite.
ossl_flags() {
	if [ "$1" = 1.3 ]; then
		echo "-tls1_3 -ciphersuites $2"
	else
		echo "-tls1_2 -cipher $(ossl_name "$2")"
	fi
}

curl_flags() {
	if [ "$1" = 1.3 ]; then
		echo "--tlsv1.3 --tls-max 1.3 --tls13-ciphers $2"
	else
		echo "--tlsv1.2 --tls-max 1.2 --ciphers $(ossl_name "$2")"
	fi
}

tls_stat() {
	awk -v n="$1" '$1 == n {print $2; found = 1} END {if (!found) print -1}' \
		/proc/net/tls_stat 2>/dev/null || echo -1
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# field NAME FILE: the value of our end's "NAME value" output line.
field() { awk -v n="$1" '$1 == n {print $2; exit}' "$2"; }

# Wait until our server prints "listening" (or dies).
wait_listening() {
	local i=0

	while [ $i -lt 200 ]; do
		grep -q '^listening' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# The last lines of a log as diagnostics.
diag_file() {
	[ -s "$2" ] || return 0
	tail -n "${3:-8}" "$2" | tr -c '[:print:]\n' '?' | sed "s/^/# $1: /"
}

fail() { echo "# $name: $*"; failed=1; }

# The OpenSSL a tool name means: Debian 12's 3.0, or 3.5 (…35).
ossl() {
	case $1 in
	*35) echo "$OSSL35" ;;
	*) echo openssl ;;
	esac
}

# The row's -groups for the peer and --groups for our end ("-": none).
peer_groups() { [ "$peer_g" = - ] || echo "-groups $peer_g"; }
our_groups() { [ "$our_g" = - ] || echo "--groups $our_g"; }

# Run our end as the server, the peer tool as its client.
run_ours_server() {
	local tool=$1 v=$2 suite=$3 cert=$4 mode=stream opid

	[ "$tool" = curl ] && mode=http
	# shellcheck disable=SC2046
	timeout -s KILL "$T" "$ours" --server "$port" --version "$v" \
		--cipher "$suite" $(our_groups) --cert "$certs/$cert.pem" \
		--key "$certs/$cert.key" --mode "$mode" --bytes "$bytes" \
		--timeout "$T" > "$d/ours.out" 2> "$d/ours.err" &
	opid=$!
	if ! wait_listening "$d/ours.out" "$opid"; then
		fail "our server did not start listening"
		kill -9 "$opid" 2>/dev/null
		wait "$opid"
		ours_rc=$?
		peer_rc=-
		return
	fi
	case $tool in
	s_client | s_client35)
		# shellcheck disable=SC2046 # word splitting of the flags
		timeout -s KILL "$T" $(ossl "$tool") s_client \
			-connect "127.0.0.1:$port" -quiet \
			-CAfile "$certs/ca.pem" -verify_return_error \
			-verify_ip 127.0.0.1 $(ossl_flags "$v" "$suite") \
			$(peer_groups) \
			< "$input" > "$d/peer.out" 2> "$d/peer.err"
		;;
	gnutls-cli)
		timeout -s KILL "$T" gnutls-cli -p "$port" \
			--x509cafile="$certs/ca.pem" \
			--priority="$(gnutls_priority "$v" "$suite")" \
			--logfile="$d/peer.log" 127.0.0.1 \
			< "$input" > "$d/peer.out" 2> "$d/peer.err"
		;;
	curl)
		# shellcheck disable=SC2046
		timeout -s KILL "$T" curl -sS --fail --http1.1 \
			--max-time "$T" --cacert "$certs/ca.pem" \
			$(curl_flags "$v" "$suite") \
			-H 'Content-Type: application/octet-stream' \
			--data-binary "@$input" -o "$d/peer.out" \
			"https://127.0.0.1:$port/" > "$d/peer.log" 2> "$d/peer.err"
		;;
	esac
	peer_rc=$?
	wait "$opid"
	ours_rc=$?
}

# Run our end as the client of the peer tool's server.
run_ours_client() {
	local tool=$1 v=$2 suite=$3 cert=$4 payload=binary ppid fpid=

	case $tool in
	s_server | s_server35)
		# s_server sends its stdin and ends the connection when stdin
		# ends: keep it open (a FIFO fed by cat, then sleep) until our
		# close_notify ends the connection.
		mkfifo "$d/peer.in"
		# shellcheck disable=SC2046
		timeout -s KILL "$T" $(ossl "$tool") s_server \
			-accept "127.0.0.1:$port" -naccept 1 -quiet \
			-cert "$certs/$cert.pem" -key "$certs/$cert.key" \
			$(ossl_flags "$v" "$suite") $(peer_groups) \
			< "$d/peer.in" > "$d/peer.out" 2> "$d/peer.err" &
		ppid=$!
		(cat "$input"; exec sleep "$T") > "$d/peer.in" &
		fpid=$!
		;;
	gnutls-serv)
		# The echo server is line based and stops at NUL bytes: our
		# end sends lines of hex digits and expects them back.
		payload=text
		timeout -s KILL "$T" gnutls-serv --echo --crlf -q -p "$port" \
			--priority="$(gnutls_priority "$v" "$suite")" \
			--x509certfile="$certs/$cert.pem" \
			--x509keyfile="$certs/$cert.key" \
			> /dev/null 2> "$d/peer.err" &
		ppid=$!
		;;
	esac
	# shellcheck disable=SC2046
	timeout -s KILL "$T" "$ours" --client "127.0.0.1:$port" --version "$v" \
		--cipher "$suite" $(our_groups) --ca "$certs/ca.pem" \
		--server-name localhost \
		--payload "$payload" --bytes "$bytes" --timeout "$T" \
		> "$d/ours.out" 2> "$d/ours.err"
	ours_rc=$?
	if [ "$tool" = gnutls-serv ]; then
		# It serves forever; it has done its part once we are done.
		kill "$ppid" 2>/dev/null
		wait "$ppid"
		peer_rc=0
	else
		wait "$ppid"
		peer_rc=$?
	fi
	if [ -n "$fpid" ]; then
		kill "$fpid" 2>/dev/null
		wait "$fpid" 2>/dev/null
	fi
}

# check_row TOOL VERSION SUITE: compare what each side sent and received.
check_row() {
	local tool=$1 v=$2 suite=$3 got want sent received

	[ "$ours_rc" = 0 ] || fail "our end exited with $ours_rc"
	[ "$peer_rc" = 0 ] || fail "$tool exited with $peer_rc"
	got=$(field version "$d/ours.out")
	[ "$got" = "TLSv$v" ] || fail "negotiated version ${got:-none}, want TLSv$v"
	got=$(field cipher "$d/ours.out")
	[ "$got" = "$suite" ] || fail "negotiated suite ${got:-none}, want $suite"
	if [ "$want_group" != - ]; then
		got=$(field group "$d/ours.out")
		[ "$got" = "$want_group" ] ||
			fail "negotiated group ${got:-none}, want $want_group"
		got=$(field round-trips "$d/ours.out")
		[ "$got" = "$want_rtt" ] ||
			fail "handshake took ${got:-?} round trips, want $want_rtt"
	fi
	grep -q '^ktls tx rx$' "$d/ours.out" ||
		fail "our end did not report kernel TLS on TX and RX"
	sent=$(field sent-sha256 "$d/ours.out")
	received=$(field received-sha256 "$d/ours.out")
	[ "$(field sent-bytes "$d/ours.out")" = "$bytes" ] ||
		fail "our end sent $(field sent-bytes "$d/ours.out") bytes, want $bytes"
	[ "$(field received-bytes "$d/ours.out")" = "$bytes" ] ||
		fail "our end received $(field received-bytes "$d/ours.out") bytes, want $bytes"
	if [ "$tool" = gnutls-serv ]; then
		# Echo: what came back is what we sent.
		if [ -z "$sent" ] || [ "$received" != "$sent" ]; then
			fail "echo mismatch: sent $sent, received back $received"
		fi
	else
		[ "$received" = "$input_sha" ] ||
			fail "we received sha256 ${received:-none}, $tool sent $input_sha"
		if [ -f "$d/peer.out" ]; then
			got=$(sha256 "$d/peer.out")
			want=$(wc -c < "$d/peer.out")
		else
			got=none want=0
		fi
		[ "$got" = "$sent" ] ||
			fail "$tool received $want bytes, sha256 $got; we sent ${sent:-none}"
	fi
}

# run_row TOOL VERSION SUITE CERT [GROUP ROUND_TRIPS PEER_GROUPS OUR_GROUPS]
run_row() {
	local tool=$1 v=$2 suite=$3 cert=$4 t0 t1 tx0 rx0 de0 tx rx de

	want_group=${5:--} want_rtt=${6:--} peer_g=${7:--} our_g=${8:--}
	n=$((n + 1))
	name=$(row_name "$@")
	failed=0
	port=$((port + 1))
	d=$work/row$n
	if [ "$tool" = gnutls-cli ]; then
		bytes=$CLI_BYTES input=$input_cli input_sha=$input_cli_sha
	else
		bytes=$BYTES input=$input_full input_sha=$input_full_sha
	fi
	rm -rf "$d"
	mkdir -p "$d"
	t0=$(uptime_s)
	tx0=$(tls_stat TlsTxSw)
	rx0=$(tls_stat TlsRxSw)
	de0=$(tls_stat TlsDecryptError)
	case $tool in
	s_client | s_client35 | gnutls-cli | curl) run_ours_server "$tool" "$v" "$suite" "$cert" ;;
	*) run_ours_client "$tool" "$v" "$suite" "$cert" ;;
	esac
	tx=$(($(tls_stat TlsTxSw) - tx0))
	rx=$(($(tls_stat TlsRxSw) - rx0))
	de=$(($(tls_stat TlsDecryptError) - de0))
	t1=$(uptime_s)
	if [ "$failed" = 0 ]; then
		check_row "$tool" "$v" "$suite"
	fi
	[ "$tx0" -ge 0 ] || fail "/proc/net/tls_stat has no TlsTxSw: kernel TLS absent"
	if [ "$tx" -lt 1 ] || [ "$rx" -lt 1 ]; then
		fail "tls_stat TlsTxSw +$tx TlsRxSw +$rx: kernel TLS did not carry it"
	fi
	[ "$de" -le 0 ] || fail "tls_stat TlsDecryptError +$de"
	if [ "$failed" = 0 ]; then
		echo "ok $n $name"
		pass=$((pass + 1))
	else
		diag_file ours "$d/ours.err"
		diag_file "$tool" "$d/peer.err"
		diag_file "$tool log" "$d/peer.log" 4
		echo "not ok $n $name"
		fail_count=$((fail_count + 1))
	fi
	awk -v a="$t0" -v b="$t1" -v n="$name" -v tx="$tx" -v rx="$rx" \
		-v pc="$(field peer-close "$d/ours.out")" \
		'BEGIN {printf "# %s: %.2f s, TlsTxSw +%d TlsRxSw +%d, peer close: %s\n",
			n, b - a, tx, rx, pc == "" ? "-" : pc}'
	rm -rf "$d"
}

# A row's name: TOOL/TLSvV/SUITE, then the group (and /hrr for 2 round
# trips) for the OpenSSL 3.5 rows.
row_name() {
	local hrr=

	[ "${6:--}" = 2 ] && hrr=/hrr
	if [ "${5:--}" = - ]; then
		echo "$1/TLSv$2/$3"
	else
		echo "$1/TLSv$2/$3/$5$hrr"
	fi
}

rows() {
	local tool

	for tool in $PEERS; do
		echo "$SUITES" | while read -r v suite cert; do
			case "$tool/TLSv$v/$suite" in
			*"$ONLY"*) echo "$tool $v $suite $cert" ;;
			esac
		done
	done
	echo "$PQ_ROWS" | while read -r row; do
		# shellcheck disable=SC2086 # the row's fields
		case $(row_name $row) in
		*"$ONLY"*) echo "$row" ;;
		esac
	done
}

echo "TAP version 13"
plan=$(rows)
total=$(echo "$plan" | grep -c .)
echo "1..$total"
echo "# $BYTES bytes each way per row ($CLI_BYTES with gnutls-cli);" \
	"our end: libktls + kernel TLS"
# version: the first line a tool prints about its version.
version() { timeout -s KILL 10 "$@" 2>&1 | head -n 1; }
# shellcheck disable=SC2086
echo "# peers: $(version openssl version); $(version $OSSL35 version);" \
	"$(version gnutls-cli --version); $(version curl --version | cut -d' ' -f1-2,4)"

rm -rf "$work"
mkdir -p "$work"
head -c "$BYTES" /dev/urandom > "$input_full"
input_full_sha=$(sha256 "$input_full")
head -c "$CLI_BYTES" "$input_full" > "$input_cli"
input_cli_sha=$(sha256 "$input_cli")

n=0 pass=0 fail_count=0
start=$(uptime_s)
# The plan goes through a file: a pipe would run the loop in a subshell.
echo "$plan" > "$work/plan"
while read -r tool v suite cert group rtt peer_g our_g; do
	[ -n "$tool" ] && run_row "$tool" "$v" "$suite" "$cert" "${group:--}" \
		"${rtt:--}" "${peer_g:--}" "${our_g:--}" < /dev/null
done < "$work/plan"
rm -rf "$work"
awk -v a="$start" -v b="$(uptime_s)" 'BEGIN {printf "# all rows: %.1f s\n", b - a}'
echo "# Totals: pass:$pass fail:$fail_count xfail:0 xpass:0 skip:0 error:0"
[ "$fail_count" -eq 0 ]
