#!/usr/bin/env bash
# A minimal Debian trixie root in the cache that builds kmod/ for the newest
# VM kernel. That kernel's headers want trixie's gcc-14, and its kbuild
# binaries (fixdep, modpost) are linked against trixie's glibc, so neither
# runs on the Debian 12 host; selftests/kmod/build.mk runs make in this
# root with chroot instead. Nothing from trixie is installed on the host.
#
# Made once per newest kernel (vm-kernels.sh must have run): debootstrap
# --variant=minbase, then make and linux-headers-RELEASE (gcc-14, kbuild and
# the -common headers come along) from trixie-backports with the root's own
# apt. A second run only checks. REFRESH=1 starts again from debootstrap.
. "$(dirname "$0")/common.sh"

ROOT=$KTLSD_CACHE/trixie-root
KDIR=$KTLSD_CACHE/kernels
mirror=${DEBIAN_MIRROR:-http://deb.debian.org}

release=$(cat "$KDIR/newest/release" 2>/dev/null) ||
	die "no newest kernel in $KDIR: run scripts/vm-kernels.sh first"
hdrs=/usr/src/linux-headers-$release
# binutils for the plain `as` and `ld` that gcc-14 and kbuild run.
packages="make binutils linux-headers-$release"

# Where build.mk finds the root and the headers inside it; rewritten on
# every run, since vm-kernels.sh replaces kernels/newest when it refetches.
point() {
	printf '%s\n' "$ROOT" > "$KDIR/newest/trixie-root"
	printf '%s\n' "$hdrs" > "$KDIR/newest/headers"
}

# The stamp holds the package list it was made for: a new kernel or a
# longer list installs again into the same root.
if [ -z "${REFRESH:-}" ] && [ "$(cat "$ROOT/.ktlsd-ready" 2>/dev/null)" = "$packages" ] &&
	[ -f "$ROOT$hdrs/Makefile" ]; then
	point
	say trixie "root ready: $hdrs, $(chroot "$ROOT" x86_64-linux-gnu-gcc-14 -dumpfullversion 2>/dev/null || echo gcc-14)"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || die "the trixie root for $release is missing; debootstrap and chroot need root: run as root"

[ -n "${REFRESH:-}" ] && rm -rf "$ROOT"
log=$KTLSD_CACHE/trixie-root.log
: > "$log"
if [ ! -f "$ROOT/.ktlsd-debootstrap" ]; then
	say trixie "debootstrap --variant=minbase trixie into $ROOT"
	rm -rf "$ROOT.tmp"
	debootstrap --variant=minbase trixie "$ROOT.tmp" "$mirror/debian" >> "$log" 2>&1 ||
		die "debootstrap trixie failed (log: $log)"
	touch "$ROOT.tmp/.ktlsd-debootstrap"
	rm -rf "$ROOT"
	mv "$ROOT.tmp" "$ROOT"
fi

# Kbuild writes to /dev/null and probes the compiler with it: the root needs
# real device nodes (debootstrap inside a container may leave /dev empty).
for dev in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9; do
	IFS=: read -r name major minor <<<"$dev"
	[ -c "$ROOT/dev/$name" ] && continue
	rm -f "$ROOT/dev/$name"
	mknod -m 666 "$ROOT/dev/$name" c "$major" "$minor"
done

printf 'deb %s/debian trixie main\ndeb %s/debian trixie-backports main\n' \
	"$mirror" "$mirror" > "$ROOT/etc/apt/sources.list"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true

in_root() { bash "$(dirname "$0")/in-trixie-root.sh" "$ROOT" \
	env DEBIAN_FRONTEND=noninteractive "$@"; }

say trixie "installing $packages (gcc-14 from trixie, the kernel's from trixie-backports)"
in_root apt-get -qq -o Acquire::Retries=3 update >> "$log" 2>&1 ||
	die "apt-get update in $ROOT failed (log: $log)"
# shellcheck disable=SC2086 # a list of package names
in_root apt-get -qq -y --no-install-recommends install $packages >> "$log" 2>&1 ||
	die "apt-get install $packages in $ROOT failed (log: $log)"
# The downloaded packages and the archive's package lists (90 MB) go:
# a later install runs apt-get update again.
in_root apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/*
[ -f "$ROOT$hdrs/Makefile" ] || die "no $hdrs/Makefile in $ROOT after the install"

printf '%s' "$packages" > "$ROOT/.ktlsd-ready"
point
say trixie "root ready: $hdrs, $(chroot "$ROOT" x86_64-linux-gnu-gcc-14 -dumpfullversion), $(du -sh "$ROOT" | cut -f1)"
