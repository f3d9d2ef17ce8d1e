#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ktls_serve_resume: session resumption in ktls-serve, with a client we did
# not write (openssl s_client -sess_out/-sess_in). Natively the server runs
# userspace TLS, in the VM kernel TLS; the same checks hold for both:
#   - TLS 1.3 and TLS 1.2: a second connection with the first one's ticket
#     is "Reused", the file's SHA-256 matches both times, the status line
#     counts the resumptions;
#   - a ticket with a flipped byte (forged) or another key name (foreign)
#     gets a full handshake, not an error, and the server carries on;
#   - --ticket-rotate: right after a rotation the ticket still resumes
#     (the previous key opens it), past two rotations it gets a full
#     handshake;
#   - --no-tickets: no NewSessionTicket, no resumption;
#   - RFC 8446 §4.2.10: early data sent with a ticket from a server that
#     allowed it (openssl s_server -early_data) is skipped, not fatal: the
#     request after the handshake is answered, the 0-RTT one never is.
# Prints KTAP. Environment: KTLSD_TEST_CERTS, KTLSD_BIN.
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

here=$(cd "$(dirname "$0")" && pwd)
. "$here/serve-port.sh"
bin=${KTLSD_BIN:-$here/../bin}
serve=$bin/ktls-serve
certs=${KTLSD_TEST_CERTS:-$here/../test-certs}
work=$(mktemp -d "${TMPDIR:-/tmp}/ktls_resume.XXXXXX")
root=$work/root
T=60

n=0 pass=0 fails=0 spid= opid= stops=
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
sha() { sha256sum "$1" | cut -d' ' -f1; }
cr=$(printf '\r')	# busybox sed has no \r

cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	[ -n "$opid" ] && kill "$opid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# start LOG [options]: ktls-serve on a free port; sets spid and port.
start() {
	local log=$1
	shift
	"$serve" --root "$root" --listen 127.0.0.1:0 --workers 2 \
		--cert "$certs/server.pem" --key "$certs/server.key" "$@" \
		> "$log" 2>&1 &
	spid=$!
	port=$(serve_port "$log" "$spid")
}

stop() {	# SIGTERM; the exit statuses collect in stops
	kill -TERM "$spid" 2>/dev/null
	wait "$spid"
	stops="$stops $?"
	spid=
}

# status LOG: the newest status line (SIGUSR1).
status() {
	local before i
	before=$(grep -c '^ktls-serve: status:' "$1")
	kill -USR1 "$spid"
	i=0
	while [ "$(grep -c '^ktls-serve: status:' "$1")" = "$before" ] &&
		[ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep '^ktls-serve: status:' "$1" | tail -n 1
}

# get VERSION FILE SESS_ARGS...: GET FILE with s_client; sets how to
# "New" or "Reused" (empty if the handshake failed), and body_ok 0 if the
# body is FILE's bytes.
get() {
	local version=$1 file=$2
	shift 2
	printf 'GET /%s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' \
		"$(basename "$file")" |
		timeout -s KILL $T openssl s_client "$version" -ign_eof \
			-connect "127.0.0.1:$port" -CAfile "$certs/ca.pem" \
			-verify_return_error "$@" > "$work/raw" 2> "$work/err"
	how=$(grep -a -o -m 1 -E '^(New|Reused), TLSv1\.[23]' "$work/raw" |
		cut -d, -f1)
	body_of "$file"
}

# body_of FILE: body_ok 0 if the response in $work/raw is 200 with FILE's
# bytes. s_client's own lines (a ticket that arrived) may follow the body.
body_of() {
	local size head
	size=$(wc -c < "$1")
	sed -n '/^HTTP\/1.1 /,$p' "$work/raw" > "$work/resp"
	head=$(sed -n "1,/^$cr\$/p" "$work/resp" | wc -c)
	tail -c +$((head + 1)) "$work/resp" | head -c "$size" > "$work/got"
	head -n 1 "$work/resp" | grep -q '^HTTP/1.1 200 ' &&
		[ "$(sha "$work/got")" = "$(sha "$1")" ]
	body_ok=$?
}


echo "TAP version 13"
echo "1..20"

mkdir -p "$root"
# Text bodies (hex of random bytes): busybox sed and head cut s_client's
# output at lines, and binary bytes (NULs) trip them.
head -c 40000 /dev/urandom | od -An -tx1 -v | head -c 100000 > "$root/f"
head -c 6000 /dev/urandom | od -An -tx1 -v | head -c 16385 > "$root/g"

log=$work/serve.log
start "$log"
check "server starts with tickets on by default" $? "$(cat "$log")"
echo "# $(sed -n 's/^ktls-serve: mode: //p' "$log")"

for v in 1.3 1.2; do
	flag=-tls1_$(echo $v | cut -d. -f2)
	rm -f "$work/s$v.pem"
	get $flag "$root/f" -quiet -sess_out "$work/s$v.pem"
	# -quiet prints no summary: the session file says what we got.
	first_ok=$body_ok
	openssl sess_id -in "$work/s$v.pem" -noout -text > "$work/sess" 2>&1
	grep -q 'TLS session ticket:' "$work/sess" && [ $first_ok = 0 ]
	check "TLS $v: a full handshake gives a ticket, body intact" $? \
		"$(grep -a -i -e ticket -e Protocol "$work/sess")" \
		"$(tail -n 3 "$work/err")"
	get $flag "$root/f" -sess_in "$work/s$v.pem"
	[ "$how" = Reused ] && [ $body_ok = 0 ]
	check "TLS $v: the ticket resumes (Reused), body intact" $? \
		"handshake: ${how:-failed}" "$(tail -n 3 "$work/err")"
done
line=$(status "$log")
echo "$line" | grep -q 'handshakes 4 (failed 0, resumed 2); tickets: issued [1-9]'
check "status line counts 2 resumptions of 4 handshakes" $? "$line"

# s_time -reuse resumes each connection from the first one's session, which
# OpenSSL keeps only if the server ended it with close_notify (userspace TLS
# too): a connection ending in an unexpected EOF is not resumable.
rm -f "$work/err"
timeout -s KILL $T openssl s_time -connect "127.0.0.1:$port" \
	-CAfile "$certs/ca.pem" -reuse -time 2 -www /g > "$work/stime" 2>&1
line=$(status "$log")
resumed=$(echo "$line" | sed -n 's/.*resumed \([0-9]*\)); tickets.*/\1/p')
[ "${resumed:-0}" -gt 5 ] && echo "$line" | grep -q '(failed 0,'
check "openssl s_time -reuse resumes (server counts $((${resumed:-0} - 2)) more), none fails" $? \
	"$(grep connections "$work/stime")" "$line" \
	"$(grep 'handshake failed' "$log" | sort | uniq -c | head -n 3)"

# A forged ticket: one byte flipped inside the sealed part (after its
# 16-byte key name and 16-byte nonce); a foreign one: its key name changed.
# od/dd only (busybox in the VM).
forge() {	# forge IN OUT OFFSET: flip the ticket's byte at OFFSET
	local name hex pre at byte
	openssl sess_id -in "$1" -outform DER -out "$work/s.der" || return 1
	name=$(openssl sess_id -in "$1" -noout -text |
		sed -n '/TLS session ticket:/{n;p}' |
		sed 's/^ *0000 - //; s/   .*//; s/[ -]//g' | tr 'A-F' 'a-f')
	hex=$(od -An -tx1 -v "$work/s.der" | tr -d ' \n')
	pre=${hex%%"$name"*}
	[ "$pre" != "$hex" ] || return 1
	at=$((${#pre} / 2 + $3))
	byte=$(od -An -tu1 -j "$at" -N 1 "$work/s.der" | tr -d ' ')
	printf "\\$(printf %o $(((byte + 1) % 256)))" |
		dd of="$work/s.der" bs=1 seek="$at" conv=notrunc 2>/dev/null
	openssl sess_id -inform DER -in "$work/s.der" -out "$2"
}
forge "$work/s1.3.pem" "$work/forged.pem" 40
get -tls1_3 "$root/f" -sess_in "$work/forged.pem"
[ "$how" = New ] && [ $body_ok = 0 ]
check "a forged ticket gets a full handshake, body intact" $? \
	"handshake: ${how:-failed}" "$(tail -n 3 "$work/err")"
forge "$work/s1.3.pem" "$work/foreign.pem" 3
get -tls1_3 "$root/f" -sess_in "$work/foreign.pem"
[ "$how" = New ] && [ $body_ok = 0 ]
check "a foreign ticket (unknown key name) gets a full handshake" $? \
	"handshake: ${how:-failed}" "$(tail -n 3 "$work/err")"
get -tls1_3 "$root/f" -sess_in "$work/s1.3.pem"
[ "$how" = Reused ] && kill -0 "$spid"
check "... and the server carries on (the real ticket still resumes)" $? \
	"handshake: ${how:-failed}"
line=$(status "$log")
echo "$line" | grep -q 'not taken [2-9]'
check "status line counts the tickets not taken" $? "$line"

# RFC 8446 §4.2.10: 0-RTT from a ticket of a server that allowed it.
# s_server sends what it reads on stdin: a FIFO that never ends.
mkfifo "$work/fifo"
exec 3<> "$work/fifo"
openssl s_server -accept 127.0.0.1:0 -cert "$certs/server.pem" \
	-key "$certs/server.key" -early_data -naccept 1 \
	< "$work/fifo" > "$work/ossl.log" 2>&1 &
opid=$!
i=0
while ! grep -q '^ACCEPT' "$work/ossl.log" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
oport=$(sed -n 's/^ACCEPT 127.0.0.1:\([0-9]*\)$/\1/p' "$work/ossl.log")
(printf 'hi\n'; sleep 2) | timeout -s KILL $T openssl s_client -tls1_3 \
	-connect "127.0.0.1:${oport:-1}" -CAfile "$certs/ca.pem" \
	-sess_out "$work/early.pem" > /dev/null 2>&1
kill "$opid" 2>/dev/null
wait "$opid" 2>/dev/null
opid=
exec 3>&-
openssl sess_id -in "$work/early.pem" -noout -text 2>/dev/null |
	grep -q 'Max Early Data: [1-9]'
check "a ticket that allows 0-RTT from openssl s_server" $? \
	"$(cat "$work/ossl.log")"
printf 'GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n' > "$work/early.txt"
responses=$(grep -c '"GET /' "$log")
(sleep 1; printf 'GET /g HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n') |
	timeout -s KILL $T openssl s_client -tls1_3 -ign_eof \
		-connect "127.0.0.1:$port" -CAfile "$certs/ca.pem" \
		-sess_in "$work/early.pem" -early_data "$work/early.txt" \
		> "$work/raw" 2> "$work/err"
body_of "$root/g"
grep -a -q '^Early data was rejected' "$work/raw" && [ $body_ok = 0 ]
check "early data we do not take is skipped: the request after it is served" $? \
	"$(grep -a -e '^Early' -e '^HTTP' -e '^New' -e '^Reused' "$work/raw")" \
	"$(tail -n 3 "$work/err")" "$(tail -n 3 "$log")"
sleep 0.3
[ "$(grep -c '"GET /' "$log")" = $((responses + 1)) ] &&
	! grep -q 'GET /nothing' "$log"
check "... and the 0-RTT request is never answered" $? "$(tail -n 3 "$log")"
stop

# Rotation: every 6 s a new key; a ticket lives 6 s; the previous key still
# opens tickets for 6 s. A ticket taken late in a period resumes just after
# the rotation (through the previous key); two rotations on, it does not.
rlog=$work/rotate.log
start "$rlog" --ticket-rotate 6
rotations() {
	status "$rlog" | sed -n 's/.*key rotations \([0-9]*\) .*/\1/p'
}
next_rotation() {	# wait until the count passes $1
	i=0
	while [ "$(rotations)" = "$1" ] && [ $i -lt 60 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
next_rotation 0
sleep 3
r=$(rotations)
rm -f "$work/r.pem"
get -tls1_3 "$root/f" -quiet -sess_out "$work/r.pem"
next_rotation "$r"
get -tls1_3 "$root/f" -sess_in "$work/r.pem"
line=$(status "$rlog")
[ "$how" = Reused ] && [ $body_ok = 0 ] &&
	echo "$line" | grep -q 'old key 1'
check "just after a rotation the previous key still opens the ticket" $? \
	"handshake: ${how:-failed}" "$line"
sleep 13
get -tls1_3 "$root/f" -sess_in "$work/r.pem"
[ "$how" = New ] && [ $body_ok = 0 ]
check "past two rotations the old ticket gets a full handshake" $? \
	"handshake: ${how:-failed}" "$(tail -n 3 "$work/err")" "$(status "$rlog")"
stop

# --no-tickets: no NewSessionTicket (s_client -msg shows each message).
nlog=$work/none.log
start "$nlog" --no-tickets
rm -f "$work/n.pem"
get -tls1_3 "$root/f" -msg -msgfile "$work/msg" -sess_out "$work/n.pem"
grep -q 'TLS 1.3, Handshake.*Finished' "$work/msg" &&
	! grep -q 'NewSessionTicket' "$work/msg" && [ $body_ok = 0 ]
check "--no-tickets: TLS 1.3 sends no NewSessionTicket" $? \
	"$(grep -e NewSessionTicket -e Finished "$work/msg")"
get -tls1_2 "$root/f" -msg -msgfile "$work/msg" -sess_out "$work/n2.pem"
grep -q 'TLS 1.2, Handshake.*Finished' "$work/msg" &&
	! grep -q 'NewSessionTicket' "$work/msg" && [ $body_ok = 0 ]
check "--no-tickets: TLS 1.2 sends no NewSessionTicket" $? \
	"$(grep -e NewSessionTicket -e Finished "$work/msg")"
# No ticket and no session ID (the cache is off): s_client saves nothing.
[ ! -e "$work/n2.pem" ] && status "$nlog" | grep -q 'resumed 0); tickets off'
check "--no-tickets: nothing to resume, status says tickets off" $? \
	"$(ls -l "$work/n2.pem" 2>&1)" "$(status "$nlog")"
stop
[ "$stops" = " 0 0 0" ]
check "every server exits 0 on SIGTERM (keys wiped under seccomp)" $? \
	"exit statuses:$stops"

echo "# Totals: pass:$pass fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ $fails = 0 ]
