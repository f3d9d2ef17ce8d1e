#!/usr/bin/env bash
# Extract the kselftest harness headers and checkpatch.pl (GPL-2.0) from
# Debian's linux-source-6.12 tarball into the cache. The package is only
# downloaded, never installed; the files are never committed.
. "$(dirname "$0")/common.sh"

dest=$KTLSD_CACHE/kselftest
want=(
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
)

if [ -f "$dest/version" ]; then
	say harness "kselftest from $(cat "$dest/version")"
	exit 0
fi

host_apt_update
pkg=$(apt-cache search --names-only '^linux-source-6\.12$' | awk '{print $1}')
[ -n "$pkg" ] || die "linux-source-6.12 is not in the bookworm archive"
tmp=$KTLSD_CACHE/.kselftest.tmp
rm -rf "$tmp"; mkdir -p "$tmp/deb"
say harness "extracting the kselftest harness from $pkg"
(cd "$tmp/deb" && host_apt_get -qq download "$pkg") || die "apt-get download $pkg failed"
dpkg -x "$tmp"/deb/*.deb "$tmp/deb/root"
tarball=$(ls "$tmp"/deb/root/usr/src/linux-source-6.12*.tar.xz)
top=$(basename "$tarball" .tar.xz)
tar -xJf "$tarball" -C "$tmp" "${want[@]/#/$top/}" || die "cannot extract the harness from $tarball"
mkdir -p "$tmp/out"
for f in "${want[@]}"; do cp "$tmp/$top/$f" "$tmp/out/"; done
dpkg-deb -f "$tmp"/deb/*.deb Version > "$tmp/out/version"
sed -i "s/^/$pkg /" "$tmp/out/version"
rm -rf "$dest"; mv "$tmp/out" "$dest"; rm -rf "$tmp"
say harness "kselftest from $(cat "$dest/version")"
