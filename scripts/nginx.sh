#!/usr/bin/env bash
# The competitor make bench measures: Debian 12's nginx (1.22.1, with its
# OpenSSL 3.0 libssl3, which can hand records to kernel TLS), downloaded and
# unpacked into the cache (dpkg -x), never installed on the host: no nginx
# service ever runs here. The guest list of the benchmark takes the binary
# from this tree as "cache/nginx /usr/sbin/nginx"; its libraries (libssl3,
# libpcre2, zlib, libcrypt) come from the same tree.
#
# Unpacked once (again when the list below changes); REFRESH=1 fetches again.
. "$(dirname "$0")/common.sh"

dest=$KTLSD_CACHE/nginx
packages=(nginx libssl3 libpcre2-8-0 zlib1g libcrypt1)
program=usr/sbin/nginx

versions() {
	awk '/^(nginx|libssl3) / {printf "%s%s %s", sep, $1, $2; sep = ", "}' \
		"$dest/versions"
}

if [ -z "${REFRESH:-}" ] && [ -f "$dest/versions" ] &&
	[ "$(cat "$dest/packages" 2>/dev/null)" = "${packages[*]}" ]; then
	say nginx "nginx: $(versions)"
	exit 0
fi

host_apt_update
tmp=$KTLSD_CACHE/.nginx.tmp
rm -rf "$tmp"; mkdir -p "$tmp/debs" "$tmp/root"
say nginx "fetching ${packages[*]}"
(cd "$tmp/debs" && host_apt_get -qq download "${packages[@]}") ||
	die "apt-get download ${packages[*]} failed"
for deb in "$tmp"/debs/*.deb; do
	dpkg -x "$deb" "$tmp/root"
	dpkg-deb --showformat='${Package} ${Version}\n' -W "$deb" >> "$tmp/versions"
done
rm -rf "$tmp/debs"
echo "${packages[*]}" > "$tmp/packages"

[ -x "$tmp/root/$program" ] || die "the nginx package no longer ships /$program"
libpath=$tmp/root/lib/x86_64-linux-gnu:$tmp/root/usr/lib/x86_64-linux-gnu
missing=$(LD_LIBRARY_PATH=$libpath ldd "$tmp/root/$program" |
	awk '/not found/ {print $1}' | paste -sd' ')
[ -z "$missing" ] ||
	die "/$program needs $missing: add the package that ships it to the list in $0"
# kTLS in OpenSSL 3.0 goes through SSL_sendfile; a libssl without it
# cannot be the "nginx with OpenSSL kTLS" row.
# grep -q would stop reading early: nm then dies of SIGPIPE, and pipefail
# takes that for a libssl without it.
nm -D "$tmp/root/usr/lib/x86_64-linux-gnu/libssl.so.3" | grep -w SSL_sendfile > /dev/null ||
	die "this libssl3 has no SSL_sendfile (built without kTLS)"

rm -rf "$dest"; mv "$tmp" "$dest"
say nginx "nginx: $(versions)"
