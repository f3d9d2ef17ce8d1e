#!/usr/bin/env bash
# Boot Debian kernels under qemu (TCG) with an initramfs of busybox, our test
# programs and their libraries, and the modules kTLS needs; run the tests;
# bring the results back over a second serial port.
#
#   run-vm.sh [-b BUILD] [-k KERNEL]... [-t TEST]... [-l LIST] [-v]
#     KERNEL  6.1, 6.12 or newest (default: all three, one after another)
#     TEST    a name from selftests/tests.list (default: every VM test)
#     LIST    a file in the format of selftests/tests.list to take the
#             tests from instead (make bench: userspace/bench/vm.list)
#     -v      print each test's whole output
#
# Fails if a test fails, if a module the "tls" tests need did not load
# (each counts as a failed test, with insmod's error), if the guest's dmesg
# shows BUG:/WARNING:/Oops, or if a VM does not finish in time. Logs:
# BUILD/vm/KERNEL/.
#
# Debug knob: KTLSD_VM_BREAK_MODULE=NAME (e.g. gcm) puts garbage in place
# of that module in the guest, to see a run fail when a module does not
# load. Never set in normal runs; run-vm.sh says so when it is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib/ktap.sh"

KTLSD_CACHE=${KTLSD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ktlsd}
build=$top/build kernels=() tests=() verbose=0 list=

# Loaded in this order in the guest, with their dependencies, before the
# first "tls" test. The first two must exist as modules; the others are
# what some cipher may need on some kernel, left out where the kernel has
# no such module (built in, or none). Every module in the guest's list
# must load: the tests cover every cipher, and a missing one would turn
# them into skips ("no kTLS").
required_modules="tls gcm"
optional_modules="ctr ghash_generic ghash_clmulni_intel aesni_intel ccm
	chacha20poly1305 chacha chacha_generic chacha_x86_64 poly1305_generic
	poly1305_x86_64"

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while getopts "b:k:t:l:vh" opt; do
	case $opt in
	b) build=$(cd "$OPTARG" && pwd) ;;
	k) kernels+=("$OPTARG") ;;
	t) tests+=("$OPTARG") ;;
	l) list=$OPTARG ;;
	v) verbose=1 ;;
	*) usage ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12 newest)

die() { echo "run-vm: $*" >&2; exit 1; }

# The plan: "needs timeout name", no-tls tests first (before any module).
if [ -n "$list" ]; then
	[ -f "$list" ] || die "-l $list: no such file"
	plan=$(awk '!/^#/ && NF == 4 && ($2 == "vm" || $2 == "all") {print $3, $4, $1}' "$list")
else
	plan=$(tests_for vm all | awk '{print $2, $3, $1}')
fi
if [ ${#tests[@]} -gt 0 ]; then
	sel=$(printf '%s\n' "${tests[@]}")
	plan=$(awk 'NR == FNR {want[$1] = 1; next} want[$3]' <(echo "$sel") <(echo "$plan"))
	for t in "${tests[@]}"; do
		grep -q " $t\$" <<<"$plan" || die "no VM test named $t in selftests/tests.list"
	done
fi
plan=$(sort -s -k1,1 <<<"$plan")	# "no-tls" before "tls"
[ -n "$plan" ] || die "no tests to run"

# Copy a binary's shared libraries (and the loader) into a root; nothing for
# a script or a static binary.
copy_libs() {
	local root=$1 bin=$2
	{ ldd "$bin" 2>/dev/null || true; } | { grep -oE '/[^ ]+' || true; } | while read -r lib; do
		[ -e "$lib" ] && cp -L --parents "$lib" "$root/" 2>/dev/null || true
	done
}

# A test may need more than itself in the guest: BUILD/tests/NAME.guest lists
# it, one entry a line (# comments): tests/PROG or bin/PROG, a program from
# the build tree (put in /ktlsd/tests or /ktlsd/bin), or /an/absolute/host/path,
# copied to the same path with symlinks followed. Executables bring their
# shared libraries. kmod/NAME.ko is a kernel module built for the kernel
# being booted (BUILD/kmod/KERNEL/NAME.ko, put in /ktlsd/kmod), left out
# where it is not built for that kernel (the test must notice).
# "cache/TREE /PATH" takes /PATH from a tree unpacked in the cache
# ($KTLSD_CACHE/TREE/root, e.g. Debian packages the host does not install),
# copied to /PATH; an executable's libraries are looked up in that tree
# first, then on the host. "module NAME" is a kernel module of the booted
# kernel the test loads itself, when it needs it: resolved with its
# dependencies per kernel (build_modules), listed in load order in
# /ktlsd/modules.d/TEST.load (file names in /ktlsd/modules). Modules every
# test needs are in required_modules/optional_modules instead.
copy_guest_files() {
	local root=$1 name=$2 list=$3 entry arg src dst tree=
	while read -r entry arg _; do
		tree=
		case $entry in
		'' | '#'*) continue ;;
		kmod/*.ko)
			echo "$name $entry" >> "$build/vm/kmod.list"
			continue
			;;
		module)
			[ -n "$arg" ] || die "$list: \"module\" needs a module name"
			echo "$name $arg" >> "$build/vm/modules.extra"
			continue
			;;
		cache/*)
			tree=$KTLSD_CACHE/${entry#cache/}/root
			case $arg in
			/*) ;;
			*) die "$list: \"$entry\" needs an absolute /PATH after it" ;;
			esac
			src=$tree$arg dst=$root$arg
			[ -e "$src" ] || die "$name needs $src (run make deps)"
			;;
		tests/* | bin/*)
			src=$build/$entry dst=$root/ktlsd/$entry
			[ -x "$src" ] || die "$name needs $src, which is not built (run make)"
			;;
		/*)
			src=$entry dst=$root$entry
			[ -e "$src" ] || die "$name needs $src on the host (run make deps)"
			;;
		*) die "$list: \"$entry\" is not tests/NAME, bin/NAME, kmod/NAME.ko, cache/TREE /PATH, module NAME or an absolute path" ;;
		esac
		mkdir -p "$(dirname "$dst")"
		cp -L "$src" "$dst"
		if [ -x "$src" ] && [ -n "$tree" ]; then
			copy_tree_libs "$root" "$src" "$tree"
		elif [ -x "$src" ]; then
			copy_libs "$root" "$src"
		fi
	done < "$list"
}

# copy_tree_libs ROOT BIN TREE: BIN's libraries, from TREE where it has them
# (copied to the same path without the TREE prefix), else from the host.
copy_tree_libs() {
	local root=$1 bin=$2 tree=$3 lib
	{ LD_LIBRARY_PATH=$tree/lib/x86_64-linux-gnu:$tree/usr/lib/x86_64-linux-gnu \
		ldd "$bin" 2>/dev/null || true; } | { grep -oE '/[^ ]+' || true; } | while read -r lib; do
		case $lib in
		"$tree"/*)
			mkdir -p "$root$(dirname "${lib#"$tree"}")"
			cp -L "$lib" "$root${lib#"$tree"}"
			;;
		*) [ -e "$lib" ] && cp -L --parents "$lib" "$root/" 2>/dev/null || true ;;
		esac
	done
}

build_base() {
	local root=$build/vm/rootfs
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,ktlsd/tests,ktlsd/modules}
	: > "$build/vm/kmod.list"
	: > "$build/vm/modules.extra"
	cp /bin/busybox "$root/bin/busybox"
	cp "$here/init" "$root/init"
	while read -r _ _ name; do
		[ -x "$build/tests/$name" ] || die "$build/tests/$name is not built (run make)"
		cp "$build/tests/$name" "$root/ktlsd/tests/"
		copy_libs "$root" "$build/tests/$name"
		if [ -f "$build/tests/$name.guest" ]; then
			copy_guest_files "$root" "$name" "$build/tests/$name.guest"
		fi
	done <<<"$plan"
	cp -r "$build/test-certs" "$root/ktlsd/test-certs"
	echo "$plan" > "$root/ktlsd/plan"
	(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) > "$build/vm/base.cpio"
}

# add_module BASE REL MODULE ROOT LOADLIST: MODULE and its dependencies,
# decompressed into ROOT/ktlsd/modules, appended in load order to LOADLIST
# (names not yet in it). Fails if the kernel has no such module.
add_module() {
	local base=$1 rel=$2 m=$3 root=$4 load=$5 deps kind path name
	deps=$(modprobe -d "$base" -S "$rel" --show-depends "$m" 2>/dev/null) || return 1
	while read -r kind path; do
		[ "$kind" = insmod ] || continue
		name=$(basename "$path"); name=${name%.xz}; name=${name%.zst}
		grep -qx "$name" "$load" && continue
		if [ ! -f "$root/ktlsd/modules/$name" ]; then
			case $path in
			*.xz) xz -dc "$path" ;;
			*.zst) zstd -qdc "$path" ;;
			*) cat "$path" ;;
			esac > "$root/ktlsd/modules/$name"
		fi
		echo "$name" >> "$load"
	done <<<"$deps"
}

# break_module KERNEL ROOT: the KTLSD_VM_BREAK_MODULE debug knob.
break_module() {
	local k=$1 root=$2 want name f
	want=$(tr - _ <<<"$KTLSD_VM_BREAK_MODULE")
	while read -r name; do
		[ "$(tr - _ <<<"${name%.ko}")" = "$want" ] || continue
		f=$root/ktlsd/modules/$name
		echo "  [$k] debug: KTLSD_VM_BREAK_MODULE=$KTLSD_VM_BREAK_MODULE: $name replaced with garbage, this run must fail"
		echo "not a kernel module" > "$f"
		return 0
	done < "$root/ktlsd/modules.load"
	die "KTLSD_VM_BREAK_MODULE=$KTLSD_VM_BREAK_MODULE: no such module in $k's list ($(tr '\n' ' ' < "$root/ktlsd/modules.load"))"
}

# build_modules KERNEL: the guest's modules, decompressed, in load order.
build_modules() {
	local k=$1 kdir=$KTLSD_CACHE/kernels/$1 rel base out root m path user
	rel=$(cat "$kdir/release")
	base=$kdir/root
	[ -d "$base/lib/modules/$rel" ] || base=$kdir/root/usr
	out=$build/vm/$k
	root=$out/modroot
	rm -rf "$root"; mkdir -p "$root/ktlsd/modules" "$root/ktlsd/modules.d"
	: > "$root/ktlsd/modules.load"
	for m in $required_modules $optional_modules; do
		add_module "$base" "$rel" "$m" "$root" "$root/ktlsd/modules.load" && continue
		case " $required_modules " in
		*" $m "*) die "$k ($rel) has no module $m" ;;
		esac
	done
	[ -n "${KTLSD_VM_BREAK_MODULE:-}" ] && break_module "$k" "$root"
	# Modules a test loads itself ("module NAME" in its guest list); one
	# this kernel lacks is left out of the list (the test must notice).
	while read -r user m; do
		touch "$root/ktlsd/modules.d/$user.load"
		add_module "$base" "$rel" "$m" "$root" "$root/ktlsd/modules.d/$user.load" || true
	done < "$build/vm/modules.extra"
	# Our own modules, built for this kernel (copy_guest_files).
	local entry
	while read -r _ entry; do
		path=$build/kmod/$k/${entry#kmod/}
		[ -f "$path" ] || continue
		mkdir -p "$root/ktlsd/kmod"
		cp "$path" "$root/ktlsd/kmod/"
	done < "$build/vm/kmod.list"
	(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) > "$out/modules.cpio"
	cat "$build/vm/base.cpio" "$out/modules.cpio" > "$out/initramfs.cpio"
}

# Parse the guest's report; print a line per test; write "P F S" to counts.
report() {
	local k=$1 out=$build/vm/$1 log=$build/vm/$1/results.log
	local pass=0 fail=0 skip=0 name rc p f s line

	tr -d '\r' < "$log" > "$out/results.txt"
	line=$(grep -m1 '^@@BOOT' "$out/results.txt" || true)
	[ -n "$line" ] && printf '  [%s] booted %s in %ss\n' "$k" "$(cut -d' ' -f3 <<<"$line")" \
		"$(cut -d' ' -f2 <<<"$line")"
	grep '^@@MODULES' "$out/results.txt" | sed "s/^@@MODULES/  [$k] modules:/" || true
	# A module the "tls" tests need that did not load: a failed test each.
	local needing mod err
	needing=$(awk '$1 == "tls" {printf "%s%s", sep, $3; sep = ", "}' <<<"$plan")
	while read -r _ mod err; do
		fail=$((fail + 1))
		echo "  [$k] FAIL: module $mod did not load, needed by $needing: $err"
	done < <(grep '^@@MODFAIL ' "$out/results.txt" || true)
	while read -r _ _ name; do
		awk -v n="$name" '$0 == "@@BEGIN " n {on = 1; next}
			on && index($0, "@@END " n " ") == 1 {exit}
			on {print}' "$out/results.txt" > "$out/$name.log"
		line=$(grep -m1 "^@@END $name " "$out/results.txt" || true)
		if [ -z "$line" ]; then
			rc=255
			echo "not finished (VM stopped or timed out)" >> "$out/$name.log"
		else
			rc=$(cut -d' ' -f3 <<<"$line")
		fi
		read -r p f s < <(ktap_counts "$out/$name.log" "$rc")
		pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
		local secs=?
		[ -n "$line" ] && secs=$(awk '{printf "%.1f", $5 - $4}' <<<"$line")
		printf '  [%s] %-22s pass %-3s fail %-3s skip %-3s (exit %s, %ss)\n' \
			"$k" "$name" "$p" "$f" "$s" "$rc" "$secs"
		if [ "$verbose" = 1 ] || [ "$f" -ne 0 ]; then
			sed 's/^/      /' "$out/$name.log"
		fi
	done <<<"$plan"

	# The kernel must not have complained while we ran.
	if grep -q '^@@DONE' "$out/results.txt"; then
		sed -n '/^@@DMESG$/,/^@@DONE$/p' "$out/results.txt" > "$out/dmesg.log"
		if grep -E 'BUG:|WARNING:|Oops' "$out/dmesg.log" > "$out/dmesg.bad"; then
			fail=$((fail + 1))
			echo "  [$k] FAIL: the guest kernel logged BUG/WARNING/Oops:"
			sed 's/^/      /' "$out/dmesg.bad"
		else
			pass=$((pass + 1))
			echo "  [$k] dmesg clean (no BUG, WARNING or Oops)"
		fi
	else
		fail=$((fail + 1))
		echo "  [$k] FAIL: the guest did not finish; console: $out/console.log"
		tail -n 20 "$out/console.log" | sed 's/^/      /'
	fi
	echo "$pass $fail $skip" > "$out/counts"
}

run_kernel() {
	local k=$1 kdir=$KTLSD_CACHE/kernels/$1 out=$build/vm/$1 limit
	[ -f "$kdir/release" ] || die "kernel $k is not in the cache (run make deps)"
	mkdir -p "$out"
	build_modules "$k"
	# Every test's own limit, plus boot and module loading.
	limit=$(awk '{s += $2} END {print s + 60}' <<<"$plan")
	rm -f "$out/console.log" "$out/results.log"
	set +e
	timeout -k 10 "$limit" qemu-system-x86_64 \
		-nodefaults -no-user-config -no-reboot -display none \
		-accel tcg,thread=multi -cpu max -smp 2 -m 1024 \
		-kernel "$kdir/vmlinuz" -initrd "$out/initramfs.cpio" \
		-append "console=ttyS0 rdinit=/init panic=-1 loglevel=4" \
		-serial "file:$out/console.log" -serial "file:$out/results.log"
	local rc=$?
	set -e
	[ $rc -eq 124 ] && echo "  [$k] FAIL: VM killed after ${limit}s"
	[ -f "$out/results.log" ] || : > "$out/results.log"
	report "$k"
}

mkdir -p "$build/vm"
build_base
total_fail=0
for k in "${kernels[@]}"; do
	echo "VM $k ($(cat "$KTLSD_CACHE/kernels/$k/release" 2>/dev/null || echo '?'))"
	run_kernel "$k"
	read -r _ f _ < "$build/vm/$k/counts"
	total_fail=$((total_fail + f))
done
[ $total_fail -eq 0 ]
