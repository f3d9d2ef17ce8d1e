#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The main job, end to end (`make demo` runs it; `make check` runs it as the
# test ktls_demo, natively and in the VM). Serves a directory with a 64 MiB
# file over HTTPS and downloads it with curl, checking SHA-256:
#   - with kernel TLS (the VM): ktlsd holds the private key and does the
#     handshakes; ktls-serve hands it each connection and sendfile()s the
#     file into the kTLS socket; /proc/net/tls_stat must show it;
#   - without (this machine's own kernel): ktls-serve alone, with the
#     self-signed certificate it generates, over userspace TLS, which it
#     must say at start-up.
# Prints KTAP; exits 0 only if every step passed. busybox sh compatible.
#
# Environment: KTLSD_BIN (where ktlsd and ktls-serve are; default
# build/bin), KTLS_DEMO_MIB (file size, default 64), KTLS_DEMO_PORT (18443).
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

bin=${KTLSD_BIN:-build/bin}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
mib=${KTLS_DEMO_MIB:-64}
port=${KTLS_DEMO_PORT:-18443}
work=${TMPDIR:-/tmp}/ktls-demo.$$
n=0 failed=0 pids=

say() { echo "# $*"; }
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# wait_for TEST-ARGS...: up to 10 s for a file or socket to appear.
wait_for() {
	i=0
	while ! test "$@"; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

# wait_port PORT: up to 10 s for something to listen on 127.0.0.1:PORT.
wait_port() {
	hex=$(printf '%04X' "$1")
	i=0
	while ! grep -q ":$hex 00000000:0000 0A" /proc/net/tcp 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

tls_stat() { awk -v k="$1" '$1 == k {print $2}' /proc/net/tls_stat 2>/dev/null; }

echo "TAP version 13"
mkdir -p "$work/www" || exit 1
head -c $((mib * 1048576)) /dev/urandom > "$work/www/big.bin"
echo '<!doctype html><title>ktls-serve</title><p>served through kernel TLS' \
	> "$work/www/index.html"
want=$(sha256sum "$work/www/big.bin" | cut -d' ' -f1)
say "serving $work/www ($mib MiB big.bin, sha256 $want)"

if [ -e /proc/net/tls_stat ]; then
	mode=ktls
	say "this kernel ($(uname -r)) has kernel TLS: ktlsd + ktls-serve"
	# A self-signed certificate for localhost, readable only by root: the
	# file server never sees the key, ktlsd does.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 30 -subj /CN=localhost \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
	chmod 600 "$work/key.pem"
	cacert=$work/cert.pem
	cat > "$work/ktlsd.conf" <<CONF
[global]
log = stderr
loglevel = info

[handoff]
path = $work/handoff.sock
mode = 0666

[server]
certificate = $work/cert.pem
private_key = $work/key.pem
CONF
	"$bin/ktlsd" -f -c "$work/ktlsd.conf" 2> "$work/ktlsd.log" &
	pids="$pids $!"
	check "ktlsd is listening on its handoff socket" wait_for -S "$work/handoff.sock"
	"$bin/ktls-serve" --root "$work/www" --listen "127.0.0.1:$port" \
		--ktlsd "$work/handoff.sock" 2> "$work/serve.log" &
	pids="$pids $!"
else
	mode=userspace
	say "this kernel ($(uname -r)) has no kernel TLS: ktls-serve with userspace TLS"
	export XDG_STATE_HOME="$work/state"
	"$bin/ktls-serve" --root "$work/www" --listen "127.0.0.1:$port" \
		2> "$work/serve.log" &
	pids="$pids $!"
	# ktls-serve made a self-signed certificate and said where.
	wait_for -s "$work/state/ktls-serve/cert.pem"
	cacert=$work/state/ktls-serve/cert.pem
fi
check "ktls-serve is listening on 127.0.0.1:$port" wait_port "$port"
# It names its mode once its workers run, a moment after it listens.
i=0
while ! grep -q '^ktls-serve: serving ' "$work/serve.log" && [ $i -lt 100 ]; do
	i=$((i + 1))
	sleep 0.1
done
sed 's/^/# ktls-serve: /' "$work/serve.log"

if [ $mode = ktls ]; then
	check "ktls-serve says it serves through kernel TLS" \
		grep -q 'mode: kTLS' "$work/serve.log"
else
	check "ktls-serve says it falls back to userspace TLS" \
		grep -qi 'userspace TLS' "$work/serve.log"
	check "ktls-serve says where its certificate is" \
		grep -q "$cacert" "$work/serve.log"
fi

tx0=$(tls_stat TlsTxSw)
start=$(date +%s)
curl -sS --cacert "$cacert" -o "$work/got.bin" \
	"https://localhost:$port/big.bin" 2> "$work/curl.err"
rc=$?
secs=$(( $(date +%s) - start ))
sed 's/^/# curl: /' "$work/curl.err"
check "curl downloaded big.bin (exit $rc, ${secs}s)" [ $rc -eq 0 ]
got=$(sha256sum "$work/got.bin" 2>/dev/null | cut -d' ' -f1)
say "sha256 received $got"
check "the $mib MiB file arrived intact (SHA-256)" [ "$got" = "$want" ]

if [ $mode = ktls ]; then
	tx1=$(tls_stat TlsTxSw)
	say "/proc/net/tls_stat after the download:"
	sed 's/^/#   /' /proc/net/tls_stat
	check "kernel TLS carried it (TlsTxSw $tx0 -> $tx1)" [ "$tx1" -gt "$tx0" ]
	check "ktlsd did the handshake" grep -q 'server handshake done' "$work/ktlsd.log"
	sed 's/^/# ktlsd: /' "$work/ktlsd.log"
fi

echo "# Totals: pass:$((n - failed)) fail:$failed xfail:0 xpass:0 skip:0 error:0"
[ $failed -eq 0 ]
