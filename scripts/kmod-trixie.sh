#!/usr/bin/env bash
# kmod-trixie.sh OUTDIR FILE...: build kmod/ for the newest VM kernel in
# the trixie root (scripts/trixie-root.sh, run by make deps) and leave the
# modules in OUTDIR. FILEs are the module sources, relative to the top of
# the tree (the current directory); they are copied into a scratch
# directory inside the root, which goes whatever happens. Called by
# selftests/kmod/build.mk.
. "$(dirname "$0")/common.sh"

out=${1:?usage: kmod-trixie.sh OUTDIR FILE...}
shift
kdir=$KTLSD_CACHE/kernels/newest
root=$(cat "$kdir/trixie-root" 2>/dev/null) || root=
hdrs=$(cat "$kdir/headers" 2>/dev/null) || hdrs=
if [ -z "$root" ] || [ ! -f "$root$hdrs/Makefile" ]; then
	die "no trixie root with the newest kernel's headers in $KTLSD_CACHE: run 'make deps'"
fi

src=$(mktemp -d "$root/tmp/ktlsd-kmod.XXXXXX")
trap 'rm -rf "$src"' EXIT
cp --parents "$@" "$src/"
# As for 6.12 (build.mk): no BTF in the modules, they load without it.
bash "$(dirname "$0")/in-trixie-root.sh" "$root" make -s -C "$hdrs" \
	M="/tmp/${src##*/}" CONFIG_DEBUG_INFO_BTF_MODULES= modules
mkdir -p "$out"
cp "$src"/kmod/*.ko "$out/"
