#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ktls-serve against clients we did not write (curl, openssl s_client),
# installed twice:
#   ktls_serve           in the VM with the tls module: the server must run
#                        in kernel TLS, and /proc/net/tls_stat TlsTxSw rises
#   ktls_serve_fallback  natively and in the VM before tls loads: the server
#                        must say it runs userspace TLS, and still serve
# Files of 0 B, 1 B, 16383, 16384, 16385 B, 1 MiB and 64 MiB and byte ranges
# are fetched and SHA-256 compared with the file; 200 concurrent clients
# fetch 1 MiB each; a malformed request gets 400 and the server carries on;
# a client trickling its request is cut off while another is served; a
# client leaving mid-body leaves no descriptor behind. Clients that ask
# for small records (openssl s_client -maxfraglen, gnutls-cli
# --recordsize: RFC 6066 max_fragment_length, RFC 8449 record_size_limit)
# get no acknowledgment, so 2^14-byte kernel records are theirs to take:
# 100 KiB intact, TLS 1.2 and 1.3. --tls userspace (with kTLS) and --tls
# kernel (without) do what they say. With kTLS: handshakes by ktlsd,
# --user nobody and --body splice under the seccomp filter, no key in
# ktls-serve, small-record clients through ktlsd too. Prints KTAP.
#
# Environment: KTLSD_TEST_CERTS (test PKI), KTLSD_BIN (where ktls-serve is).
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

here=$(cd "$(dirname "$0")" && pwd)
. "$here/serve-port.sh"
bin=${KTLSD_BIN:-$here/../bin}
serve=$bin/ktls-serve
certs=${KTLSD_TEST_CERTS:-$here/../test-certs}
work=$(mktemp -d "${TMPDIR:-/tmp}/ktls_serve.XXXXXX")
root=$work/root
log=$work/serve.log
T=120

case $(basename "$0") in
*fallback) expect=userspace ;;
*) expect=ktls ;;
esac

n=0 pass=0 fails=0 spid=
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)); fails=$((fails + 1))
	echo "not ok $n $1"
	shift
	for line in "$@"; do echo "# $line"; done
}
check() {	# check NAME CONDITION-RESULT [diagnostics...]
	name=$1 res=$2
	shift 2
	if [ "$res" = 0 ]; then ok "$name"; else not_ok "$name" "$@"; fi
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
tls_stat() {
	awk -v n="$1" '$1 == n {print $2; f = 1} END {if (!f) print -1}' \
		/proc/net/tls_stat 2>/dev/null || echo -1
}

cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
if [ $expect = ktls ]; then echo "1..44"; else echo "1..38"; fi

mkdir -p "$root"
: > "$root/empty"
for size in 1 16383 16384 16385 102400 1048576 67108864; do
	head -c "$size" /dev/urandom > "$root/f$size"
done

"$serve" --root "$root" --listen 127.0.0.1:0 --workers 2 \
	--cert "$certs/server.pem" --key "$certs/server.key" \
	--request-timeout 2 --idle-timeout 60 --handshake-timeout 60 \
	> "$log" 2>&1 &
spid=$!
port=$(serve_port "$log" "$spid")
if [ -z "$port" ]; then
	not_ok "server starts" "$(cat "$log")"
	echo "# Totals: pass:$pass fail:$fails xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi
ok "server starts"
url=https://127.0.0.1:$port
mode=$(sed -n 's/^ktls-serve: mode: //p' "$log")
echo "# mode: $mode"
if [ $expect = ktls ]; then
	[ "$mode" = "kTLS (sendfile)" ]
else
	case $mode in
	"userspace TLS (WolfSSL, "*"): this kernel has no kernel TLS (modprobe tls)") true ;;
	*) false ;;
	esac
fi
check "start-up line says $expect" $? "mode line: $mode"

tx0=$(tls_stat TlsTxSw)
fetch() {	# fetch NAME FILE [curl args]: SHA-256 of the body vs the file
	local name=$1 file=$2
	shift 2
	timeout -s KILL $T curl -sS --fail --cacert "$certs/ca.pem" \
		-o "$work/got" "$@" "$url/$(basename "$file")" 2> "$work/err"
	rc=$?
	[ $rc = 0 ] && [ "$(sha "$work/got")" = "$(sha "$file")" ]
	check "$name" $? "curl exit $rc: $(tail -n 2 "$work/err")" \
		"got $(wc -c < "$work/got" 2>/dev/null) bytes"
	rm -f "$work/got"
}
for f in empty f1 f16383 f16384 f16385 f1048576 f67108864; do
	fetch "curl $f" "$root/$f"
done

# s_client: the raw response; the body is its last Content-Length bytes.
sclient() {	# sclient NAME FILE
	local name=$1 file=$2 size total
	size=$(wc -c < "$file")
	printf 'GET /%s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' \
		"$(basename "$file")" |
		timeout -s KILL $T openssl s_client -quiet -connect "127.0.0.1:$port" \
			-CAfile "$certs/ca.pem" -verify_return_error \
			> "$work/raw" 2> "$work/err"
	total=$(wc -c < "$work/raw")
	tail -c "$size" "$work/raw" > "$work/got"
	head -n 1 "$work/raw" | grep -q '^HTTP/1.1 200 ' &&
		[ "$(head -c $((total - size)) "$work/raw" | tail -c 4 | od -An -tx1 | tr -d ' \n')" = 0d0a0d0a ] &&
		[ "$(sha "$work/got")" = "$(sha "$file")" ]
	check "$name" $? "$(head -n 1 "$work/raw")" "$(tail -n 2 "$work/err")"
	rm -f "$work/raw" "$work/got"
}
for f in empty f1 f16383 f16384 f16385 f1048576 f67108864; do
	sclient "s_client $f" "$root/$f"
done

# A client that asks for records of at most 512 (or 1000) bytes. WolfSSL
# is built without max_fragment_length and has no record_size_limit, so
# neither is acknowledged (in TLS 1.3's EncryptedExtensions, TLS 1.2's
# ServerHello) and the peer must take 2^14-byte records (RFC 6066 §4, RFC
# 8449 §4); it would abort on one if we had agreed. Both peers enforce
# what was agreed. With kTLS the response must go through the kernel.
get_f102400() {
	printf 'GET /f102400 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
}
small_records() {	# small_records NAME PORT TOOL VERSION SIZE
	local name=$1 port=$2 tool=$3 v=$4 size=$5 file=$root/f102400 tx0 acked
	tx0=$(tls_stat TlsTxSw)
	if [ "$tool" = s_client ]; then
		# Its extension debug needs its chatty mode: a connection of
		# its own, then the body with -quiet.
		timeout -s KILL $T openssl s_client -tls"$v" -maxfraglen "$size" \
			-tlsextdebug -connect "127.0.0.1:$port" \
			-CAfile "$certs/ca.pem" -verify_return_error \
			< /dev/null > "$work/ext" 2>&1
		grep 'TLS server extension' "$work/ext" > "$work/acked"
		get_f102400 |
			timeout -s KILL $T openssl s_client -tls"$v" \
				-maxfraglen "$size" -quiet \
				-connect "127.0.0.1:$port" -CAfile "$certs/ca.pem" \
				-verify_return_error > "$work/raw" 2> "$work/err"
		rc=$?
		acked=$(grep -c '"max fragment length"' "$work/acked")
		# The debug output is there: the check below can see one.
		grep -Eq '"(supported versions|renegotiation info)"' "$work/acked" ||
			acked="no extension debug output"
	else
		get_f102400 |
			timeout -s KILL $T gnutls-cli -d 4 -p "$port" \
				--priority="NORMAL:-VERS-ALL:+VERS-TLS$v" \
				--recordsize="$size" --x509cafile="$certs/ca.pem" \
				--logfile="$work/glog" 127.0.0.1 \
				> "$work/raw" 2> "$work/err"
		rc=$?
		# -d 4 logs each extension of the server's it parses.
		grep -E "Parsing extension '(Maximum Record Size|Record Size Limit)" \
			"$work/err" > "$work/acked"
		acked=$(wc -l < "$work/acked")
		grep -q 'Sending extension Record Size Limit' "$work/err" &&
			{ [ "$size" != 512 ] ||
			grep -q 'Sending extension Maximum Record Size' "$work/err"; } ||
			acked="gnutls-cli did not ask for the limit"
	fi
	tail -c 102400 "$work/raw" > "$work/got"
	[ "$acked" = 0 ] && head -n 1 "$work/raw" | grep -q '^HTTP/1.1 200 ' &&
		[ "$(sha "$work/got")" = "$(sha "$file")" ] &&
		{ [ $expect != ktls ] || [ "$(tls_stat TlsTxSw)" -gt "$tx0" ]; }
	check "$name" $? "$tool exit $rc, acknowledged: $acked" \
		"$(tr '\n' ' ' < "$work/acked")" "$(head -n 1 "$work/raw")" \
		"$(tail -n 2 "$work/err" | tr '\n' ' ')" \
		"TlsTxSw $tx0 -> $(tls_stat TlsTxSw)"
	rm -f "$work/raw" "$work/got" "$work/ext" "$work/acked" "$work/glog"
}
for v in 1.3 1.2; do
	small_records "s_client -maxfraglen 512, TLS $v: not acknowledged, 100 KiB intact" \
		"$port" s_client "$(echo $v | tr . _)" 512
	small_records "gnutls-cli --recordsize=512 (both extensions), TLS $v: neither acknowledged, 100 KiB intact" \
		"$port" gnutls-cli "$v" 512
	small_records "gnutls-cli --recordsize=1000 (record_size_limit), TLS $v: not acknowledged, 100 KiB intact" \
		"$port" gnutls-cli "$v" 1000
done

# Ranges: the bytes the file has there.
range() {	# range FILE FIRST LAST(or empty)
	local file=$root/$1 first=$2 last=$3 count
	if [ -n "$last" ]; then
		count=$((last - first + 1))
	else
		count=$(($(wc -c < "$file") - first))
	fi
	tail -c +$((first + 1)) "$file" | head -c "$count" > "$work/want"
	timeout -s KILL $T curl -sS --fail --cacert "$certs/ca.pem" \
		-r "$first-$last" -o "$work/got" -w '%{http_code}' \
		"$url/$1" > "$work/code" 2> "$work/err"
	[ "$(cat "$work/code")" = 206 ] &&
		[ "$(sha "$work/got")" = "$(sha "$work/want")" ]
	check "range $1 $first-$last" $? "status $(cat "$work/code")" \
		"$(tail -n 2 "$work/err")"
	rm -f "$work/got" "$work/want"
}
range f1 0 0
range f16385 16383 16384
range f1048576 1000 ""
range f67108864 33554431 50331647

# 200 clients at once, 1 MiB each. curl runs their 200 handshakes in one
# thread: under qemu TCG that alone takes longer than the default 10 s
# handshake deadline, hence --handshake-timeout 60 above. In a 1 GiB guest
# this runs TCP into tcp_mem pressure: on Linux 6.1 responses used to stop
# after their first record (see poll_writable() in userspace/serve/body.c).
: > "$work/many.cfg"
i=0
while [ $i -lt 200 ]; do
	printf 'url = "%s/f1048576"\noutput = "%s/many.%d"\n' "$url" "$work" $i \
		>> "$work/many.cfg"
	i=$((i + 1))
done
timeout -s KILL 400 curl -sS --fail --parallel --parallel-immediate \
	--parallel-max 200 --cacert "$certs/ca.pem" -K "$work/many.cfg" \
	2> "$work/err"
rc=$?
want=$(sha "$root/f1048576")
bad=0
i=0
while [ $i -lt 200 ]; do
	[ -f "$work/many.$i" ] && [ "$(sha "$work/many.$i")" = "$want" ] ||
		bad=$((bad + 1))
	i=$((i + 1))
done
rm -f "$work"/many.*
[ $rc = 0 ] && [ $bad = 0 ]
check "200 concurrent clients x 1 MiB intact" $? "curl exit $rc, $bad bad" \
	"$(tail -n 2 "$work/err")"

# A malformed request: 400, the connection ends, the next one is served.
printf 'GARBAGE\r\n\r\n' | timeout -s KILL 30 openssl s_client -quiet \
	-connect "127.0.0.1:$port" -CAfile "$certs/ca.pem" > "$work/raw" 2>/dev/null
head -n 1 "$work/raw" | grep -q '^HTTP/1.1 400 '
check "malformed request gets 400" $? "got: $(head -n 1 "$work/raw")"
fetch "served after a malformed request" "$root/f16384"

# A slow client trickles its head; the server cuts it off after the
# request timeout (2 s) while another client is served at once.
t0=$(uptime_s)
(printf 'GET /f1 HTTP/1.1\r\n'; sleep 1; printf 'X-Slow: 1\r\n'; sleep 1;
	printf 'X-Slow: 2\r\n'; sleep 10) |
	timeout -s KILL 30 openssl s_client -quiet -connect "127.0.0.1:$port" \
		-CAfile "$certs/ca.pem" > "$work/slow" 2>/dev/null &
slow=$!
sleep 0.5
t1=$(uptime_s)
fetch "another client served while one trickles" "$root/f16385"
t2=$(uptime_s)
awk -v a="$t1" -v b="$t2" 'BEGIN {exit !(b - a < 10)}'
check "... promptly" $? "took $(awk -v a="$t1" -v b="$t2" 'BEGIN {print b - a}') s"
kill -0 $slow 2>/dev/null
check "... while the slow client is still connected" $?
# The server must cut it off ~2 s after its first byte (s_client itself
# only notices when its input ends, so the server's log is the witness).
i=0
while ! grep -q 'request timed out' "$log" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
t3=$(uptime_s)
awk -v a="$t0" -v b="$t3" 'BEGIN {exit !(b - a < 8)}' &&
	grep -q 'request timed out' "$log"
check "slow client timed out" $? "after $(awk -v a="$t0" -v b="$t3" 'BEGIN {print b - a}') s" \
	"$(grep 'timed out' "$log" | tail -n 1)"
kill $slow 2>/dev/null
wait $slow 2>/dev/null

# A client leaving mid-body: the server's descriptors return to the baseline.
fds() { ls "/proc/$spid/fd" | wc -l; }
base=$(fds)
timeout -s KILL 30 curl -sS --cacert "$certs/ca.pem" --limit-rate 2M \
	--max-time 1 -o /dev/null "$url/f67108864" 2>/dev/null
i=0
while [ "$(fds)" != "$base" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(fds)" = "$base" ] && grep -q 'f67108864 HTTP/1.1" 200 [0-9]* aborted' "$log"
check "client leaving mid-body leaks no descriptor" $? \
	"descriptors: baseline $base, now $(fds)" "$(grep aborted "$log" | tail -n 1)"

tx=$(($(tls_stat TlsTxSw) - tx0))
if [ $expect = ktls ]; then
	[ "$tx" -gt 0 ]
	check "TlsTxSw rose (+$tx): responses went through kernel TLS" $?
else
	[ "$tx" -le 0 ]
	check "no kernel TLS used (TlsTxSw +$tx)" $?
fi

kill -USR1 "$spid"
sleep 0.5
grep "^ktls-serve: status: $mode;" "$log" > "$work/status"
check "status line shows the mode" $? "$(grep status "$log")"
kill -TERM "$spid"
wait "$spid"
rc=$?
spid=
check "server stops cleanly on SIGTERM" $rc "exit $rc" "$(tail -n 3 "$log")"

grep -E 'status|mode' "$log" | sed 's/^/# /'

# --tls: with kTLS, "userspace" forces WolfSSL records (the bench's
# baseline) and says so; without it, "kernel" refuses to start.
flog=$work/forced.log
if [ $expect = ktls ]; then
	"$serve" --root "$root" --listen 127.0.0.1:0 --workers 1 --tls userspace \
		--cert "$certs/server.pem" --key "$certs/server.key" > "$flog" 2>&1 &
	spid=$!
	fport=$(serve_port "$flog" "$spid")
	mode=$(sed -n 's/^ktls-serve: mode: //p' "$flog")
	case $mode in
	"userspace TLS (WolfSSL, "*"): --tls userspace") true ;;
	*) false ;;
	esac
	check "--tls userspace says so at start-up" $? "mode line: $mode"
	tx0=$(tls_stat TlsTxSw)
	curl -sS --cacert "$certs/ca.pem" -o "$work/forced.body" \
		"https://127.0.0.1:${fport:-0}/f1048576" 2> "$work/forced.err"
	[ "$(sha "$work/forced.body" 2>/dev/null)" = "$(sha "$root/f1048576")" ] &&
		[ "$(tls_stat TlsTxSw)" = "$tx0" ]
	check "--tls userspace serves 1 MiB intact, TlsTxSw unchanged" $? \
		"$(cat "$work/forced.err")" "TlsTxSw $tx0 -> $(tls_stat TlsTxSw)"
	kill -TERM "$spid"
	wait "$spid"
	spid=

	# --ktlsd and --user: the key stays in ktlsd; ktls-serve drops to
	# nobody (the guest's initramfs has no passwd file: give it one),
	# serves through splice under its seccomp filter, and holds no key.
	if ! grep -q '^nobody:' /etc/passwd 2>/dev/null; then
		mkdir -p /etc
		echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> /etc/passwd
	fi
	chmod 755 "$work"
	cat > "$work/ktlsd.conf" <<CONF
[global]
log = stderr

[handoff]
path = $work/handoff.sock
mode = 0666

[server]
certificate = $certs/server.pem
private_key = $certs/server.key
CONF
	"$bin/ktlsd" -f -c "$work/ktlsd.conf" 2> "$work/ktlsd.log" &
	dpid=$!
	i=0
	while [ ! -S "$work/handoff.sock" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	klog=$work/ktlsd-serve.log
	"$serve" --root "$root" --listen 127.0.0.1:0 --workers 1 --body splice \
		--ktlsd "$work/handoff.sock" --user nobody > "$klog" 2>&1 &
	spid=$!
	kport=$(serve_port "$klog" "$spid")
	curl -sS --cacert "$certs/ca.pem" -o "$work/ktlsd.body" \
		"https://127.0.0.1:${kport:-0}/f1048576" 2> "$work/ktlsd.err"
	[ "$(sha "$work/ktlsd.body" 2>/dev/null)" = "$(sha "$root/f1048576")" ]
	check "--ktlsd --user nobody --body splice serves 1 MiB intact" $? \
		"$(cat "$work/ktlsd.err")" "$(cat "$klog")" "$(cat "$work/ktlsd.log")"
	ids=$(awk '/^(Uid|Gid):/ {printf "%s %s %s %s;", $2, $3, $4, $5}' \
		/proc/$spid/status 2>/dev/null)
	seccomp=$(awk '/^Seccomp:/ {print $2}' /proc/$spid/status 2>/dev/null)
	[ "$ids" = "65534 65534 65534 65534;65534 65534 65534 65534;" ] &&
		[ "$seccomp" = 2 ]
	check "... as nobody, under its seccomp filter" $? \
		"Uid/Gid: $ids Seccomp: $seccomp"
	keys=$(ls -l /proc/$spid/fd 2>/dev/null | grep -c -e '\.key' -e '\.pem')
	kill -0 "$spid" 2>/dev/null && [ "$keys" = 0 ] &&
		! grep -q 'self-signed' "$klog"
	check "... and no certificate or key file open in ktls-serve" $? \
		"$(ls -l /proc/$spid/fd 2>/dev/null)"
	# The handshake ran in ktlsd: its WolfSSL agrees to no limit either.
	small_records "--ktlsd: s_client -maxfraglen 512, TLS 1.3: not acknowledged, 100 KiB intact" \
		"${kport:-0}" s_client 1_3 512
	small_records "--ktlsd: gnutls-cli --recordsize=512, TLS 1.2: neither acknowledged, 100 KiB intact" \
		"${kport:-0}" gnutls-cli 1.2 512
	kill -TERM "$spid" "$dpid"
	wait "$spid" "$dpid"
	spid=
else
	"$serve" --root "$root" --listen 127.0.0.1:0 --tls kernel \
		--cert "$certs/server.pem" --key "$certs/server.key" > "$flog" 2>&1
	rc=$?
	[ $rc -ne 0 ] && grep -q '^ktls-serve: --tls kernel: this kernel has no kernel TLS (modprobe tls); load it, or use --tls auto' "$flog"
	check "--tls kernel refuses to start without kTLS (exit $rc)" $? "$(cat "$flog")"
fi

echo "# Totals: pass:$pass fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ $fails = 0 ]
