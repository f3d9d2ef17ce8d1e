#!/usr/bin/env bash
# Build WolfSSL from Debian's (security-patched) source package, with Debian's
# own configure flags plus what ktlsd needs and Debian leaves off:
#   --enable-aesni --enable-intelasm   a fair AES-NI userspace baseline
#   --enable-sp --enable-sp-asm        single-precision x86-64 math for P-256,
#                                      RSA-2048/3072: measured 2.7-3.6x faster
#                                      P-256 sign/verify and 3x RSA-2048 signs
#                                      than Debian's generic math
#   -DHAVE_SECRET_CALLBACK             TLS 1.3 traffic secrets for our key schedule
#   -DWOLFSSL_EARLY_DATA               0-RTT (Debian's --enable-distro forces
#                                      --enable-earlydata off, so we define it)
# The result goes to $KTLSD_CACHE/wolfssl/prefix; our build links it statically.
# The cache is keyed on the source version and these flags: change either and
# the next run rebuilds.
. "$(dirname "$0")/common.sh"

dest=$KTLSD_CACHE/wolfssl
prefix=$dest/prefix
our_cppflags="-DHAVE_SECRET_CALLBACK -DWOLFSSL_EARLY_DATA"
our_configure="--enable-distro --enable-pkcs11 --disable-examples --enable-aesni --enable-intelasm --enable-static --disable-shared --disable-crypttests --enable-sp --enable-sp-asm"
stamp="$our_cppflags $our_configure"

if [ -f "$dest/version" ] && [ -f "$prefix/include/wolfssl/options.h" ] &&
   [ "$(cat "$dest/flags" 2>/dev/null)" = "$stamp" ]; then
	say wolfssl "$(cat "$dest/version") (cached)"
	exit 0
fi

private_apt_update
tmp=$KTLSD_CACHE/.wolfssl.tmp
rm -rf "$tmp"; mkdir -p "$tmp"
say wolfssl "fetching Debian's wolfssl source package"
(cd "$tmp" && papt_get -qq source wolfssl >/dev/null 2>&1) || die "apt-get source wolfssl failed"
src=$(find "$tmp" -maxdepth 1 -type d -name 'wolfssl-*' | head -n 1)
[ -n "$src" ] || die "apt-get source wolfssl produced no source tree"
version=$(cd "$src" && dpkg-parsechangelog -S Version)

# Debian's flags (debian/rules: --enable-distro --enable-pkcs11
# --disable-examples) and its hardened compiler flags.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS="$(dpkg-buildflags --get CFLAGS)"
CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS) $our_cppflags"
LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"
export CFLAGS CPPFLAGS LDFLAGS

say wolfssl "building $version (configure + make, about a minute)"
(
	cd "$src"
	[ -x configure ] || ./autogen.sh >/dev/null 2>&1
	# shellcheck disable=SC2086 # one word per flag
	./configure --prefix="$prefix" $our_configure \
		>"$tmp/configure.log" 2>&1 || { tail -n 20 "$tmp/configure.log"; exit 1; }
	make -j"$(nproc)" >"$tmp/build.log" 2>&1 || { tail -n 40 "$tmp/build.log"; exit 1; }
	rm -rf "$prefix"
	make install >"$tmp/install.log" 2>&1 || { tail -n 20 "$tmp/install.log"; exit 1; }
	# make install may leave out the generated options.h.
	cp wolfssl/options.h "$prefix/include/wolfssl/options.h"
) || die "building wolfssl $version failed (logs in $tmp)"

grep -q 'HAVE_SECRET_CALLBACK' "$prefix/include/wolfssl/options.h" ||
	die "wolfssl $version was built without HAVE_SECRET_CALLBACK"
grep -q 'WOLFSSL_AESNI' "$prefix/include/wolfssl/options.h" ||
	die "wolfssl $version was built without AES-NI"
grep -q 'WOLFSSL_SP_X86_64_ASM' "$prefix/include/wolfssl/options.h" ||
	die "wolfssl $version was built without the x86-64 SP math"
grep -q 'WOLFSSL_EARLY_DATA' "$prefix/include/wolfssl/options.h" ||
	die "wolfssl $version was built without early data (0-RTT)"
echo "$version" > "$dest/version"
echo "$stamp" > "$dest/flags"
rm -rf "$tmp"
say wolfssl "$version with AES-NI and the TLS 1.3 secret callback"
