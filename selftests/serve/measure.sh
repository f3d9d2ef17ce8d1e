#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Measurements of ktls-serve in the VM (not a test; docs/benchmarks.md):
#   body   seconds to fetch 16 KiB (x200), 1 MiB (x20) and 64 MiB (x2) with
#          --body sendfile and --body splice, curl writing to /dev/null
#   idle   VmRSS of ktls-serve holding KTLS_SERVE_IDLE (default 10000) idle
#          keep-alive kTLS connections
# Run it in the guest as a test entry of a private tests.list.
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
here=$(cd "$(dirname "$0")" && pwd)
serve=${KTLSD_BIN:-$here/../bin}/ktls-serve
certs=${KTLSD_TEST_CERTS:-$here/../test-certs}
work=$(mktemp -d "${TMPDIR:-/tmp}/serve_measure.XXXXXX")
idle=${KTLS_SERVE_IDLE:-10000}
uptime_s() { cut -d' ' -f1 /proc/uptime; }

head -c 16384 /dev/urandom > "$work/s16k"
head -c 1048576 /dev/urandom > "$work/s1m"
head -c 67108864 /dev/urandom > "$work/s64m"

start() {	# start ARGS...: a server on a free port; sets spid, port
	"$serve" --root "$work" --listen 127.0.0.1:0 --workers 2 --quiet \
		--cert "$certs/server.pem" --key "$certs/server.key" "$@" \
		> "$work/log" 2>&1 &
	spid=$!
	while ! grep -q '^ktls-serve: serving' "$work/log"; do sleep 0.1; done
	port=$(sed -n 's|.*https://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/log")
}

echo "TAP version 13"
echo "1..1"
for body in sendfile splice sendfile splice; do
	start --body $body
	for spec in "s16k 200" "s1m 20" "s64m 2"; do
		set -- $spec
		: > "$work/cfg"
		i=0
		while [ $i -lt "$2" ]; do
			echo "url = \"https://127.0.0.1:$port/$1\"" >> "$work/cfg"
			echo "output = \"/dev/null\"" >> "$work/cfg"
			i=$((i + 1))
		done
		t0=$(uptime_s)
		curl -sS --fail --cacert "$certs/ca.pem" -K "$work/cfg" || echo "# curl failed"
		t1=$(uptime_s)
		awk -v b=$body -v f=$1 -v n=$2 -v a=$t0 -v z=$t1 \
			'BEGIN {printf "# body %-8s %-5s x%-3d %6.2f s\n", b, f, n, z - a}'
	done
	kill $spid
	wait $spid
done

start --idle-timeout 3600
rss0=$(awk '/^VmRSS/ {print $2}' /proc/$spid/status)
t0=$(uptime_s)
"$here/idle_clients" 127.0.0.1 "$port" "$certs/ca.pem" /s16k "$idle" \
	> "$work/idle.out" 2> "$work/idle.err" &
cpid=$!
while ! grep -q '^idle' "$work/idle.out" && kill -0 $cpid 2>/dev/null; do
	sleep 1
done
t1=$(uptime_s)
sleep 2
echo "# idle: $(cat "$work/idle.out"), $(tail -n 1 "$work/idle.err"), opened in $(awk -v a=$t0 -v z=$t1 'BEGIN {print z - a}') s"
kill -USR1 $spid
sleep 0.5
grep status "$work/log" | sed 's/^/# /'
echo "# ktls-serve VmRSS before: $rss0 kB; with the idle connections: $(awk '/^VmRSS/ {print $2}' /proc/$spid/status) kB"
grep -E '^(VmRSS|VmHWM|RssAnon|RssFile|Threads)' /proc/$spid/status | sed 's/^/# /'
echo "# server fds: $(ls /proc/$spid/fd | wc -l)"
kill $cpid $spid
wait
echo "ok 1 measured"
echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
