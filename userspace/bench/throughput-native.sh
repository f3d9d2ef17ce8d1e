#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, native section: userspace-TLS throughput at real speed (no
# kernel TLS needed), keep-alive GETs of one file, TLS_AES_128_GCM_SHA256,
# ECDSA P-256, for
#   ktls-serve  ktls-serve --tls userspace --workers 2 (WolfSSL, AES-NI)
#   nginx122    nginx 1.22 + OpenSSL 3.0, 2 workers, sendfile on (no kTLS)
#   nginx126    nginx 1.26 + OpenSSL 3.5, the same
# one client (bench_get --userspace: WolfSSL decrypts), small and large
# files, 1 and 16 connections; BENCH_SECONDS 1 s turns per cell, the
# servers alternating; server CPU from /proc (bench_get --pids).
#
#   throughput-native.sh OUTDIR   writes OUTDIR/native-throughput.tsv
# Env as handshakes-native.sh (BENCH_BIN, BENCH_TESTS, BENCH_CERTS,
# BENCH_NGINX122, BENCH_NGINX122_LIBS, BENCH_NGINX126, BENCH_SECONDS,
# BENCH_QUICK).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/hs-lib.sh"
out=${1:?usage: throughput-native.sh OUTDIR}
mkdir -p "$out"
tsv=$out/native-throughput.tsv
bin=${BENCH_BIN:-$here/../../build/bin}
tests=${BENCH_TESTS:-$here/../../build/tests}
certs=$(cd "${BENCH_CERTS:-$here/../../build/test-certs}" && pwd)
nginx122=${BENCH_NGINX122:-} nginx122_libs=${BENCH_NGINX122_LIBS:-}
nginx126=${BENCH_NGINX126:-}
turns=${BENCH_SECONDS:-3}
sizes="4k 1m" conns_list="1 16"
[ "${BENCH_QUICK:-0}" = 1 ] && turns=1 conns_list=1
suite=TLS_AES_128_GCM_SHA256
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-tput.XXXXXX")
base=$((20000 + RANDOM % 20000))
declare -A port pids_of
started=()
say() { echo "native throughput: $*" >&2; }
stop_all() {
	local p
	for p in "${started[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
}
trap 'stop_all; rm -rf "$work"' EXIT

[ -x "$tests/bench_get" ] && [ -x "$bin/ktls-serve" ] ||
	{ say "no bench_get or ktls-serve (run make)"; exit 1; }
mkdir -p "$work/www"
head -c 4096 /dev/urandom > "$work/www/f4k"
head -c 1048576 /dev/urandom > "$work/www/f1m"
bytes_of() { case $1 in 4k) echo 4096 ;; 1m) echo 1048576 ;; esac; }

# nginx_tput NAME: a userspace-TLS file server on port[NAME].
nginx_tput() {
	cat <<-CONF
	$( [ "$(id -u)" = 0 ] && echo "user root root;" )
	worker_processes 2;
	pid $work/$1.pid;
	error_log $work/$1-error.log warn;
	events { worker_connections 1024; }
	http {
		access_log off;
		default_type application/octet-stream;
		sendfile on;
		keepalive_timeout 300s;
		keepalive_requests 1000000000;
		client_body_temp_path $work/$1-body; proxy_temp_path $work/$1-proxy;
		fastcgi_temp_path $work/$1-fastcgi; uwsgi_temp_path $work/$1-uwsgi;
		scgi_temp_path $work/$1-scgi;
		server {
			listen 127.0.0.1:${port[$1]} ssl;
			ssl_certificate $certs/server.pem;
			ssl_certificate_key $certs/server.key;
			ssl_protocols TLSv1.3;
			ssl_conf_command Ciphersuites $suite;
			root $work/www;
		}
	}
	CONF
}

servers=()
i=0
for s in ktls-serve nginx122 nginx126; do
	port[$s]=$((base + i)); i=$((i + 1))
	case $s in
	ktls-serve)
		"$bin/ktls-serve" --root "$work/www" --listen "127.0.0.1:${port[$s]}" \
			--workers 2 --quiet --cert "$certs/server.pem" \
			--key "$certs/server.key" --ciphers "$suite" \
			--tls userspace > "$work/$s.log" 2>&1 & ;;
	nginx122)
		[ -x "$nginx122" ] || { say "no nginx 1.22: left out"; continue; }
		nginx_tput "$s" > "$work/$s.conf"
		env ${nginx122_libs:+LD_LIBRARY_PATH="$nginx122_libs"} "$nginx122" \
			-p "$work" -c "$work/$s.conf" -e "$work/$s-error.log" \
			-g 'daemon off;' > "$work/$s.log" 2>&1 & ;;
	nginx126)
		[ -f "$nginx126/sbin/nginx" ] || { say "no nginx 1.26: left out"; continue; }
		nginx_tput "$s" > "$work/$s.conf"
		: > "$work/openssl35.cnf"
		env OPENSSL_CONF="$work/openssl35.cnf" \
			"$nginx126/lib/ld-linux-x86-64.so.2" --library-path "$nginx126/lib" \
			"$nginx126/sbin/nginx" -p "$work" -c "$work/$s.conf" \
			-e "$work/$s-error.log" -g 'daemon off;' > "$work/$s.log" 2>&1 & ;;
	esac
	started+=("$!")
	for _ in $(seq 100); do hs_listening "${port[$s]}" && break; sleep 0.1; done
	sleep 0.3
	# Every process of the server: the first one and its children.
	# shellcheck disable=SC2046 # pids, one word each
	pids_of[$s]=$(echo "$!" $(cat /proc/"$!"/task/*/children 2>/dev/null) | tr ' ' ',')
	hs_listening "${port[$s]}" && servers+=("$s") ||
		say "$s did not come up: $(tail -n 1 "$work/$s.log")"
done

printf 'server\tsize\tconns\tbytes\tseconds\tserver_cpu_s\tmb_per_s\tmb_per_cpu_s\terrors\n' > "$tsv"
for size in $sizes; do
	for conns in $conns_list; do
		say "$size x$conns: ${servers[*]} in turns, $turns x 1 s"
		for _ in $(seq "$turns"); do
			for s in "${servers[@]}"; do
				"$tests/bench_get" --userspace --connect "127.0.0.1:${port[$s]}" \
					--path "/f$size" --size "$(bytes_of "$size")" \
					--conns "$conns" --seconds 1 --ca "$certs/ca.pem" \
					--ciphers "$suite" --pids "${pids_of[$s]}" \
					2>> "$work/client-$s.err" >> "$work/sum-$s-$size-$conns"
			done
		done
		for s in "${servers[@]}"; do
			tr ' ' '\n' < "$work/sum-$s-$size-$conns" | awk -F= -v OFS='\t' \
				-v s="$s" -v z="$size" -v c="$conns" '
				$1 == "bytes" { b += $2 } $1 == "seconds" { t += $2 }
				$1 == "server_cpu" { cpu += $2 } $1 == "errors" { e += $2 }
				END {
					print s, z, c, sprintf("%.0f", b), t, cpu, (t ? sprintf("%.1f", b / t / 1e6) : 0),
						(cpu ? sprintf("%.1f", b / cpu / 1e6) : 0), e
				}' >> "$tsv"
			say "$(tail -n 1 "$tsv" | tr '\t' ' ')"
		done
	done
done
say "wrote $tsv"
