#!/usr/bin/env bash
# The NFS userland the VM test nfs_tls runs in the guest (rpcbind, exportfs,
# rpc.mountd, rpc.nfsd, mount.nfs), from Debian 12's own packages. They are
# only downloaded and unpacked into the cache (dpkg -x), never installed on
# the host: no NFS service ever runs here. The libraries they need that a
# Debian 12 base system may lack come along in the same tree; the guest list
# (selftests/nfs/nfs_tls.guest) takes files from it as "cache/nfs-userland".
#
# Unpacked once (again when the list below changes); REFRESH=1 fetches again.
. "$(dirname "$0")/common.sh"

dest=$KTLSD_CACHE/nfs-userland
packages=(
	nfs-kernel-server nfs-common rpcbind
	# Their libraries beyond a Debian 12 base system.
	libnfsidmap1 libwrap0 libtirpc3 libnsl2 libevent-core-2.1-7 libsqlite3-0
	libkeyutils1 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0
	# /etc/netconfig (libtirpc), /etc/services and /etc/protocols.
	libtirpc-common netbase
)
programs=(sbin/rpcbind sbin/mount.nfs usr/sbin/exportfs usr/sbin/rpc.mountd
	usr/sbin/rpc.nfsd usr/sbin/nfsdcld)

versions() {
	awk '/^(nfs-common|rpcbind) / {printf "%s%s %s", sep, $1, $2; sep = ", "}' \
		"$dest/versions"
}

if [ -z "${REFRESH:-}" ] && [ -f "$dest/versions" ] &&
	[ "$(cat "$dest/packages" 2>/dev/null)" = "${packages[*]}" ]; then
	say nfs "NFS userland: $(versions)"
	exit 0
fi

host_apt_update
tmp=$KTLSD_CACHE/.nfs-userland.tmp
rm -rf "$tmp"; mkdir -p "$tmp/debs" "$tmp/root"
say nfs "fetching ${packages[*]}"
(cd "$tmp/debs" && host_apt_get -qq download "${packages[@]}") ||
	die "apt-get download ${packages[*]} failed"
for deb in "$tmp"/debs/*.deb; do
	dpkg -x "$deb" "$tmp/root"
	dpkg-deb --showformat='${Package} ${Version}\n' -W "$deb" >> "$tmp/versions"
done
rm -rf "$tmp/debs"
echo "${packages[*]}" > "$tmp/packages"

# Every program must find each library here or on the host; say which not.
libpath=$tmp/root/lib/x86_64-linux-gnu:$tmp/root/usr/lib/x86_64-linux-gnu
for p in "${programs[@]}"; do
	[ -x "$tmp/root/$p" ] || die "the NFS packages no longer ship /$p"
	missing=$(LD_LIBRARY_PATH=$libpath ldd "$tmp/root/$p" |
		awk '/not found/ {print $1}' | paste -sd' ')
	[ -z "$missing" ] ||
		die "/$p needs $missing: add the package that ships it to the list in $0"
done

rm -rf "$dest"; mv "$tmp" "$dest"
say nfs "NFS userland: $(versions)"
