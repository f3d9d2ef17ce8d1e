#!/usr/bin/env bash
# The post-quantum peer of the interop test: Debian 13's OpenSSL 3.5
# (openssl + libssl3t64), which offers X25519MLKEM768 first by default.
# Downloaded through the private apt list and unpacked into the cache
# (dpkg -x), never installed on the host. Its libraries are built for
# trixie's glibc, newer than the host's, and share libssl.so.3's soname
# with the host's OpenSSL 3.0: so the tree keeps them apart, in
# root/opt/openssl35/lib with trixie's libc and loader, and the program
# runs through that loader (not executable itself):
#   /opt/openssl35/lib/ld-linux-x86-64.so.2 --library-path /opt/openssl35/lib \
#       /opt/openssl35/bin/openssl ...
# The interop guest list takes these files as "cache/openssl35 /opt/...".
#
# Unpacked once (again when the list below changes); REFRESH=1 fetches again.
. "$(dirname "$0")/common.sh"

dest=$KTLSD_CACHE/openssl35
packages=(openssl libssl3t64 libc6 libzstd1 zlib1g)
libs=(ld-linux-x86-64.so.2 libc.so.6 libssl.so.3 libcrypto.so.3 libzstd.so.1
	libz.so.1)
opt=root/opt/openssl35

versions() {
	awk '/^(openssl|libssl3t64) / {printf "%s%s %s", sep, $1, $2; sep = ", "}' \
		"$dest/versions"
}

if [ -z "${REFRESH:-}" ] && [ -f "$dest/versions" ] &&
	[ "$(cat "$dest/packages" 2>/dev/null)" = "${packages[*]}" ]; then
	say openssl "OpenSSL 3.5: $(versions)"
	exit 0
fi

private_apt_update
tmp=$KTLSD_CACHE/.openssl35.tmp
rm -rf "$tmp"; mkdir -p "$tmp/debs" "$tmp/unpacked" "$tmp/$opt/bin" "$tmp/$opt/lib"
say openssl "fetching ${packages[*]} (trixie)"
(cd "$tmp/debs" && papt_get -qq download "${packages[@]/%//trixie}") ||
	die "apt-get download ${packages[*]} from trixie failed"
for deb in "$tmp"/debs/*.deb; do
	dpkg -x "$deb" "$tmp/unpacked"
	dpkg-deb --showformat='${Package} ${Version}\n' -W "$deb" >> "$tmp/versions"
done
echo "${packages[*]}" > "$tmp/packages"

cp -L "$tmp/unpacked/usr/bin/openssl" "$tmp/$opt/bin/openssl"
for lib in "${libs[@]}"; do
	src=$(find "$tmp/unpacked" -name "$lib" | head -n 1)
	[ -n "$src" ] || die "no $lib in ${packages[*]}: add the package that ships it to $0"
	cp -L "$src" "$tmp/$opt/lib/$lib"
done
rm -rf "$tmp/debs" "$tmp/unpacked"
# Only the loader is executed; the rest is read by it. Not executable, so
# the guest builder does not ask the host's ldd about trixie binaries
# (which it cannot load).
chmod 644 "$tmp/$opt/bin/openssl" "$tmp/$opt/lib/"lib*

run="$tmp/$opt/lib/ld-linux-x86-64.so.2 --library-path $tmp/$opt/lib $tmp/$opt/bin/openssl"
ver=$($run version) || die "trixie's openssl does not run from $tmp/$opt"
case $ver in
"OpenSSL 3."[5-9]*) ;;
*) die "trixie's openssl is \"$ver\", not 3.5 or later" ;;
esac
$run list -kem-algorithms | grep -q 'ML-KEM-768' ||
	die "this OpenSSL has no ML-KEM-768"

rm -rf "$dest"; mv "$tmp" "$dest"
say openssl "OpenSSL 3.5: $(versions)"
