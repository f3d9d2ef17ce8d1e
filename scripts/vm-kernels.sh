#!/usr/bin/env bash
# Fetch the VM test kernels (BRIEF §1) from Debian: 6.1 LTS and 6.12 LTS from
# bookworm, the newest from trixie-backports. Packages are only downloaded and
# unpacked into the cache (dpkg -x), never installed on the host. The 6.1 and
# 6.12 headers come along so kmod/ can be built against them.
#
# Each kernel is resolved once; a cached one is reused. REFRESH=1 re-resolves.
. "$(dirname "$0")/common.sh"

KDIR=$KTLSD_CACHE/kernels
mkdir -p "$KDIR"

newest() { sort -V | tail -n 1; }

# unpack SERIES GETTER PKG... : download PKGs with GETTER and unpack them into
# $KDIR/SERIES/root.
unpack() {
	local series=$1 getter=$2; shift 2
	local tmp=$KDIR/.$series.tmp

	rm -rf "$tmp"; mkdir -p "$tmp/debs" "$tmp/root"
	(cd "$tmp/debs" && "$getter" -qq download "$@") ||
		die "apt-get download $* failed"
	for deb in "$tmp"/debs/*.deb; do
		dpkg -x "$deb" "$tmp/root"
	done
	rm -rf "$tmp/debs"
}

# finish SERIES RELEASE VMLINUZ_PATH : validate and move into place.
finish() {
	local series=$1 release=$2 image=$3
	local tmp=$KDIR/.$series.tmp

	[ -f "$tmp/root/$image" ] || die "$series: no kernel image at $image"
	[ -d "$tmp/root/lib/modules/$release" ] || [ -d "$tmp/root/usr/lib/modules/$release" ] ||
		die "$series: no modules for $release"
	# Extracted trees have no modules.dep; the VM loads modules by name.
	local moddir=lib/modules
	[ -d "$tmp/root/usr/lib/modules/$release" ] && moddir=usr/lib/modules
	depmod -b "$tmp/root" "$release" 2>/dev/null ||
		depmod -b "$tmp/root/usr" "$release" ||
		die "$series: depmod failed"
	ln -sfn "root/$image" "$tmp/vmlinuz"
	ln -sfn "root/$moddir/$release" "$tmp/modules"
	echo "$release" > "$tmp/release"
	rm -rf "${KDIR:?}/$series"
	mv "$tmp" "$KDIR/$series"
}

cached() {
	[ -z "${REFRESH:-}" ] && [ -f "$KDIR/$1/release" ]
}

fetch_61() {
	cached 6.1 && return 0
	host_apt_update
	local image release common kbuild
	image=$(apt-cache depends linux-image-cloud-amd64 |
		sed -n 's/.*Depends: \(linux-image-6\.1\.[^ ]*-cloud-amd64\)$/\1/p' | newest)
	[ -n "$image" ] || die "cannot resolve linux-image-cloud-amd64 to a 6.1 image"
	release=${image#linux-image-}
	common=linux-headers-${release%-cloud-amd64}-common
	kbuild=linux-kbuild-6.1
	say kernel "fetching $image"
	unpack 6.1 host_apt_get "$image" "linux-headers-$release" "$common" "$kbuild"
	finish 6.1 "$release" "boot/vmlinuz-$release"
}

fetch_612() {
	cached 6.12 && return 0
	host_apt_update
	local image release ver
	image=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9.]+\+deb12-cloud-amd64$' |
		awk '{print $1}' | newest)
	[ -n "$image" ] || die "no linux-image-6.12.*+deb12-cloud-amd64 in the bookworm archive"
	release=${image#linux-image-}
	ver=${release%-cloud-amd64}
	say kernel "fetching $image"
	unpack 6.12 host_apt_get "$image" "linux-headers-$release" \
		"linux-headers-$ver-common" "linux-kbuild-$ver"
	finish 6.12 "$release" "boot/vmlinuz-$release"
}

fetch_newest() {
	cached newest && return 0
	private_apt_update
	local image release
	image=$(papt_cache depends linux-image-cloud-amd64 |
		sed -n 's/.*Depends: \(linux-image-[0-9.]*+deb13-cloud-amd64\)$/\1/p' | newest)
	[ -n "$image" ] || die "cannot resolve trixie-backports linux-image-cloud-amd64"
	release=${image#linux-image-}
	say kernel "fetching $image (trixie-backports)"
	# From 7.x the image package is a meta package: kernel, modules and
	# modules.builtin live in three others.
	unpack newest papt_get "linux-binary-$release" "linux-modules-$release" \
		"linux-base-$release"
	finish newest "$release" "usr/lib/modules/$release/vmlinuz"
}

# Debian's headers Makefile includes its -common sibling by absolute path;
# point it into the cache so `make -C .../linux-headers-VER M=...` works.
fix_headers() {
	local mk
	for mk in "$KDIR/$1"/root/usr/src/linux-headers-*/Makefile; do
		[ -f "$mk" ] || continue
		sed -i "s|^include /usr/src/|include $KDIR/$1/root/usr/src/|" "$mk"
	done
	ls -d "$KDIR/$1"/root/usr/src/linux-headers-*-cloud-amd64 > "$KDIR/$1/headers" 2>/dev/null || true
}

fetch_61
fetch_612
fetch_newest
fix_headers 6.1
fix_headers 6.12
for s in 6.1 6.12 newest; do
	say kernel "$s: $(cat "$KDIR/$s/release")"
done
