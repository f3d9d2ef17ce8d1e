#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ktls_serve_scan: what a scanner we did not write says about ktls-serve.
# sslscan (Debian's package) crafts its own ClientHellos for the protocol
# checks; its TLS 1.2 one offers 344 cipher suites, more than WolfSSL's
# default limit of 150, which made it report TLS 1.2 disabled. It must
# report TLS 1.2 and 1.3 enabled, SSLv2, SSLv3, TLS 1.0 and 1.1 disabled,
# and accept suites of both versions. Natively, over userspace TLS.
# Skipped (with the reason) only when sslscan is not installed.
# Prints KTAP. Environment: KTLSD_TEST_CERTS, KTLSD_BIN.
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

here=$(cd "$(dirname "$0")" && pwd)
. "$here/guest-ktap.sh"
. "$here/serve-port.sh"
bin=${KTLSD_BIN:-$here/../bin}
certs=${KTLSD_TEST_CERTS:-$here/../test-certs}
work=$(mktemp -d "${TMPDIR:-/tmp}/ktls_scan.XXXXXX")
n=0 failed=0 skipped=0 spid=

cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
if ! command -v sslscan > /dev/null; then
	skip "sslscan reports TLS 1.2 and 1.3 enabled" "sslscan is not installed (apt-get install sslscan)"
	totals
	exit 0
fi
say "$(sslscan --version 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | tr -s ' \n' ' ')"

mkdir -p "$work/root"
echo hello > "$work/root/index.html"
log=$work/serve.log
"$bin/ktls-serve" --root "$work/root" --listen 127.0.0.1:0 --workers 1 \
	--cert "$certs/server.pem" --key "$certs/server.key" > "$log" 2>&1 &
spid=$!
port=$(serve_port "$log" "$spid")
if [ -z "$port" ]; then
	not_ok "ktls-serve starts"
	sed 's/^/# /' "$log"
	totals
	exit 1
fi
say "$(sed -n 's/^ktls-serve: mode: //p' "$log")"

timeout -s KILL 120 sslscan --no-colour --no-heartbleed --no-renegotiation \
	--no-compression --no-fallback --no-groups --no-check-certificate \
	"127.0.0.1:$port" > "$work/scan" 2>&1
sed 's/^/# /' "$work/scan" | sed -n '/Protocols:/,/^# *$/p'

proto() {	# proto NAME enabled|disabled: sslscan's protocol line says so
	grep -q "^$1 *$2\$" "$work/scan"
}
for p in TLSv1.2 TLSv1.3; do
	check "sslscan: $p enabled" proto "$p" enabled
done
for p in SSLv2 SSLv3 TLSv1.0 TLSv1.1; do
	check "sslscan: $p disabled" proto "$p" disabled
done
check "sslscan: TLS 1.2 suites accepted" \
	grep -q '^\(Preferred\|Accepted\) *TLSv1\.2 ' "$work/scan"
check "sslscan: TLS 1.3 suites accepted" \
	grep -q '^\(Preferred\|Accepted\) *TLSv1\.3 ' "$work/scan"
check "ktls-serve still serves" kill -0 "$spid"
grep 'handshake failed' "$log" | sed 's/^ktls-serve: [^ ]*: //' | sort |
	uniq -c | sed 's/^/# server: /'
totals
[ "$failed" = 0 ]
