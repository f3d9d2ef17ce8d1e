#!/usr/bin/env bash
# Build WolfSSL from Debian's source package of a pinned release (see
# README: "Why WolfSSL 5.9"), with Debian's base configure flags plus what
# ktlsd needs and Debian leaves off:
#   --enable-aesni --enable-intelasm   a fair AES-NI userspace baseline
#                                      (Debian 5.9 builds --disable-asm)
#   --enable-sp --enable-sp-asm        single-precision x86-64 math for P-256,
#                                      RSA-2048/3072: measured 2.7-3.6x faster
#                                      P-256 sign/verify and 3x RSA-2048 signs
#                                      than Debian's generic math
#   --with-pic                         position-independent static objects:
#                                      libktls.so links them in
#   -DHAVE_SECRET_CALLBACK             TLS 1.3 traffic secrets for our key schedule
#   -DWOLFSSL_EARLY_DATA               0-RTT (Debian's --enable-distro forces
#                                      --enable-earlydata off, so we define it)
#   -DWOLFSSL_TLS13_MIDDLEBOX_COMPAT   RFC 8446 §D.4: the dummy CCS (no
#                                      configure switch; off by default)
#   -DMAX_HANDSHAKE_SZ=131396          a ClientHello as long as OpenSSL takes;
#                                      wolfssl-patches/keep-shared-lists.patch
#                                      keeps the suites and schemes we share
#                                      from lists longer than WolfSSL's arrays
#                                      (docs/internals.md, "Large and odd
#                                      ClientHellos")
#   CFLAGS -UHAVE_MAX_FRAGMENT         no max_fragment_length (RFC 6066): a
#                                      server that acknowledged it would owe
#                                      the peer small records, and kernel TLS
#                                      sends 2^14 (docs/internals.md, "Record
#                                      sizes"). --enable-distro turns on the
#                                      nginx/stunnel sets, which force
#                                      -DHAVE_MAX_FRAGMENT past
#                                      --disable-maxfragment; configure puts
#                                      CFLAGS after its own flags on every
#                                      compile line and last in options.h, so
#                                      the -U wins in both.
# ML-KEM and the hybrid groups (X25519MLKEM768, SecP256r1MLKEM768) are on by
# default in 5.9; the build is checked for them below.
#
# The release is pinned, not "whatever unstable has today": unstable moves
# (and a mirror may list a revision its pool does not have yet), and every
# test in make check was run against this one. The .dsc is checked against
# the SHA-256 below and dpkg-source checks the tarballs against the .dsc.
# Bump both lines together, deliberately.
# The result goes to $KTLSD_CACHE/wolfssl/prefix; our build links it statically.
# The cache is keyed on the version and these flags: change either and the
# next run rebuilds.
. "$(dirname "$0")/common.sh"

dest=$KTLSD_CACHE/wolfssl
prefix=$dest/prefix
wolfssl_version=5.9.2-1
wolfssl_dsc_sha256=6fc35cea9c1685d1450ef775a8e70c3d446d5081b7988e98f9a6c58e592fe42f
our_cppflags="-DHAVE_SECRET_CALLBACK -DWOLFSSL_EARLY_DATA -DWOLFSSL_TLS13_MIDDLEBOX_COMPAT -DMAX_HANDSHAKE_SZ=131396"
our_cflags="-UHAVE_MAX_FRAGMENT"
our_configure="--enable-distro --enable-pkcs11 --disable-examples --enable-aesni --enable-intelasm --enable-static --disable-shared --disable-crypttests --enable-sp --enable-sp-asm --with-pic"
# Our patches to WolfSSL (scripts/wolfssl-patches/*.patch), each saying why.
patches=$(ls "$(dirname "$0")"/wolfssl-patches/*.patch 2>/dev/null | sort)
# shellcheck disable=SC2086 # one word per file
patch_sums=$([ -z "$patches" ] || sha256sum $patches | cut -c1-16 | tr '\n' ' ')
stamp="$wolfssl_version $our_cppflags $our_cflags $our_configure${patch_sums:+ patches $patch_sums}"

if [ -f "$dest/version" ] && [ -f "$prefix/include/wolfssl/options.h" ] &&
   [ "$(cat "$dest/flags" 2>/dev/null)" = "$stamp" ]; then
	say wolfssl "$(cat "$dest/version") (cached)"
	exit 0
fi

tmp=$KTLSD_CACHE/.wolfssl.tmp
rm -rf "$tmp"; mkdir -p "$tmp"
pool=${DEBIAN_MIRROR:-http://deb.debian.org}/debian/pool/main/w/wolfssl
dsc=wolfssl_$wolfssl_version.dsc
say wolfssl "fetching Debian's wolfssl $wolfssl_version source package"
fetch() {
	curl -fsS --retry 3 -o "$tmp/$1" "$pool/$1" ||
		die "cannot download $pool/$1 (is the release still in Debian's pool? bump wolfssl_version in $0)"
}
fetch "$dsc"
echo "$wolfssl_dsc_sha256  $tmp/$dsc" | sha256sum -c --quiet - ||
	die "$dsc does not have the SHA-256 pinned in $0: refusing to build it"
# Every file the .dsc lists (tarballs and the upstream signature).
for f in $(awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 }
		on { print $3 }' "$tmp/$dsc"); do
	fetch "$f"
done
# The signature is the Debian maintainer's (not in the archive keyring);
# the pinned hash stands in for it, and dpkg-source checks the tarballs.
(cd "$tmp" && dpkg-source -x "$dsc" >"$tmp/unpack.log" 2>&1) ||
	{ cat "$tmp/unpack.log"; die "dpkg-source -x $dsc failed"; }
src=$(find "$tmp" -maxdepth 1 -type d -name 'wolfssl-*' | head -n 1)
[ -n "$src" ] || die "dpkg-source produced no source tree"
for p in $patches; do
	patch -d "$src" -p1 --quiet < "$p" || die "$p does not apply to wolfssl $wolfssl_version"
done
version=$(cd "$src" && dpkg-parsechangelog -S Version)

# Debian's base flags (debian/rules: --enable-distro --enable-pkcs11
# --disable-examples; not its ECH/JNI/QUIC/Qt extras) and its hardened
# compiler flags.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS="$(dpkg-buildflags --get CFLAGS) $our_cflags"
CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS) $our_cppflags"
LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"
export CFLAGS CPPFLAGS LDFLAGS

say wolfssl "building $version (configure + make, about four minutes on 2 cores)"
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
grep -q 'WOLFSSL_HAVE_MLKEM' "$prefix/include/wolfssl/options.h" &&
	grep -q 'WOLFSSL_PQC_HYBRIDS' "$prefix/include/wolfssl/options.h" ||
	die "wolfssl $version was built without ML-KEM hybrid groups"
# The library must not know max_fragment_length at all (a server would
# acknowledge it), and options.h must say so to our compiles too.
! nm "$prefix/lib/libwolfssl.a" | grep -q ' T TLSX_UseMaxFragment$' ||
	die "wolfssl $version was built with max_fragment_length (HAVE_MAX_FRAGMENT)"
printf '#include <wolfssl/options.h>\n#ifdef HAVE_MAX_FRAGMENT\n#error\n#endif\n' |
	cc -fsyntax-only -I"$prefix/include" -x c - ||
	die "wolfssl $version: options.h still defines HAVE_MAX_FRAGMENT"
echo "$version" > "$dest/version"
echo "$stamp" > "$dest/flags"
rm -rf "$tmp"
say wolfssl "$version with AES-NI, ML-KEM hybrids and the TLS 1.3 secret callback"
