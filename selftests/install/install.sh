#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ktls_install: make install into a scratch root, as a distribution's
# packaging would run it, and use what it installed. libktls.so.0 carries
# its SONAME and exports the calls of the installed headers and nothing
# else (no internals, no WolfSSL); a program built with pkg-config against
# the scratch root runs against the shared library, and one linked with the
# static libktls.a needs no WolfSSL of its own; the installed ktlsd prints
# the version ktls.pc names and accepts the example configuration pointed
# at the test PKI; the units' paths follow PREFIX. A second install keeps
# an edited configuration, and make uninstall removes everything else.
# Runs natively from the source tree (selftests/run.sh runs tests there).
# Prints KTAP. Environment: KTLSD_BIN (BUILD/bin), KTLSD_TEST_CERTS.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/guest-ktap.sh"
. "$here/example-config.sh"
bin=${KTLSD_BIN:-build/bin}
build=$(cd "$bin/.." && pwd)
certs=${KTLSD_TEST_CERTS:-$build/test-certs}
work=$(mktemp -d "${TMPDIR:-/tmp}/ktls_install.XXXXXX")
root=$work/root
n=0 failed=0 skipped=0
trap 'rm -rf "$work"' EXIT

echo "TAP version 13"
if [ ! -f Makefile ] || [ ! -f include/ktls/ktls.h ]; then
	not_ok "run from the source tree"
	say "cwd $(pwd) is not the ktlsd source tree (selftests/run.sh runs tests there)"
	totals
	exit 1
fi
mk() {	# mk DESTDIR PREFIX TARGET [VAR=VALUE...]: its output only on failure
	local dest=$1 prefix=$2
	shift 2
	make -s --no-print-directory BUILD="$build" DESTDIR="$dest" \
		PREFIX="$prefix" "$@" > "$work/make.log" 2>&1 ||
		{ sed 's/^/# /' "$work/make.log"; return 1; }
}

check "make install DESTDIR PREFIX=/usr" mk "$root" /usr install
lib=$root/usr/lib
for f in usr/sbin/ktlsd usr/bin/ktls-serve usr/bin/ktls-probe \
	usr/lib/libktls.so.0 usr/lib/libktls.so usr/lib/libktls.a \
	usr/lib/pkgconfig/ktls.pc usr/include/ktls/ktls.h \
	usr/include/ktls/handoff.h usr/lib/systemd/system/ktlsd.service \
	usr/lib/systemd/system/ktlsd-tlshd.service \
	usr/lib/sysusers.d/ktlsd.conf usr/share/man/man8/ktlsd.8 \
	usr/share/man/man5/ktlsd.conf.5 usr/share/man/man1/ktls-serve.1 \
	usr/share/man/man3/ktls_ctx_new.3 usr/share/man/man3/ktls_ctx_free.3 \
	usr/share/man/man7/libktls.7 \
	etc/ktlsd/ktlsd.conf usr/share/doc/ktlsd/examples/ktlsd.conf; do
	[ -e "$root/$f" ] || { say "missing: /$f"; missing=1; }
done
check "every file is installed" test -z "${missing:-}"
check "the programs are executable" test -x "$root/usr/sbin/ktlsd" -a \
	-x "$root/usr/bin/ktls-serve" -a -x "$root/usr/bin/ktls-probe"
check "no private header is installed" test "$(ls "$root/usr/include/ktls")" = \
	"$(printf 'handoff.h\nktls.h')"

soname=$(readelf -d "$lib/libktls.so.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
say "SONAME $soname"
check "libktls.so.0 has the SONAME libktls.so.0" test "$soname" = libktls.so.0

# The API: every function the installed headers declare (one name per
# declaration: the word before the first '(' on a line that starts it).
sed -n 's/^[a-z].*[ *]\(ktls_[a-z0-9_]*\)(.*/\1/p' \
	"$root/usr/include/ktls/ktls.h" "$root/usr/include/ktls/handoff.h" |
	sort -u > "$work/api"
nm -D --defined-only "$lib/libktls.so.0" | awk '$2 != "A" {print $3}' | sed 's/@.*//' |
	sort -u > "$work/exports"
say "$(wc -l < "$work/api") calls in the headers, $(wc -l < "$work/exports") symbols exported"
if diff "$work/api" "$work/exports" > "$work/abi.diff"; then
	ok "libktls.so exports exactly the headers' calls"
else
	not_ok "libktls.so exports exactly the headers' calls"
	say "< in a header only, > exported only (fix userspace/lib/libktls.map):"
	sed 's/^/# /' "$work/abi.diff"
fi
check "every export is versioned KTLS_0.1" \
	not grep -qv '@@KTLS_0.1$' < <(nm -D --defined-only "$lib/libktls.so.0" |
		awk '$3 ~ /^ktls_/ {print $3}')
# In the static library nothing is local: an internal call named ktls_*
# would sit in the API's namespace. Ours are __ktls_* (liburing's way).
nm -g --defined-only "$lib/libktls.a" 2>/dev/null |
	awk '$2 ~ /^[TDBR]$/ && $3 ~ /^ktls_/ {print $3}' | sort -u > "$work/a-ktls"
comm -23 "$work/a-ktls" "$work/api" > "$work/a-internal"
check "libktls.a's ktls_* symbols are the API's alone (internals are __ktls_*)" \
	test ! -s "$work/a-internal"
[ -s "$work/a-internal" ] && sed 's/^/# not API: /' "$work/a-internal"

# A program built the way an application is: pkg-config and the headers.
cat > "$work/app.c" <<'APP'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <ktls/ktls.h>
#include <ktls/handoff.h>

int main(void)
{
	uint8_t *data;
	size_t len;
	int ret = ktls_read_file("the test file", "/nonexistent/ktls", &data, &len);

	printf("%d %s\n", ret, ktls_reason());
	return ret == -ENOENT && strstr(ktls_reason(), "/nonexistent/ktls") ? 0 : 1;
}
APP
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
cflags=$(pkg-config --cflags ktls) libs=$(pkg-config --libs ktls)
say "pkg-config: $cflags $libs; version $(pkg-config --modversion ktls)"
# A library built with ASan (make check's sanitizer pass) needs its
# runtime loaded first: build the application with it too.
san=
readelf -d "$lib/libktls.so.0" | grep -q 'NEEDED.*libasan' &&
	san="-fsanitize=address,undefined"
check "an application builds with pkg-config" \
	cc $san $cflags "$work/app.c" $libs -o "$work/app-shared"
out=$(LD_LIBRARY_PATH=$lib "$work/app-shared" 2>&1)
say "$out"
check "it runs against libktls.so.0 and gets -ENOENT with the path" \
	test "$?" = 0 -a -n "$out"
check "it loads the installed libktls.so.0" \
	grep -q "libktls.so.0 => $lib/libktls.so.0" \
	< <(LD_LIBRARY_PATH=$lib ldd "$work/app-shared")
check "a static link needs no WolfSSL of its own" \
	cc $san $cflags "$work/app.c" "$lib/libktls.a" -lm -lpthread -o "$work/app-static"
out=$("$work/app-static" 2>&1)
check "the static program runs" test "$?" = 0
say "$out"

version=$("$root/usr/sbin/ktlsd" --version)
check "ktlsd --version names ktls.pc's version ($version)" \
	test "$version" = "ktlsd $(pkg-config --modversion ktls)"
check "the example configuration passes --check-config" \
	example_config_ok "$root/usr/sbin/ktlsd" "$root/etc/ktlsd/ktlsd.conf"
check "the unit starts /usr/sbin/ktlsd with /etc/ktlsd/ktlsd.conf" grep -qx \
	'ExecStart=/usr/sbin/ktlsd --foreground -c /etc/ktlsd/ktlsd.conf' \
	"$root/usr/lib/systemd/system/ktlsd.service"

opt=$work/opt
check "make install PREFIX=/opt/ktls SYSCONFDIR=/opt/ktls/etc" \
	mk "$opt" /opt/ktls install SYSCONFDIR=/opt/ktls/etc
check "there the unit names /opt/ktls/sbin/ktlsd and /opt/ktls/etc" grep -qx \
	'ExecStart=/opt/ktls/sbin/ktlsd --foreground -c /opt/ktls/etc/ktlsd/ktlsd.conf' \
	"$opt/opt/ktls/lib/systemd/system/ktlsd.service"
check "make uninstall of an untouched install" \
	mk "$opt" /opt/ktls uninstall SYSCONFDIR=/opt/ktls/etc
left=$(find "$opt" \( -type f -o -type l \) | sed "s|^$opt||")
[ -z "$left" ] || say "left: $left"
check "leaves no file" test -z "$left"

echo "# edited" >> "$root/etc/ktlsd/ktlsd.conf"
mk "$root" /usr install
check "a second install keeps the edited configuration" \
	grep -qx '# edited' "$root/etc/ktlsd/ktlsd.conf"
check "make uninstall" mk "$root" /usr uninstall
left=$(find "$root" \( -type f -o -type l \) | sed "s|^$root||")
say "left: ${left:-nothing}"
check "uninstall keeps only the edited configuration" test "$left" = /etc/ktlsd/ktlsd.conf
totals
[ "$failed" = 0 ]
