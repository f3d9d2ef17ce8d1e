#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench, throughput section: five servers, the same files, the same
# client (bench_get), the same certificate (ECDSA P-256), the same suite
# (TLS 1.3 AES-128-GCM, pinned on the servers and checked by the client)
# and two workers each:
#   ktls-serve-sendfile   ktls-serve --tls kernel --body sendfile
#   ktls-serve-splice     ktls-serve --tls kernel --body splice
#   ktls-serve-userspace  ktls-serve --tls userspace (WolfSSL, AES-NI)
#   nginx-userspace       nginx + OpenSSL, sendfile on, no kTLS
#   nginx-ktls            nginx + OpenSSL kTLS (Options KTLS, sendfile on)
# For each file size and number of keep-alive connections, one window of
# BENCH_SECONDS: payload bytes, the servers' CPU-seconds in that window
# (/proc/PID/stat of every server process), and TlsTxSw from
# /proc/net/tls_stat, which must rise on a kTLS row and stay put on a
# userspace one (the client's own kTLS sockets count there too: exactly
# one per connection). A cell that fails a check says so in its status
# column. BENCH_QUICK=1: 4 KiB and 1 MiB only.
#
#   throughput.sh OUTDIR    writes OUTDIR/throughput.tsv; progress on stderr
set -u
out=${1:?usage: throughput.sh OUTDIR}
mkdir -p "$out"
seconds=${BENCH_SECONDS:?}
quick=${BENCH_QUICK:-0}
bin=${BENCH_BIN:?} tests=${BENCH_TESTS:?} certs=${BENCH_CERTS:?}
nginx=${BENCH_NGINX:?}
suite=TLS_AES_128_GCM_SHA256
base_port=18443
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-tp.XXXXXX")
www=$work/www
tsv=$out/throughput.tsv

sizes="4k 64k 1m 64m"
conns_list="1 32"
servers="ktls-serve-sendfile ktls-serve-splice ktls-serve-userspace nginx-userspace nginx-ktls"
[ "$quick" = 1 ] && sizes="4k 1m"


log() { echo "throughput: $*" >&2; }
bytes_of() {
	case $1 in
	4k) echo 4096 ;;
	64k) echo 65536 ;;
	1m) echo 1048576 ;;
	64m) echo 67108864 ;;
	esac
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }
tls_tx_sw() { awk '$1 == "TlsTxSw" {print $2}' /proc/net/tls_stat 2>/dev/null; }

section_start=$(uptime_s)
mkdir -p "$www"
for s in $sizes; do
	head -c "$(bytes_of "$s")" /dev/urandom > "$www/f$s"
done

# --- servers: start_NAME listens on $port, logs to $slog, and sets pids
# (comma-separated, every process of the server) and spid (to stop) ---

start_ktls_serve() {	# ARGS...
	"$bin/ktls-serve" --root "$www" --listen "127.0.0.1:$port" --workers 2 \
		--quiet --cert "$certs/server.pem" --key "$certs/server.key" \
		--ciphers "$suite" "$@" > "$slog" 2>&1 &
	spid=$!
	pids=$spid
	i=0
	while ! grep -q '^ktls-serve: serving' "$slog"; do
		kill -0 "$spid" 2>/dev/null && [ $i -lt 300 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
	grep '^ktls-serve: mode' "$slog" | sed "s/^/  $server: /" >&2
}

# nginx needs its users in /etc/passwd and /etc/group (the VM has none).
nginx_users() {
	mkdir -p /etc
	grep -q '^root:' /etc/passwd 2>/dev/null ||
		echo 'root:x:0:0:root:/root:/bin/sh' >> /etc/passwd
	grep -q '^root:' /etc/group 2>/dev/null ||
		echo 'root:x:0:' >> /etc/group
}

start_nginx() {		# ktls|userspace
	ktls_line=
	[ "$1" = ktls ] && ktls_line="ssl_conf_command Options KTLS;"
	nginx_users
	dir=$work/$server
	mkdir -p "$dir"
	cat > "$dir/nginx.conf" <<CONF
user root;
daemon off;
worker_processes 2;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	default_type application/octet-stream;
	sendfile on;
	keepalive_timeout 300s;
	keepalive_requests 1000000000;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	server {
		listen 127.0.0.1:$port ssl;
		ssl_certificate $certs/server.pem;
		ssl_certificate_key $certs/server.key;
		ssl_protocols TLSv1.3;
		ssl_conf_command Ciphersuites $suite;
		$ktls_line
		root $www;
	}
}
CONF
	${BENCH_NGINX_LIBS:+env LD_LIBRARY_PATH=$BENCH_NGINX_LIBS} "$nginx" \
		-p "$dir" -c "$dir/nginx.conf" \
		-e "$dir/error.log" > "$slog" 2>&1 &
	spid=$!
	# Ready when both workers are up; they are the master's children.
	i=0
	while :; do
		workers=$(awk -v m="$spid" '{
			sub(/^.*\) /, ""); split($0, f, " ")
			if (f[2] == m) print FILENAME
		}' /proc/[0-9]*/stat 2>/dev/null | cut -d/ -f3 | paste -sd, -)
		[ "$(echo "$workers" | tr ',' '\n' | grep -c .)" -ge 2 ] && break
		kill -0 "$spid" 2>/dev/null && [ $i -lt 300 ] || {
			cat "$dir/error.log" >> "$slog" 2>/dev/null
			return 1
		}
		sleep 0.1
		i=$((i + 1))
	done
	pids=$spid,$workers
}

# The servers' state, by name: NAME_port, NAME_pids, NAME_spid, NAME_up.
var() { echo "$1" | tr - _; }

start_server() {	# NAME INDEX
	server=$1 port=$((base_port + $2)) slog=$work/$1.log
	case $1 in
	ktls-serve-sendfile) start_ktls_serve --tls kernel --body sendfile ;;
	ktls-serve-splice) start_ktls_serve --tls kernel --body splice ;;
	ktls-serve-userspace) start_ktls_serve --tls userspace ;;
	nginx-userspace) start_nginx userspace ;;
	nginx-ktls) start_nginx ktls ;;
	esac
	up=$?
	eval "$(var "$1")_port=$port $(var "$1")_pids=$pids $(var "$1")_spid=$spid"
	eval "$(var "$1")_up=$((up == 0))"
	return $up
}

# --- one cell ---

# cell SERVER SIZE CONNS: one line of the table
cell() {
	server=$1 size=$2 conns=$3
	eval "port=\$$(var "$server")_port pids=\$$(var "$server")_pids"
	bytes=$(bytes_of "$size")
	cell_start=$(uptime_s)
	tx0=$(tls_tx_sw)
	result=$("$tests/bench_get" --connect "127.0.0.1:$port" \
		--path "/f$size" --size "$bytes" --conns "$conns" \
		--seconds "$seconds" --ca "$certs/ca.pem" --ciphers "$suite" \
		--pids "$pids" 2> "$work/client.err")
	rc=$?
	tx1=$(tls_tx_sw)
	ktls_tx=$(( ${tx1:-0} - ${tx0:-0} ))
	# bytes=N responses=N errors=N seconds=F server_cpu=F
	r_bytes='' r_responses='' r_errors='' r_seconds='' r_server_cpu=''
	eval "$(echo "$result" | tr ' ' '\n' | sed -n 's/^\([a-z_]*\)=\([0-9.]*\)$/r_\1=\2/p')"
	status=ok
	if [ -z "$result" ]; then
		status="error: client failed (exit $rc): $(head -n 1 "$work/client.err")"
	elif [ "${r_errors:-1}" != 0 ]; then
		status="error: $r_errors client errors: $(sort "$work/client.err" | uniq -c | sort -rn | head -n 1 | sed 's/^ *//')"
	elif [ "${r_bytes:-0}" = 0 ]; then
		status="error: no bytes in the window"
	fi
	# The client's own connections count too: one kTLS TX each. The
	# first failure found is the one reported.
	[ "$status" = ok ] && case $server in
	*-userspace)
		[ "$ktls_tx" = "$conns" ] ||
			status="error: userspace row, but TlsTxSw rose by $ktls_tx for $conns client connections" ;;
	*)
		[ "$ktls_tx" -ge $((2 * conns)) ] ||
			status="error: kTLS not used (TlsTxSw rose by $ktls_tx for $conns client and $conns server connections)" ;;
	esac
	awk -v OFS='\t' -v sv="$server" -v sz="$size" -v c="$conns" \
		-v b="${r_bytes:-0}" -v n="${r_responses:-0}" \
		-v s="${r_seconds:-0}" -v cpu="${r_server_cpu:-0}" \
		-v k="$ktls_tx" -v st="$status" 'BEGIN {
		mbs = s > 0 ? b / 1e6 / s : 0
		gb = cpu > 0 && b > 0 ? cpu / (b / 1e9) : 0
		bpc = cpu > 0 ? b / cpu / 1e6 : 0
		printf "%s\t%s\t%d\t%.2f\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%s\n",
			sv, sz, c, s, b, n, mbs, cpu, gb, bpc, k, st
	}' >> "$tsv"
	tail -n 1 "$tsv" | awk -F'\t' -v a="$cell_start" -v z="$(uptime_s)" '{
		printf "  %-21s %-4s x%-2s %8s MB/s %8s CPU-s/GB  %s (%.1f s)\n",
			$1, $2, $3, $7, $9, $12, z - a}' >&2
}

printf 'server\tsize\tconns\tseconds\tbytes\tresponses\tmb_per_s\tserver_cpu_s\tcpu_s_per_gb\tmb_per_cpu_s\tktls_tx\tstatus\n' > "$tsv"
[ -r /proc/net/tls_stat ] ||
	log "no /proc/net/tls_stat: this kernel has no kTLS (modprobe tls); the kTLS rows will fail"
failed=0
# Every server runs for the whole section, idle but for its own cells; the
# cells go size by size, connections by connections, server by server, so
# a change in the host's load falls on all servers alike.
idx=0
for server in $servers; do
	if ! start_server "$server" $idx; then
		log "$server did not start:"
		sed 's/^/  /' "$work/$server.log" >&2
		failed=1
	fi
	idx=$((idx + 1))
done
for size in $sizes; do
	for conns in $conns_list; do
		for server in $servers; do
			eval "up=\$$(var "$server")_up"
			if [ "$up" = 1 ]; then
				cell "$server" "$size" "$conns"
				continue
			fi
			printf '%s\t%s\t%d\t0\t0\t0\t0\t0\t0\t0\t0\terror: the server did not start\n' \
				"$server" "$size" "$conns" >> "$tsv"
		done
	done
done
for server in $servers; do
	eval "spid=\$$(var "$server")_spid"
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
done
log "$(($(wc -l < "$tsv") - 1)) cells in $(awk -v a="$section_start" -v z="$(uptime_s)" 'BEGIN {printf "%.0f", z - a}') s"
grep -q '	error' "$tsv" && failed=1
rm -rf "$work"
exit $failed
