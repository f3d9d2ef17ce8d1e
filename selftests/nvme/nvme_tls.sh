#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# NVMe/TCP with TLS 1.3 (PSK), run in the VM (busybox sh) as the test
# nvme_tls: the kernel's NVMe target (nvmet-tcp, configured through
# configfs, TLS required on its port) exports a file, the kernel's NVMe
# host connects to it over 127.0.0.1 with "tls", and ktlsd answers both
# handshake upcalls: the host's (a PSK client with the key the kernel
# picked from .nvme) and the target's (a PSK server that finds the key for
# the identity the host offers in .nvme). Debian 12's nvme-cli (2.3) has
# no TLS, and none is needed: the host connects by writing its options to
# /dev/nvme-fabrics, and nvme_key puts the PSK in the .nvme keyring
# (identity "NVMe0R01 HOSTNQN SUBNQN", the kernel's retained SHA-256 form).
#
# Checks: both sides' handshakes done by ktlsd; /proc/net/tls_stat counts
# the queues' sockets in kernel TLS; $NVME_TLS_MIB MiB written to the
# namespace are the same (SHA-256) in the target's file and read back
# after drop_caches; the controller goes away cleanly. Refused, never in
# plaintext: any host with no handshake daemon running (ESRCH), a host
# without tls (the port requires it: ktlsd gets the target's request and
# refuses the plaintext), a host whose PSK the target does not know (ktlsd
# logs the unknown identity, DONE EKEYREJECTED; the host gets it too). A
# SHA-384 PSK ("NVMe0R02"), which the host prefers, connects with
# TLS_AES_256_GCM_SHA384.
#
# Linux 6.1 has no net/handshake and no NVMe TLS (both from 6.4/6.7): the
# test is skipped there, saying so.
#
# Environment: KTLSD_BIN (ktlsd), NVME_TLS_MIB (default 4).
# Prints KTAP; exits 0 only if no step failed.
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

bin=${KTLSD_BIN:-/ktlsd/bin}
tests=$(cd "$(dirname "$0")" && pwd)
mib=${NVME_TLS_MIB:-4}
modlist=/ktlsd/modules.d/nvme_tls.load
work=${TMPDIR:-/tmp}/nvme_tls
cfs=/sys/kernel/config/nvmet
subnqn=nqn.2026-11.org.ktlsd:nvme-tls-test
# Each host NQN with its own host ID: the host refuses one ID for two NQNs.
hostid=6b746c73-6400-4000-8000-000000000001
hostnqn=nqn.2014-08.org.nvmexpress:uuid:$hostid
stranger_id=6b746c73-6400-4000-8000-000000000002
stranger=nqn.2014-08.org.nvmexpress:uuid:$stranger_id
port=4420
n=0 failed=0 skipped=0 daemon_pid='' keys=''

. "$(dirname "$0")/guest-ktap.sh"
hex_key() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# controllers: the NVMe-oF controllers the host has (their sysfs names).
controllers() {
	for c in /sys/class/nvme/nvme*; do
		[ -e "$c/transport" ] && echo "${c##*/}"
	done
}

disconnect_all() {
	for c in $(controllers); do
		echo 1 > "/sys/class/nvme/$c/delete_controller" 2>/dev/null
	done
}

cleanup() {
	disconnect_all
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	if [ -d "$cfs" ]; then
		rm -f "$cfs/ports/1/subsystems/$subnqn" 2>/dev/null
		rmdir "$cfs/ports/1" 2>/dev/null
		echo 0 > "$cfs/subsystems/$subnqn/namespaces/1/enable" 2>/dev/null
		rmdir "$cfs/subsystems/$subnqn/namespaces/1" 2>/dev/null
		rmdir "$cfs/subsystems/$subnqn" 2>/dev/null
	fi
	for k in $keys; do
		"$tests/nvme_key" remove "$k" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

load_modules() {
	[ -s "$modlist" ] || { say "no module list $modlist"; return 1; }
	while read -r ko; do
		[ -d "/sys/module/$(echo "${ko%.ko}" | tr - _)" ] && continue
		insmod "/ktlsd/modules/$ko" || { say "insmod $ko failed"; return 1; }
	done < "$modlist"
}

start_daemon() {
	printf '[global]\nlog = stderr\nloglevel = debug\n\n[upcall]\nenable = yes\n' \
		> "$work/ktlsd.conf"
	"$bin/ktlsd" -f -c "$work/ktlsd.conf" 2> "$work/daemon.log" &
	daemon_pid=$!
	ktlsd_ready "$work/daemon.log" "$daemon_pid"
}

stop_daemon() {
	kill "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=''
	sed 's/^/# daemon: /' "$work/daemon.log"
}

# log_count PATTERN: lines of the daemon's log matching it.
log_count() { grep -c "$1" "$work/daemon.log"; }

# connect OPTIONS: the host connects; the kernel's answer (or why not) is
# in $work/connect.log. Options the test always wants come first.
connect() {
	echo "transport=tcp,traddr=127.0.0.1,trsvcid=$port,nqn=$subnqn,nr_io_queues=1,$1" \
		2> "$work/connect.log" > /dev/nvme-fabrics
	rc=$?
	sed 's/^/# connect: /' "$work/connect.log"
	dmesg -c 2>/dev/null | grep -i -E 'nvme|handshake|tls' | sed 's/^/# dmesg: /'
	return $rc
}

# wait_namespace: the namespace's block device, once the host has it.
wait_namespace() {
	i=0
	while [ $i -lt 100 ]; do
		for d in /sys/block/nvme*n1; do
			# nvmeXcYnZ is one path of it, hidden: no device node
			case ${d##*/} in *c*) continue ;; esac
			[ -b "/dev/${d##*/}" ] && { echo "/dev/${d##*/}"; return 0; }
		done
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

echo "TAP version 13"
mkdir -p "$work" || exit 1

t0=$(now)
if ! load_modules; then
	not_ok "NVMe/TCP modules loaded"
	totals
	exit 1
fi
ok "NVMe/TCP modules loaded ($(wc -l < "$modlist") modules, $(elapsed "$t0")s)"

if ! grep -q ' tls_server_hello_psk$' /proc/kallsyms; then
	skip "NVMe/TCP over TLS" "Linux $(uname -r) has no kernel TLS handshake API (net/handshake, Linux 6.4+), so its NVMe/TCP has no TLS (Linux 6.7+ with CONFIG_NVME_TCP_TLS)"
	totals
	exit 0
fi
grep -q configfs /proc/mounts || mount -t configfs none /sys/kernel/config
mkdir "$cfs/ports/1" 2>/dev/null
if [ ! -e "$cfs/ports/1/addr_tsas" ]; then
	skip "NVMe/TCP over TLS" "nvmet-tcp of Linux $(uname -r) has no TLS (CONFIG_NVME_TARGET_TCP_TLS)"
	totals
	exit 0
fi

# The PSK, in the .nvme keyring where both the host and target look.
nvme_ring=$("$tests/nvme_key" nvme-keyring)
check "the .nvme keyring is there ($nvme_ring)" [ -n "$nvme_ring" ]
identity="NVMe0R01 $hostnqn $subnqn"
psk=$("$tests/nvme_key" add "$nvme_ring" "$identity" "$(hex_key)")
keys="$psk"
check "PSK \"$identity\" added to .nvme ($psk)" [ -n "$psk" ]
found=$("$tests/nvme_key" find "$nvme_ring" "$identity")
check "keyctl_search finds it in .nvme by its identity ($found)" [ "$found" = "$psk" ]
grep -E 'nvme|psk' /proc/keys | sed 's/^/# keys: /'

# The target: one subsystem, one namespace on a file, port 1 on
# 127.0.0.1 with TLS 1.3 (which makes TLS required).
img=$work/nvme.img
head -c $(((mib + 4) * 1048576)) /dev/zero > "$img"
setup_target() {
	mkdir "$cfs/subsystems/$subnqn" &&
	echo 1 > "$cfs/subsystems/$subnqn/attr_allow_any_host" &&
	mkdir "$cfs/subsystems/$subnqn/namespaces/1" &&
	echo "$img" > "$cfs/subsystems/$subnqn/namespaces/1/device_path" &&
	# tmpfs has no O_DIRECT on every kernel: the page cache then.
	echo 1 > "$cfs/subsystems/$subnqn/namespaces/1/buffered_io" &&
	echo 1 > "$cfs/subsystems/$subnqn/namespaces/1/enable" &&
	echo tcp > "$cfs/ports/1/addr_trtype" &&
	echo ipv4 > "$cfs/ports/1/addr_adrfam" &&
	echo 127.0.0.1 > "$cfs/ports/1/addr_traddr" &&
	echo $port > "$cfs/ports/1/addr_trsvcid" &&
	echo tls1.3 > "$cfs/ports/1/addr_tsas" &&
	ln -s "$cfs/subsystems/$subnqn" "$cfs/ports/1/subsystems/$subnqn"
}
check "nvmet: subsystem, namespace and TLS port configured" setup_target
say "port 1: addr_tsas $(cat "$cfs/ports/1/addr_tsas"), addr_treq $(cat "$cfs/ports/1/addr_treq")"
check "the port requires TLS (addr_treq)" grep -q '^required' "$cfs/ports/1/addr_treq"

# 1. With no handshake daemon, the host cannot start TLS: refused.
t0=$(now)
connect "hostnqn=$hostnqn,hostid=$hostid,tls"
rc=$?
check "tls with no handshake daemon running is refused (exit $rc, $(elapsed "$t0")s)" \
	[ $rc -ne 0 ]
check "... with ESRCH (no daemon listening)" grep -q 'No such process' "$work/connect.log"
check "... and no controller exists" [ -z "$(controllers)" ]

check "ktlsd runs, answering the kernel's handshake upcalls" start_daemon

# 2. Refused without tls: the port requires it. The target asks ktlsd for
# a TLS server handshake, which the host's plaintext ICReq is not.
t0=$(now)
connect "hostnqn=$hostnqn,hostid=$hostid"
rc=$?
check "a host without tls is refused, ktlsd running (exit $rc, $(elapsed "$t0")s)" [ $rc -ne 0 ]
check "... and no controller exists" [ -z "$(controllers)" ]
i=0
while [ "$(log_count 'server psk handshake .* failed, DONE')" = 0 ] &&
	[ $i -lt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
check "... ktlsd refused the plaintext in the target's TLS handshake" \
	grep -q 'server psk handshake .* failed, DONE EACCES: .*the client does not speak TLS' \
	"$work/daemon.log"
refusals=$(log_count 'failed, DONE')

# 3. The real thing: connect with TLS, data through, intact.
tx0=$(tls_stat TlsTxSw) rx0=$(tls_stat TlsRxSw) cur0=$(tls_stat TlsCurrTxSw)
t0=$(now)
connect "hostnqn=$hostnqn,hostid=$hostid,tls"
rc=$?
check "the host connects with tls (exit $rc, $(elapsed "$t0")s)" [ $rc -eq 0 ]
dev=$(wait_namespace)
check "the namespace shows up ($dev)" [ -n "$dev" ]
ctrl=$(controllers | head -n 1)
for a in transport address tls_key tls_configured_key tls_keyring; do
	[ -r "/sys/class/nvme/$ctrl/$a" ] &&
		say "$ctrl/$a: $(cat "/sys/class/nvme/$ctrl/$a" 2>&1)"
done
clients=$(log_count 'upcall: client psk handshake .* done$')
servers=$(log_count 'upcall: server psk handshake .* done$')
[ "$refusals" = "$(log_count 'failed, DONE')" ] || say "ktlsd refused more than the plaintext host"
check "ktlsd did the host's handshakes ($clients) and the target's ($servers), one per queue each" \
	[ "$clients" -ge 2 -a "$servers" -ge 2 -a "$clients" = "$servers" ]
cur1=$(tls_stat TlsCurrTxSw)
check "both ends of every queue are in kernel TLS (TlsCurrTxSw $cur0 -> $cur1)" \
	[ "$clients" -ge 2 -a "$cur1" -eq $((cur0 + 2 * clients)) ]

head -c $((mib * 1048576)) /dev/urandom > "$work/src.bin"
want=$(sha "$work/src.bin")
say "test data: $mib MiB, sha256 $want"
t0=$(now)
[ -n "$dev" ] && dd if="$work/src.bin" of="$dev" bs=1M count=$mib conv=fsync \
	2> "$work/dd.log"
rc=$?
check "wrote $mib MiB to $dev (exit $rc, $(elapsed "$t0")s)" [ $rc -eq 0 ]
sync
head -c $((mib * 1048576)) "$img" > "$work/target.bin"
check "the target's file holds the same bytes (SHA-256)" \
	[ "$(sha "$work/target.bin")" = "$want" ]
echo 3 > /proc/sys/vm/drop_caches
t0=$(now)
[ -n "$dev" ] && dd if="$dev" of="$work/back.bin" bs=1M count=$mib 2>> "$work/dd.log"
got=$(sha "$work/back.bin")
say "sha256 read back $got ($(elapsed "$t0")s)"
check "read back from $dev after drop_caches, intact (SHA-256)" [ "$got" = "$want" ]
tx1=$(tls_stat TlsTxSw) rx1=$(tls_stat TlsRxSw)
check "kernel TLS carried it: TlsTxSw $tx0 -> $tx1, TlsRxSw $rx0 -> $rx1" \
	[ "$clients" -ge 2 -a "$tx1" -ge $((tx0 + 2 * clients)) -a \
	  "$rx1" -ge $((rx0 + 2 * clients)) ]
sed 's/^/#   /' /proc/net/tls_stat

t0=$(now)
[ -n "$ctrl" ] && echo 1 > "/sys/class/nvme/$ctrl/delete_controller"
check "disconnected $ctrl ($(elapsed "$t0")s)" [ -n "$ctrl" -a -z "$(controllers)" ]
i=0
while [ "$(tls_stat TlsCurrTxSw)" -gt "$cur0" ] && [ $i -lt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
check "every kTLS socket closed (TlsCurrTxSw back to $cur0)" \
	[ "$(tls_stat TlsCurrTxSw)" -eq "$cur0" ]

# 4. A host whose PSK the target does not have: its own keyring holds
# a key for another host NQN; the target's .nvme has none for it.
host_ring=$("$tests/nvme_key" keyring nvme_tls_test_host)
stranger_psk=$("$tests/nvme_key" add "$host_ring" \
	"NVMe0R01 $stranger $subnqn" "$(hex_key)")
keys="$keys $stranger_psk $host_ring"
t0=$(now)
connect "hostnqn=$stranger,hostid=$stranger_id,keyring=$host_ring,tls"
rc=$?
check "a host with a PSK the target does not know is refused (exit $rc, $(elapsed "$t0")s)" \
	[ $rc -ne 0 ]
check "... with EKEYREJECTED" grep -q 'Key was rejected' "$work/connect.log"
check "... and no controller exists" [ -z "$(controllers)" ]
i=0
while [ "$(log_count 'server psk handshake .* failed, DONE EKEYREJECTED')" = 0 ] &&
	[ $i -lt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
check "ktlsd refused the target's handshake: DONE EKEYREJECTED, naming the identity" \
	grep -q "server psk handshake .* failed, DONE EKEYREJECTED: .*unknown PSK identity \"NVMe0R01 $stranger $subnqn\"" \
	"$work/daemon.log"

# 5. A SHA-384 PSK ("NVMe0R02", 48 bytes): the host prefers it to the
# SHA-256 one, and both ends must then use TLS_AES_256_GCM_SHA384.
hex48=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
psk384=$("$tests/nvme_key" add "$nvme_ring" "NVMe0R02 $hostnqn $subnqn" "$hex48")
keys="$keys $psk384"
t0=$(now)
connect "hostnqn=$hostnqn,hostid=$hostid,tls"
rc=$?
check "the host connects with the SHA-384 PSK (exit $rc, $(elapsed "$t0")s)" [ $rc -eq 0 ]
ctrl=$(controllers | head -n 1)
used=$(cat "/sys/class/nvme/$ctrl/tls_key" 2>/dev/null)
check "... the controller uses it (tls_key $used, the key is $(printf %08x "$psk384"))" \
	[ "$used" = "$(printf %08x "$psk384")" ]
dev=$(wait_namespace)
[ -n "$dev" ] && dd if="$dev" of="$work/back384.bin" bs=1M count=$mib 2>> "$work/dd.log"
check "... and reads the data back intact (SHA-256)" [ "$(sha "$work/back384.bin")" = "$want" ]
[ -n "$ctrl" ] && echo 1 > "/sys/class/nvme/$ctrl/delete_controller"
check "... disconnected" [ -n "$ctrl" -a -z "$(controllers)" ]

stop_daemon
say "dmesg (nvme):"
dmesg | grep -i -E 'nvme|handshake' | tail -n 30 | sed 's/^/#   /'
totals
[ $failed -eq 0 ]
