#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Resumption, natively (userspace TLS; no kernel TLS needed): openssl s_time
# reconnecting with full handshakes (-new) and resuming each connection
# from the first one's session (-reuse), against ktls-serve (--tls
# userspace, 1 worker, its default tickets) and Debian's nginx 1.22 with
# OpenSSL 3.0 (1 worker, its default tickets; bash scripts/nginx.sh
# unpacks it into the cache), side by side. A 1 KiB file over HTTP/1.0,
# one connection per request. Server CPU from /proc/PID/stat; the
# ktls-serve status line says how many handshakes resumed.
#
# usage: bash userspace/bench/resume_cost.sh [BUILD [SECONDS]]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
secs=${2:-10}
cache=${KTLSD_CACHE:-$HOME/.cache/ktlsd}
nginx_root=$cache/nginx/root
certs=$build/test-certs
work=$(mktemp -d "${TMPDIR:-/tmp}/resume_cost.XXXXXX")
kport=18480 nport=18481

[ -x "$nginx_root/usr/sbin/nginx" ] || {
	echo "no nginx in $nginx_root: run bash scripts/nginx.sh" >&2
	exit 1
}
trap 'kill $kpid $npid 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/root"
head -c 1024 /dev/urandom | od -An -tx1 -v | head -c 1024 > "$work/root/f1k"

cat > "$work/nginx.conf" <<CONF
$( [ "$(id -u)" = 0 ] && echo "user root root;" )
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $work/b; proxy_temp_path $work/p;
	fastcgi_temp_path $work/f; uwsgi_temp_path $work/u;
	scgi_temp_path $work/s;
	server {
		listen 127.0.0.1:$nport ssl;
		ssl_certificate $certs/server.pem;
		ssl_certificate_key $certs/server.key;
		root $work/root;
	}
}
CONF

"$build/bin/ktls-serve" --root "$work/root" --listen 127.0.0.1:$kport \
	--workers 1 --tls userspace --quiet --cert "$certs/server.pem" \
	--key "$certs/server.key" > "$work/serve.log" 2>&1 &
kpid=$!
LD_LIBRARY_PATH=$nginx_root/lib/x86_64-linux-gnu:$nginx_root/usr/lib/x86_64-linux-gnu \
	"$nginx_root/usr/sbin/nginx" -c "$work/nginx.conf" \
	-g 'daemon off; master_process off;' &
npid=$!
sleep 1

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick_us=$((1000000 / $(getconf CLK_TCK)))
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| client | server | connections | s_time wall s | per s | server CPU µs per connection | s_time user s |"
echo "|---|---|---|---|---|---|---|"
for mode in new reuse; do
	for srv in ktls-serve nginx; do
		if [ $srv = ktls-serve ]; then port=$kport pid=$kpid; else port=$nport pid=$npid; fi
		c0=$(cpu $pid)
		out=$(openssl s_time -connect 127.0.0.1:$port -CAfile "$certs/ca.pem" \
			-$mode -time "$secs" -www /f1k 2>&1)
		c1=$(cpu $pid)
		set -- $(echo "$out" | sed -n 's/^\([0-9]*\) connections in \([0-9]*\) real.*/\1 \2/p' | tail -n 1)
		n=${1:-0} wall=${2:-1}
		user=$(echo "$out" | sed -n 's/^[0-9]* connections in \([0-9.]*\)s;.*/\1/p' | tail -n 1)
		echo "| s_time -$mode | $srv | $n | $wall | $((n / wall)) | $(( (c1 - c0) * tick_us / (n > 0 ? n : 1) )) | $user |"
	done
done
kill -USR1 $kpid
sleep 0.3
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep '^ktls-serve: status' "$work/serve.log" | tail -n 1 |
	grep -o 'handshakes [^;]*; tickets[^;]*'
