#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ktls_deb: make deb, then what a Debian user gets. The five packages hold
# the files they should and no file is in two of them; libktls0 is named
# after the library's SONAME and ships a symbols file; lintian finds no
# error or warning; the packages unpack into a scratch root whose dpkg
# database is a copy of the host's, and dpkg --configure --no-act finds
# every Depends met there (among themselves and the host's libraries,
# which the installed programs load: they run with the host's loader).
# Maintainer scripts are not run (none has a preinst; dkms's postinst
# would act on the host's DKMS tree, and ktlsd's on its systemd). From the
# scratch root: ktlsd --version names the package's version and
# ktlsd --check-config accepts the installed /etc/ktlsd/ktlsd.conf, a
# conffile, pointed at the test PKI. DKMS builds the installed
# ktlsd-dkms source for the cached 6.1 headers into ktlsd_handshake.ko
# alone (no test consumer) and refuses 6.12 (BUILD_EXCLUSIVE_KERNEL).
#
# Under make check's ASan pass (KTLSD_BIN an ASan build) nothing is
# packaged from that tree: debian/rules builds its own with
# dpkg-buildflags. The test then checks that the native pass's ktlsd
# package carries no ASan runtime while KTLSD_BIN's ktlsd does.
# Runs from the source tree. Prints KTAP. Environment: KTLSD_BIN
# (BUILD/bin), KTLSD_TEST_CERTS, KTLSD_CACHE.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/guest-ktap.sh"
. "$here/example-config.sh"
bin=${KTLSD_BIN:-build/bin}
build=$(cd "$bin/.." && pwd)
certs=${KTLSD_TEST_CERTS:-$build/test-certs}
cache=${KTLSD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ktlsd}
work=$(mktemp -d "${TMPDIR:-/tmp}/ktls_deb.XXXXXX")
n=0 failed=0 skipped=0
trap 'rm -rf "$work"' EXIT
packages="ktlsd ktls-serve libktls0 libktls-dev ktlsd-dkms"

echo "TAP version 13"
if [ ! -f Makefile ] || [ ! -f debian/control ]; then
	not_ok "run from the source tree with debian/"
	say "cwd $(pwd) is not the ktlsd source tree (selftests/run.sh runs tests there)"
	totals
	exit 1
fi
needs_asan() { readelf -d "$1" 2>/dev/null | grep -q 'NEEDED.*libasan'; }
deb_of() { ls "$1"/"$2"_*_*.deb 2>/dev/null | head -n 1; }

if needs_asan "$bin/ktlsd"; then
	main=$(dirname "$build")
	say "ASan build $build: not packaged; checking $main/deb from the native pass"
	d=$(deb_of "$main/deb" ktlsd)
	check "the native pass built the ktlsd package" test -n "$d"
	if [ -n "$d" ]; then
		dpkg-deb -x "$d" "$work/x"
		check "the packaged ktlsd needs no ASan runtime (KTLSD_BIN's does)" \
			not needs_asan "$work/x/usr/sbin/ktlsd"
	fi
	totals
	[ "$failed" = 0 ]
	exit
fi

# Without the -dbgsym packages: compressing their debug info (WolfSSL's
# included) tripled make deb's time on 2 cores, and they hold no file a
# user installs.
out=$build/deb
start=$SECONDS
DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }noautodbgsym" \
	make -s --no-print-directory BUILD="$build" deb > "$work/make.log" 2>&1
rc=$?
[ "$rc" = 0 ] || sed 's/^/# /' "$work/make.log"
check "make deb" test "$rc" = 0
say "make deb took $((SECONDS - start)) s"
version=$(dpkg-parsechangelog -S Version)
for p in $packages; do
	[ -n "$(deb_of "$out" "$p")" ] || { say "missing: $out/${p}_*.deb"; nodeb=1; }
done
check "make deb writes the five packages to $out" test -z "${nodeb:-}"
if [ -n "${nodeb:-}" ]; then
	totals
	exit 1
fi
left=$(cd .. && ls ./*.deb ./*.changes ./*.buildinfo 2>/dev/null)
[ -z "$left" ] || say "in ..: $left"
check "nothing is left in .." test -z "$left"
left=$(git ls-files --others debian 2>/dev/null)
[ -z "$left" ] || say "left in debian/: $left"
check "dh_clean leaves no build product in debian/" test -z "$left"

# Each package's files (not directories; not its changelog and copyright).
list() {
	dpkg-deb -c "$1" | awk '$1 !~ /^d/ {print substr($6, 2)}' |
		grep -v '^/usr/share/doc/[^/]*/\(changelog\.gz\|copyright\)$' | sort
}
man3=$(for p in man/man3/*.3; do echo "/usr/share/man/man3/${p##*/}.gz"; done)
lib=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)
src=/usr/src/ktlsd-$version
expect_ktlsd="/etc/ktlsd/ktlsd.conf
/lib/systemd/system/ktlsd-tlshd.service
/lib/systemd/system/ktlsd.service
/usr/lib/sysusers.d/ktlsd.conf
/usr/sbin/ktlsd
/usr/share/doc/ktlsd/examples/ktlsd.conf
/usr/share/man/man5/ktlsd.conf.5.gz
/usr/share/man/man8/ktlsd.8.gz
/usr/share/lintian/overrides/ktlsd"
expect_ktls_serve="/usr/bin/ktls-probe
/usr/bin/ktls-serve
/usr/share/man/man1/ktls-probe.1.gz
/usr/share/man/man1/ktls-serve.1.gz"
expect_libktls0="$lib/libktls.so.0
$lib/libktls.so.0.$(echo "$version" | cut -d. -f2-)"
expect_libktls_dev="$lib/libktls.a
$lib/libktls.so
$lib/pkgconfig/ktls.pc
/usr/include/ktls/handoff.h
/usr/include/ktls/ktls.h
$man3
/usr/share/man/man7/libktls.7.gz"
expect_ktlsd_dkms="$src/Kbuild
$src/dkms.conf
$src/include/uapi/linux/handshake.h
$src/kmod/Kbuild
$src/kmod/compat.h
$src/kmod/hs.h
$src/kmod/hs_netlink.c
$src/kmod/hs_request.c
$src/kmod/hs_tls.c
$src/kmod/ktlsd_handshake.h"
for p in $packages; do
	var=expect_$(echo "$p" | tr - _)
	sort <<< "${!var}" > "$work/$p.want"
	list "$(deb_of "$out" "$p")" > "$work/$p.have"
	if diff "$work/$p.want" "$work/$p.have" > "$work/$p.diff"; then
		ok "$p holds its $(wc -l < "$work/$p.have") files"
	else
		not_ok "$p holds its files"
		say "< expected only, > packaged only:"
		sed 's/^/# /' "$work/$p.diff"
	fi
done
for d in "$out"/*.deb; do
	list "$d"
done | sort | uniq -d > "$work/dups"
sed 's/^/# in two packages: /' "$work/dups"
check "no file is in two packages" test ! -s "$work/dups"

dpkg-deb -x "$(deb_of "$out" libktls0)" "$work/lib0"
soname=$(readelf -d "$work/lib0/$lib/libktls.so.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
# Policy 8.1: libfoo.so.N is packaged as libfooN.
named=$(echo "$soname" | sed 's/^\(.*\)\.so\.\([0-9]*\)$/\1\2/')
say "SONAME $soname: package $named"
check "the SONAME names the package libktls0" test "$named" = libktls0
dpkg-deb -e "$(deb_of "$out" libktls0)" "$work/lib0.ctl"
check "libktls0 ships a symbols file for libktls.so.0" \
	grep -qx 'libktls.so.0 libktls0 #MINVER#' "$work/lib0.ctl/symbols"
check "every export is in it" test "$(nm -D --defined-only \
	"$work/lib0/$lib/libktls.so.0" | awk '$3 ~ /^ktls_/' | wc -l)" = \
	"$(grep -c '^ ktls_' "$work/lib0.ctl/symbols")"

lintian --fail-on error,warning "$out"/ktlsd_"$version"_*.changes > "$work/lintian.log" 2>&1
rc=$?
grep -v '^running with root privileges' "$work/lintian.log" | sed 's/^/# /'
check "lintian: no error, no warning" test "$rc" = 0

# The scratch root: an empty tree, a dpkg database that is the host's.
root=$work/root
admin=$root/var/lib/dpkg
mkdir -p "$admin/info" "$admin/updates"
cp /var/lib/dpkg/status "$admin/status"
: > "$admin/available"
debs=$(for p in $packages; do deb_of "$out" "$p"; done)
for d in $debs; do
	dpkg-deb -e "$d" "$work/ctl"
	[ ! -e "$work/ctl/preinst" ] || say "$(basename "$d") has a preinst"
	rm -rf "$work/ctl"
done
# shellcheck disable=SC2086 # one word per package
dpkg --root="$root" --unpack $debs > "$work/dpkg.log" 2>&1
rc=$?
[ "$rc" = 0 ] || sed 's/^/# /' "$work/dpkg.log"
check "dpkg --root unpacks the five packages" test "$rc" = 0
dpkg --root="$root" --configure --pending --no-act > "$work/configure.log" 2>&1
rc=$?
sed 's/^/# /' "$work/configure.log"
check "their Depends are met (dpkg --configure --no-act)" \
	test "$rc" = 0 -a "$(grep -c '^Setting up' "$work/configure.log")" = 5
check "/etc/ktlsd/ktlsd.conf is a conffile of ktlsd" \
	grep -qx '/etc/ktlsd/ktlsd.conf' "$admin/info/ktlsd.conffiles"

# Unpacked, a conffile waits as .dpkg-new: configure renames it.
conf=$root/etc/ktlsd/ktlsd.conf.dpkg-new
check "ktlsd.conf is unpacked, to be installed at configure" test -f "$conf"
got=$("$root/usr/sbin/ktlsd" --version 2>&1)
say "$got"
check "the installed ktlsd --version says ktlsd $version" test "$got" = "ktlsd $version"
check "it accepts the installed ktlsd.conf (test PKI) with --check-config" \
	example_config_ok "$root/usr/sbin/ktlsd" "$conf"

# DKMS on the installed source, in trees of our own (never the host's):
# dkms build only compiles, it installs nothing.
dkms_build() {	# dkms_build KERNEL: dkms's output in $work/dkms-KERNEL.log
	local hdrs rel
	hdrs=$(cat "$cache/kernels/$1/headers") rel=$(cat "$cache/kernels/$1/release")
	mkdir -p "$work/dkms" "$work/dkms-installed"
	dkms build "ktlsd/$version" -k "$rel" --kernelsourcedir "$hdrs" \
		--sourcetree "$root/usr/src" --dkmstree "$work/dkms" \
		--installtree "$work/dkms-installed" > "$work/dkms-$1.log" 2>&1
}
if [ ! -f "$cache/kernels/6.1/headers" ] || [ ! -f "$cache/kernels/6.12/headers" ]; then
	skip "DKMS builds ktlsd_handshake.ko only" "no 6.1/6.12 headers in $cache (make deps)"
else
	dkms_build 6.1
	rc=$?
	built=$(cd "$work/dkms" && find . -name '*.ko' -path '*/module/*' -printf '%f\n' | sort)
	say "dkms build for 6.1 (exit $rc): ${built:-nothing}"
	[ "$rc" = 0 ] || sed 's/^/# /' "$work/dkms-6.1.log"
	check "DKMS builds ktlsd_handshake.ko and nothing else for 6.1" \
		test "$rc" = 0 -a "$built" = ktlsd_handshake.ko
	check "no test consumer in DKMS's make log" not grep -rq test_consumer \
		--include=make.log "$work/dkms"
	dkms_build 6.12
	grep 'BUILD_EXCLUSIVE' "$work/dkms-6.12.log" | sed 's/^/# /'
	check "DKMS leaves 6.12 alone (it has net/handshake)" \
		grep -q 'BUILD_EXCLUSIVE directive which does not match' "$work/dkms-6.12.log"
fi
totals
[ "$failed" = 0 ]
