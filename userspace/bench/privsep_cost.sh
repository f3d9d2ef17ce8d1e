#!/usr/bin/env bash
# What ktlsd's privilege separation costs per handshake, natively (no
# kernel TLS needed: the handshake runs to the install, which fails with
# ENOENT on a kernel without kTLS, and that failure is the answer counted).
# Runs the same load against two ktlsd binaries, alternating, and prints
# ktlsd's CPU per handshake (monitor + worker + key process, from /proc).
#
#   privsep_cost.sh OLD_KTLSD NEW_KTLSD BUILD [ROUNDS] [SECONDS] [CONNS]
#
# LOAD=full or LOAD=resume: [server] session_tickets = yes, and the load
# is ktls-hs-resume (TLS 1.3, CONNS WolfSSL clients that read until
# ktlsd's answer closes the socket, so they take the ticket) making full
# handshakes (--full), or resuming each connection from the newest ticket
# it holds; "resumed" is its count. (openssl s_time -reuse does not do
# here: without kTLS the close comes without close_notify, and OpenSSL
# then drops the session, so every other connection is a full one.)
# Without LOAD: ktls-hs-load, full handshakes, no tickets.
set -euo pipefail
old=$1 new=$2 build=$(cd "$3" && pwd) rounds=${4:-3} secs=${5:-5} conns=${6:-4}
load=${LOAD:-hs}
certs=$build/test-certs
work=$(mktemp -d /tmp/ktlsd-privsep.XXXXXX)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$work"' EXIT
hz=$(getconf CLK_TCK)
port=$((20000 + RANDOM % 20000))

# utime+stime of PID and its live children, in ticks.
cpu_ticks() {
	local total=0 p
	for p in "$1" $(pgrep -P "$1"); do
		set -- $(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) 0 0 0 0 0 0 0 0 0 0 0 0 0
		total=$((total + ${12} + ${13}))
	done
	echo "$total"
}

run() {	# BINARY -> "handshakes ticks resumed"
	cat > "$work/k.conf" <<CONF
[global]
threads = 1
loglevel = error
[handoff]
path = $work/h.sock
mode = 0666
[server]
certificate = $certs/server.pem
private_key = $certs/server.key
$([ "$load" = hs ] || echo "session_tickets = yes")
CONF
	"$1" -f -c "$work/k.conf" 2> "$work/ktlsd.log" &
	local kpid=$!
	for _ in $(seq 100); do [ -S "$work/h.sock" ] && break; sleep 0.05; done
	sleep 0.5
	kill -0 "$kpid" || { echo "privsep_cost: $1 did not start:" >&2; cat "$work/ktlsd.log" >&2; exit 1; }
	"$build/bin/ktls-hs-server" --listen 127.0.0.1:$port \
		--handoff "$work/h.sock" --threads "$conns" > "$work/srv.out" 2> "$work/srv.log" &
	local spid=$!
	for _ in $(seq 100); do grep -q ready "$work/srv.out" 2>/dev/null && break; sleep 0.05; done
	local before after
	before=$(cpu_ticks "$kpid")
	if [ "$load" = hs ]; then
		"$build/bin/ktls-hs-load" --connect 127.0.0.1:$port --ca "$certs/ca.pem" \
			--conns "$conns" --seconds "$secs" > "$work/load.out" 2>&1 || true
	else
		"$build/bin/ktls-hs-resume" --connect 127.0.0.1:$port \
			--ca "$certs/ca.pem" --conns "$conns" --seconds "$secs" \
			$([ "$load" = full ] && echo --full) > "$work/load.out" 2>&1 || true
	fi
	after=$(cpu_ticks "$kpid")
	kill "$spid"; wait "$spid" 2>/dev/null || true
	kill "$kpid"; wait "$kpid" 2>/dev/null || true
	local answered
	answered=$(sed -n 's/^served=\([0-9]*\) failed=\([0-9]*\).*/\1 \2/p' "$work/srv.log" |
		awk '{print $1 + $2}')
	local resumed
	resumed=$(sed -n 's/.*resumed=\([0-9]*\).*/\1/p' "$work/load.out")
	echo "${answered:-0} $((after - before)) ${resumed:-0}"
}

printf '%-6s %-10s %-12s %-8s %s\n' round binary handshakes resumed "ktlsd CPU us/handshake"
for r in $(seq "$rounds"); do
	for which in old new; do
		bin=$old; [ "$which" = new ] && bin=$new
		read -r n ticks resumed < <(run "$bin")
		us=$(awk -v t="$ticks" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')
		printf '%-6s %-10s %-12s %-8s %s\n' "$r" "$which" "$n" "$resumed" "$us"
	done
done
