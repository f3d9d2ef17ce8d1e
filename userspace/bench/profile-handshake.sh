#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per TLS 1.3 server handshake, natively, under callgrind
# (instruction counts do not care how busy the host is), for the
# in-process libktls server and nginx's worker; and system calls per
# handshake (strace -c -f) for the same servers. Not part of make bench
# (callgrind runs some 50x slower): docs/benchmarks.md quotes its output.
#
#   profile-handshake.sh BUILD OUTDIR [HANDSHAKES] [KIND] [GROUP] [CERT]
#     KIND full|resumed (full), GROUP X25519|X25519MLKEM768 (X25519),
#     CERT ecdsa|rsa (ecdsa)
# Env: NGINX122, NGINX122_LIBS, NGINX126 (as handshakes-native.sh takes
# them; a server without one is left out).
# Writes OUTDIR/SERVER.callgrind (callgrind_annotate reads it),
# OUTDIR/SERVER.strace and prints per handshake: instructions, and system
# calls by name.
set -euo pipefail
build=$(cd "${1:?usage: profile-handshake.sh BUILD OUTDIR [N] [KIND] [GROUP] [CERT]}" && pwd)
out=${2:?usage: profile-handshake.sh BUILD OUTDIR [N] [KIND] [GROUP] [CERT]}
count=${3:-200} kind=${4:-full} group=${5:-X25519} cert=${6:-ecdsa}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=$build/bin certs=$build/test-certs
case $cert in
ecdsa) crt=$certs/server.pem key=$certs/server.key ;;
rsa) crt=$certs/server-rsa.pem key=$certs/server-rsa.key ;;
*) echo "profile: CERT is ecdsa or rsa" >&2; exit 64 ;;
esac
work=$(mktemp -d /tmp/ktlsd-profile.XXXXXX)
port=$((20000 + RANDOM % 20000))
server_pid=
stop() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	server_pid=
	return 0
}
trap 'stop; rm -rf "$work"' EXIT

listening() {
	awk -v p=":$(printf '%04X' "$port")" '$2 ~ p"$" && $4 == "0A" {f = 1} END {exit !f}' /proc/net/tcp
}

# load N: N handshakes exactly (one connection at a time), or as many as
# fit in 600 s; prints how many were made.
load() {
	local extra=(--userspace --groups "$group")
	[ "$kind" = resumed ] && extra+=(--resume)
	"$bin/ktls-hs-load" --connect "127.0.0.1:$port" --ca "$certs/ca.pem" \
		--conns 1 --seconds "$2" "${extra[@]}" |
		sed -n 's/^handshakes=\([0-9]*\) .*/\1/p'
}

nginx_conf() {
	cat <<-CONF
	user root root;
	daemon off;
	master_process off;
	worker_processes 1;
	pid $work/nginx.pid;
	error_log $work/nginx-error.log warn;
	events { worker_connections 64; }
	http {
		access_log off;
		client_body_temp_path $work/body; proxy_temp_path $work/proxy;
		fastcgi_temp_path $work/fastcgi; uwsgi_temp_path $work/uwsgi;
		scgi_temp_path $work/scgi;
		server {
			listen 127.0.0.1:$port ssl;
			ssl_certificate $crt; ssl_certificate_key $key;
			ssl_protocols TLSv1.3; ssl_session_tickets on;
			location / { return 200 "ok\n"; }
		}
	}
	CONF
}

# command SERVER: the server's command line (one process, one thread of
# work where it can: nginx without a master, ktls-hs-server with one).
command_of() {
	case $1 in
	inproc) echo "$bin/ktls-hs-server --userspace --listen 127.0.0.1:$port --cert $crt --key $key --threads 1" ;;
	nginx122) echo "$NGINX122 -p $work -c $work/nginx.conf" ;;
	nginx126) echo "$NGINX126/lib/ld-linux-x86-64.so.2 --library-path $NGINX126/lib $NGINX126/sbin/nginx -p $work -c $work/nginx.conf" ;;
	esac
}

# env_of SERVER: its environment (set for valgrind and strace too, so that
# they run the server itself, not env).
env_of() {
	case $1 in
	inproc) ;;
	nginx122) echo "LD_LIBRARY_PATH=$NGINX122_LIBS" ;;
	nginx126) echo "OPENSSL_CONF=$work/empty.cnf" ;;
	esac
}

servers=inproc
[ -n "${NGINX122:-}" ] && servers+=" nginx122"
[ -n "${NGINX126:-}" ] && servers+=" nginx126"
[ "$group" = X25519 ] || servers=${servers/ nginx122/}
nginx_conf > "$work/nginx.conf"
: > "$work/empty.cnf"
printf '%-9s %-8s %-15s %-6s %12s %10s\n' server kind group cert "instr/hs" handshakes
for s in $servers; do
	rm -f "$out/$s.callgrind"*
	# shellcheck disable=SC2046 # the command line, split on purpose
	env $(env_of "$s") valgrind --tool=callgrind --instr-atstart=no --trace-children=no \
		--callgrind-out-file="$out/$s.callgrind" \
		$(command_of "$s") > "$work/$s.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 300); do listening && break; sleep 0.1; done
	load 0 3 > /dev/null		# warm-up, not counted
	callgrind_control -i on "$server_pid" > /dev/null
	callgrind_control -z "$server_pid" > /dev/null
	n=$(load "$count" "$((count / 20 + 5))")
	callgrind_control -i off "$server_pid" > /dev/null
	callgrind_control -d "$server_pid" > /dev/null
	stop
	ir=$(awk '/^totals:/ {t += $2} END {print t + 0}' "$out/$s.callgrind"*)
	printf '%-9s %-8s %-15s %-6s %12.0f %10s\n' "$s" "$kind" "$group" "$cert" \
		"$(awk -v i="$ir" -v n="$n" 'BEGIN {print n ? i / n : 0}')" "$n"

	# System calls: strace -c attached after a warm-up (all threads).
	# shellcheck disable=SC2046
	env $(env_of "$s") $(command_of "$s") > "$work/$s.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 300); do listening && break; sleep 0.1; done
	load 0 1 > /dev/null
	strace -f -c -o "$out/$s.strace" -p "$server_pid" 2> /dev/null &
	tracer=$!
	sleep 1
	n=$(load 0 3)
	kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
	stop
	awk -v n="$n" -v s="$s" '
		$NF ~ /^[a-z_0-9]+$/ && $(NF - 1) ~ /^[0-9]+$/ && $NF != "total" {
			calls[$NF] = $4 + 0
		}
		$NF == "total" { total = $3 }
		END {
			printf "%s syscalls per handshake (%d handshakes):", s, n
			for (c in calls) if (calls[c] / n >= 0.05) printf " %s %.2f", c, calls[c] / n
			printf "\n"
		}' "$out/$s.strace"
done
