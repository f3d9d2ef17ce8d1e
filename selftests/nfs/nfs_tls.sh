#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# NFS over TLS, run in the VM (busybox sh) as the test nfs_tls: the kernel
# NFS server (nfsd) exports a directory on tmpfs, the kernel NFS client
# mounts it over 127.0.0.1 with xprtsec=tls, and our daemon answers both
# handshake upcalls: ktlsd with an [upcall] section (the client's request,
# anonymous, checking the server's certificate for "localhost"; the
# server's, x509 with the test PKI's server.pem). Debian 12's nfs-utils and rpcbind come from the cache
# (scripts/nfs-userland.sh); the NFS modules from the kernel's own tree
# (nfs_tls.guest: "module" entries, loaded here, not at every boot).
#
# Checks: the mount says xprtsec=tls; the daemon served a client and a
# server handshake; /proc/net/tls_stat counts both sockets in kernel TLS;
# a file of $NFS_TLS_MIB MiB written through the mount is the same
# (SHA-256) on the server's disk, and read back through a fresh mount
# after drop_caches (two more handshakes); with no daemon, or a server
# certificate the client cannot trust, the mount fails. xprtsec=mtls: the
# client's certificate (client.pem) is accepted, one from an unknown CA
# refused by the server's side.
#
# Linux 6.1 has no RPC-with-TLS in sunrpc (xprtsec= came in 6.5, on
# net/handshake from 6.4): there the whole test is skipped, saying so.
#
# Environment: KTLSD_TEST_CERTS (the test PKI), KTLSD_BIN (ktlsd),
# NFS_TLS_MIB (default 4).
# Prints KTAP; exits 0 only if no step failed.
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

certs=${KTLSD_TEST_CERTS:-/ktlsd/test-certs}
bin=${KTLSD_BIN:-/ktlsd/bin}
mib=${NFS_TLS_MIB:-4}
modlist=/ktlsd/modules.d/nfs_tls.load
work=${TMPDIR:-/tmp}/nfs_tls
export_dir=$work/export
mnt=$work/mnt
n=0 failed=0 skipped=0 daemon_pid='' mountd_pid='' nfsdcld_pid='' rpcbind_pid=''

. "$(dirname "$0")/guest-ktap.sh"

cleanup() {
	umount "$mnt" 2>/dev/null
	[ -e /proc/fs/nfsd/threads ] && rpc.nfsd 0 2>/dev/null
	for p in $daemon_pid $mountd_pid $nfsdcld_pid $rpcbind_pid; do
		kill "$p" 2>/dev/null
	done
	exportfs -ua 2>/dev/null
	umount /proc/fs/nfsd /var/lib/nfs/rpc_pipefs 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# load_modules: the NFS modules in the order run-vm.sh resolved them.
load_modules() {
	[ -s "$modlist" ] || { say "no module list $modlist"; return 1; }
	while read -r ko; do
		[ -d "/sys/module/${ko%.ko}" ] && continue
		insmod "/ktlsd/modules/$ko" || { say "insmod $ko failed"; return 1; }
	done < "$modlist"
}

# start_daemon CERT KEY [CLIENT_CERT CLIENT_KEY]: our handshake daemon,
# answering the kernel's upcalls: the server side with CERT, the client
# side trusting the test CA; with CLIENT_CERT, mutual TLS: the client side
# presents it, the server side requires a client certificate from the CA.
start_daemon() {
	{
		printf '[global]\nlog = stderr\nloglevel = info\n\n'
		printf '[upcall]\nenable = yes\n'
		printf 'certificate = %s\nprivate_key = %s\n' "$1" "$2"
		printf 'trust_store = %s\n' "$certs/ca.pem"
		[ $# -eq 4 ] && printf '%s\n' "verify_client = yes" \
			"client_trust_store = $certs/ca.pem" \
			"client_certificate = $3" "client_private_key = $4"
	} > "$work/ktlsd.conf"
	"$bin/ktlsd" -f -c "$work/ktlsd.conf" 2> "$work/daemon.log" &
	daemon_pid=$!
	ktlsd_ready "$work/daemon.log" "$daemon_pid"
}

# stop_daemon: and keep its log in the test's output.
stop_daemon() {
	kill "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=''
	sed 's/^/# daemon: /' "$work/daemon.log"
}

# handshakes_done ROLE AUTH: how many such handshakes the daemon finished
# (it logs after DONE, so give it up to 5 s to say the first).
handshakes_done() {
	pattern="upcall: $1 $2 handshake .* done\$"
	i=0
	while ! grep -q "$pattern" "$work/daemon.log" && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	grep -c "$pattern" "$work/daemon.log"
}

# logged PATTERN: the daemon logged it, within 5 s (it logs after DONE)
logged() {
	i=0
	while ! grep -q "$1" "$work/daemon.log" && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	grep -q "$1" "$work/daemon.log"
}

# cld_ready PID: nfsdcld has nfsd's upcall pipe open, or an inotify watch
# waiting for it to appear (nfsd gives up on a tracker nobody serves).
cld_ready() {
	for fd in "/proc/$1"/fd/*; do
		case $(readlink "$fd") in
		/var/lib/nfs/rpc_pipefs/nfsd/cld | anon_inode:inotify) return 0 ;;
		esac
	done
	return 1
}
wait_cld_ready() {
	i=0
	while ! cld_ready "$1"; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

# nfs_mount OPTS: mount the server's root; mount.nfs says why it failed.
nfs_mount() {
	mount.nfs4 localhost:/ "$mnt" -o "$1" > "$work/mount.log" 2>&1
	rc=$?
	sed 's/^/# mount.nfs4: /' "$work/mount.log"
	return $rc
}

# try_mount OPTS: 0 if mounted (and unmounts it again).
try_mount() {
	nfs_mount "$1,retry=0" || return 1
	umount "$mnt"
}

# mtls_daemon: ktlsd for mutual TLS, both sides.
mtls_daemon() {
	check "ktlsd runs with verify_client and the client certificate" \
		start_daemon "$certs/server.pem" "$certs/server.key" \
		"$certs/client.pem" "$certs/client.key"
}

echo "TAP version 13"
mkdir -p "$work" "$export_dir" "$mnt" || exit 1

t0=$(now)
if ! load_modules; then
	not_ok "NFS modules loaded"
	totals
	exit 1
fi
ok "NFS modules loaded ($(wc -l < "$modlist") modules, $(elapsed "$t0")s)"

if ! grep -q ' xs_tls_handshake_sync' /proc/kallsyms; then
	skip "NFS over TLS" "Linux $(uname -r) has no NFS TLS consumer at all: sunrpc has no RPC-with-TLS (xprtsec= needs Linux 6.5+, with net/handshake)"
	totals
	exit 0
fi

# What Debian's init scripts and packages would have set up.
mkdir -p /etc /var/lib/nfs/rpc_pipefs /var/lib/nfs/nfsdcld /run/rpcbind
[ -e /etc/mtab ] || ln -s /proc/mounts /etc/mtab
grep -q '^root:' /etc/passwd 2>/dev/null || echo 'root:x:0:0:root:/:/bin/sh' >> /etc/passwd
grep -q '^root:' /etc/group 2>/dev/null || echo 'root:x:0:' >> /etc/group
# Debian's rpcbind drops root for this user, or exits (saying so to syslog).
grep -q '^_rpc:' /etc/passwd || echo '_rpc:x:101:65534::/run/rpcbind:/bin/false' >> /etc/passwd
chown 101 /run/rpcbind
echo 127.0.0.1 localhost > /etc/hosts
mount -t nfsd nfsd /proc/fs/nfsd || { not_ok "nfsd filesystem mounted"; totals; exit 1; }
mount -t rpc_pipefs rpc_pipefs /var/lib/nfs/rpc_pipefs
# Without this the first mount waits out nfsd's 90 s grace period.
echo 10 > /proc/fs/nfsd/nfsv4gracetime
echo 10 > /proc/fs/nfsd/nfsv4leasetime

echo "$export_dir *(rw,fsid=0,no_root_squash,no_subtree_check,insecure)" > /etc/exports
t0=$(now)
rpcbind -f 2> "$work/rpcbind.log" &
rpcbind_pid=$!
check "exportfs -r" exportfs -r
rpc.mountd -F -N 2 -N 3 2> "$work/mountd.log" &
mountd_pid=$!
# nfsd's client tracking: without it nfsd logs that it cannot track
# clients and sits out its whole grace period before the first OPEN;
# with it, knowing no client is due to reclaim, it ends the grace early.
nfsdcld -F 2> "$work/nfsdcld.log" &
nfsdcld_pid=$!
check "nfsdcld is ready for nfsd's upcalls" wait_cld_ready $nfsdcld_pid
rpc.nfsd -N 3 8 2> "$work/nfsd.log"
check "rpc.nfsd started 8 threads (NFSv4 only)" [ "$(cat /proc/fs/nfsd/threads)" = 8 ]
check "rpcbind, rpc.mountd and nfsdcld run" \
	kill -0 $rpcbind_pid $mountd_pid $nfsdcld_pid
say "nfsd versions: $(cat /proc/fs/nfsd/versions); services up in $(elapsed "$t0")s"

check "ktlsd runs, answering the kernel's handshake upcalls" \
	start_daemon "$certs/server.pem" "$certs/server.key"

# 1. xprtsec=tls: a file through the mount, intact on the server's disk.
head -c $((mib * 1048576)) /dev/urandom > "$work/src.bin"
want=$(sha "$work/src.bin")
say "test file: $mib MiB, sha256 $want"
tx0=$(tls_stat TlsTxSw) rx0=$(tls_stat TlsRxSw) cur0=$(tls_stat TlsCurrTxSw)
t0=$(now)
nfs_mount vers=4.2,xprtsec=tls,retry=0
rc=$?
check "mount.nfs4 localhost:/ -o vers=4.2,xprtsec=tls (exit $rc, $(elapsed "$t0")s)" [ $rc -eq 0 ]
check "the mount says xprtsec=tls" grep -q " $mnt nfs4 .*xprtsec=tls" /proc/mounts
grep " $mnt " /proc/mounts | sed 's/^/# /'
check "the daemon served a client (unauth) and a server (x509) handshake" \
	[ "$(handshakes_done client unauth)" = 1 -a "$(handshakes_done server x509)" = 1 ]
cur1=$(tls_stat TlsCurrTxSw)
check "both sockets are in kernel TLS (TlsCurrTxSw $cur0 -> $cur1)" \
	[ "$cur1" -eq $((cur0 + 2)) ]

t0=$(now)
cp "$work/src.bin" "$mnt/data.bin" && sync
rc=$?
check "wrote $mib MiB through the mount (exit $rc, $(elapsed "$t0")s)" [ $rc -eq 0 ]
check "the server's file is the same (SHA-256)" [ "$(sha "$export_dir/data.bin")" = "$want" ]

# 2. Read back through a fresh mount, nothing cached on either side.
umount "$mnt"
check "umount" [ $? -eq 0 ]
echo 3 > /proc/sys/vm/drop_caches
t0=$(now)
nfs_mount vers=4.2,xprtsec=tls,retry=0
check "mounted again with xprtsec=tls ($(elapsed "$t0")s)" [ $? -eq 0 ]
t0=$(now)
got=$(sha "$mnt/data.bin")
say "sha256 read back $got ($(elapsed "$t0")s)"
check "read back through the mount intact (SHA-256)" [ "$got" = "$want" ]
tx1=$(tls_stat TlsTxSw) rx1=$(tls_stat TlsRxSw)
check "kernel TLS carried it: TlsTxSw $tx0 -> $tx1, TlsRxSw $rx0 -> $rx1 (2 sockets a mount)" \
	[ "$tx1" -ge $((tx0 + 4)) -a "$rx1" -ge $((rx0 + 4)) ]
umount "$mnt"
sed 's/^/#   /' /proc/net/tls_stat

# 3. Never plaintext instead: with no daemon to ask, or a server
# certificate the client cannot trust, the mount must fail.
stop_daemon
t0=$(now)
nfs_mount vers=4.2,xprtsec=tls,retry=0
rc=$?
check "no handshake daemon: mount refused (exit $rc, $(elapsed "$t0")s)" [ $rc -ne 0 ]
check "... with ESRCH, the kernel's \"nobody listens for handshakes\"" \
	grep -q 'No such process' "$work/mount.log"
grep -q " $mnt " /proc/mounts && umount "$mnt"
check "ktlsd runs with a server certificate from an unknown CA" \
	start_daemon "$certs/unknownca.pem" "$certs/unknownca.key"
t0=$(now)
nfs_mount vers=4.2,xprtsec=tls,retry=0
rc=$?
check "a server certificate from an unknown CA: mount refused (exit $rc, $(elapsed "$t0")s)" \
	[ $rc -ne 0 ]
check "the daemon said why" logged 'unknown authority'
stop_daemon

# 4. xprtsec=mtls: the client presents the test PKI's client certificate,
# which the server's side requires and checks against the CA. Debian 12's
# exportfs cannot ask an export for mtls (no xprtsec= option before
# nfs-utils 2.6.4): here the daemon's verify_client is what demands it.
mtls_daemon
t0=$(now)
nfs_mount vers=4.2,xprtsec=mtls,retry=0
rc=$?
check "mount.nfs4 -o vers=4.2,xprtsec=mtls (exit $rc, $(elapsed "$t0")s)" [ $rc -eq 0 ]
check "the mount says xprtsec=mtls" grep -q " $mnt nfs4 .*xprtsec=mtls" /proc/mounts
check "the daemon served a client (x509) and a server (x509) handshake" \
	[ "$(handshakes_done client x509)" = 1 -a "$(handshakes_done server x509)" = 1 ]
check "read through the mtls mount intact (SHA-256)" [ "$(sha "$mnt/data.bin")" = "$want" ]
grep -q " $mnt " /proc/mounts && umount "$mnt"
# Anonymous and x509 client requests to one daemon, in both orders: each
# must get its own kind of handshake whatever came before it.
check "a client without a certificate (xprtsec=tls, after mtls): mount refused" \
	not try_mount vers=4.2,xprtsec=tls
stop_daemon
mtls_daemon
check "a client without a certificate (xprtsec=tls, first): mount refused" \
	not try_mount vers=4.2,xprtsec=tls
check "xprtsec=mtls right after it: mounted" try_mount vers=4.2,xprtsec=mtls
stop_daemon

# The server's side must refuse a client certificate it cannot trust.
check "ktlsd runs with a client certificate from an unknown CA" \
	start_daemon "$certs/server.pem" "$certs/server.key" \
	"$certs/client-unknownca.pem" "$certs/client-unknownca.key"
t0=$(now)
nfs_mount vers=4.2,xprtsec=mtls,retry=0
rc=$?
check "a client certificate from an unknown CA: mount refused (exit $rc, $(elapsed "$t0")s)" \
	[ $rc -ne 0 ]
check "the daemon's server side said why" logged 'server x509 .*unknown authority'
stop_daemon

if [ $failed -ne 0 ]; then
	for f in rpcbind mountd nfsdcld nfsd; do
		sed "s/^/# $f: /" "$work/$f.log"
	done
	dmesg | tail -n 30 | sed 's/^/# dmesg: /'
fi
totals
[ $failed -eq 0 ]
