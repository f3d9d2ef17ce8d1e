#!/usr/bin/env bash
# The second competitor of make bench's native handshake section: Debian
# 13's nginx 1.26 with its OpenSSL 3.5 (libssl3t64), which offers and takes
# X25519MLKEM768. Downloaded from Debian's pool and unpacked into the cache
# (dpkg -x), never installed on the host. Built for trixie's glibc, newer
# than the host's, and sharing libssl.so.3's soname with the host's OpenSSL
# 3.0: so the tree keeps them apart, in root/opt/nginx126/lib with
# trixie's libc and loader, and nginx runs through that loader:
#   /opt/nginx126/lib/ld-linux-x86-64.so.2 --library-path /opt/nginx126/lib \
#       /opt/nginx126/sbin/nginx ...
# (nginx forks its workers and never executes itself again, so the loader
# stays in charge.)
#
# The packages are pinned by version and SHA-256 (taken from trixie's
# signed Packages lists, 2026-12-04) and fetched straight from the pool, as
# scripts/wolfssl.sh fetches its source: every figure in docs/benchmarks.md
# names these builds. A trixie point release drops superseded builds from
# the pool: then bump the lines below together, deliberately.
#
# Unpacked once (again when the list below changes); REFRESH=1 fetches again.
. "$(dirname "$0")/common.sh"

dest=$KTLSD_CACHE/nginx126
opt=root/opt/nginx126
pool=${DEBIAN_MIRROR:-http://deb.debian.org}/debian
# pool path and SHA-256, one package a line
pins="pool/main/n/nginx/nginx_1.26.3-3+deb13u10_amd64.deb 222f1f296cb91a67323fdca0e37c4f34a7be78d14de043f15b2f76acdd8750a9
pool/main/o/openssl/libssl3t64_3.5.9-1~deb13u1_amd64.deb ffefb9af363e0e4592251b2533eb06453c8e470f7772e40263c4b2129251a6d5
pool/main/p/pcre2/libpcre2-8-0_10.46-1~deb13u3_amd64.deb e226f661d918f04daf38cdbc4806b7ed7d6ef95c7eb0ade692fc350e31970040
pool/main/libx/libxcrypt/libcrypt1_4.4.38-1_amd64.deb 0ebc144d662e3197982d1bf3a7b8b35ca845e54c68811de0328b1f0d7c67585c
pool/main/z/zlib/zlib1g_1.3.dfsg+really1.3.1-1+deb13u1_amd64.deb 8c27c342230503b73dfde629642c3b352e87b554e06d60cf58772f236a305ceb
pool/main/g/glibc/libc6_2.41-12+deb13u5_amd64.deb b59b0625cd1a791375d40dab23a4d5d3d0641e3d0a773501becdc3725b7f99cf
pool/main/libz/libzstd/libzstd1_1.5.7+dfsg-1_amd64.deb 2f6a2aeacfc925eba8b00ac9139bc4bfccf8cacb09eb93de067074b26948eef9"
libs=(ld-linux-x86-64.so.2 libc.so.6 libcrypt.so.1 libpcre2-8.so.0 libssl.so.3
	libcrypto.so.3 libzstd.so.1 libz.so.1)

versions() {
	awk '/^(nginx|libssl3t64) / {printf "%s%s %s", sep, $1, $2; sep = ", "}' \
		"$dest/versions"
}

if [ -z "${REFRESH:-}" ] && [ -f "$dest/versions" ] &&
	[ "$(cat "$dest/pins" 2>/dev/null)" = "$pins" ]; then
	say nginx "nginx 1.26: $(versions)"
	exit 0
fi

tmp=$KTLSD_CACHE/.nginx126.tmp
rm -rf "$tmp"; mkdir -p "$tmp/debs" "$tmp/unpacked" "$tmp/$opt/sbin" "$tmp/$opt/lib"
say nginx "fetching nginx 1.26 and OpenSSL 3.5 (trixie) from $pool"
while read -r path sum; do
	deb=$tmp/debs/${path##*/}
	curl -fsS --retry 3 -o "$deb" "$pool/$path" ||
		die "cannot download $pool/$path (superseded in trixie? bump the pins in $0)"
	echo "$sum  $deb" | sha256sum -c --quiet - ||
		die "${path##*/} does not have the SHA-256 pinned in $0: refusing it"
	dpkg -x "$deb" "$tmp/unpacked"
	dpkg-deb --showformat='${Package} ${Version}\n' -W "$deb" >> "$tmp/versions"
done <<< "$pins"

cp -L "$tmp/unpacked/usr/sbin/nginx" "$tmp/$opt/sbin/nginx"
for lib in "${libs[@]}"; do
	src=$(find "$tmp/unpacked" -name "$lib" | head -n 1)
	[ -n "$src" ] || die "no $lib in the pinned packages: add the one that ships it to $0"
	cp -L "$src" "$tmp/$opt/lib/$lib"
done
rm -rf "$tmp/debs" "$tmp/unpacked"
# Only the loader is executed; the rest is read by it (and the host's ldd
# must never be asked about trixie binaries).
chmod 644 "$tmp/$opt/sbin/nginx" "$tmp/$opt/lib/"lib*

run="$tmp/$opt/lib/ld-linux-x86-64.so.2 --library-path $tmp/$opt/lib $tmp/$opt/sbin/nginx"
ver=$($run -V 2>&1) || die "trixie's nginx does not run from $tmp/$opt: $ver"
case $ver in
*"nginx/1.26"*"OpenSSL 3."[5-9]*) ;;
*) die "trixie's nginx is not 1.26 with OpenSSL 3.5+: $(head -n 2 <<< "$ver")" ;;
esac
printf '%s' "$pins" > "$tmp/pins"

rm -rf "$dest"; mv "$tmp" "$dest"
say nginx "nginx 1.26: $(versions)"
