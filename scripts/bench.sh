#!/usr/bin/env bash
# make bench: measure ktls-serve and ktlsd against userspace TLS and nginx
# (issue 6) and write docs/benchmarks.md with its plots.
#
#   BUILD=build bash scripts/bench.sh     (make bench runs it after make all)
#
# Installs what it needs (gnuplot-nox, Debian 12's nginx and Debian 13's
# nginx 1.26 with OpenSSL 3.5 into the cache), then runs the native section
# (userspace/bench/handshakes-native.sh and throughput-native.sh: handshakes
# and userspace-TLS throughput at real speed, no kTLS needed) on this host, then userspace/bench/run.sh natively when this
# kernel has kTLS
# (modprobe tls works and /proc/net/tls_stat exists), else in one Debian
# 6.12 VM under qemu TCG, whose results come back in the VM's log.
# Environment: BENCH_SECONDS (one measurement, default 5), BENCH_QUICK=1
# (a smoke run: fewer, shorter cells), BENCH_OUT (results directory,
# default BUILD/bench), BENCH_NATIVE_ONLY=1 (the native section alone; the
# report keeps the rest of docs/benchmarks.md).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
top=$(cd "$here/.." && pwd)
build=${BUILD:-build}
case $build in
/*) ;;
*) build=$top/$build ;;
esac
[ -d "$build" ] || die "build directory $build is missing: run make first"
out=${BENCH_OUT:-$build/bench}
settings=
[ -n "${BENCH_SECONDS:-}" ] && settings+="BENCH_SECONDS=$BENCH_SECONDS "
[ -n "${BENCH_QUICK:-}" ] && settings+="BENCH_QUICK=$BENCH_QUICK "
[ -n "${BENCH_NATIVE_ONLY:-}" ] && settings+="BENCH_NATIVE_ONLY=$BENCH_NATIVE_ONLY "
command="${settings}make bench"

bash "$here/host-packages.sh"
bash "$here/nginx.sh"
bash "$here/nginx126.sh"

[ -x "$build/tests/bench_get" ] && [ -x "$build/bin/ktls-serve" ] ||
	die "$build has no bench_get or ktls-serve: run make BUILD=$build first"

host_has_ktls() {
	modprobe tls 2>/dev/null || true
	[ -r /proc/net/tls_stat ]
}

rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)
say bench "native section: handshakes at real speed on this host"
nginx_root=$KTLSD_CACHE/nginx/root
BENCH_BIN=$build/bin BENCH_CERTS=$build/test-certs \
	BENCH_NGINX122=$nginx_root/usr/sbin/nginx \
	BENCH_NGINX122_LIBS=$nginx_root/lib/x86_64-linux-gnu:$nginx_root/usr/lib/x86_64-linux-gnu \
	BENCH_NGINX126=$KTLSD_CACHE/nginx126/root/opt/nginx126 \
	bash "$top/userspace/bench/handshakes-native.sh" "$out" ||
	say bench "the native section failed (above)"
BENCH_BIN=$build/bin BENCH_TESTS=$build/tests BENCH_CERTS=$build/test-certs \
	BENCH_NGINX122=$nginx_root/usr/sbin/nginx \
	BENCH_NGINX122_LIBS=$nginx_root/lib/x86_64-linux-gnu:$nginx_root/usr/lib/x86_64-linux-gnu \
	BENCH_NGINX126=$KTLSD_CACHE/nginx126/root/opt/nginx126 \
	bash "$top/userspace/bench/throughput-native.sh" "$out" ||
	say bench "the native throughput section failed (above)"
if [ "${BENCH_NATIVE_ONLY:-0}" = 1 ]; then
	say bench "native section measured in $(($(date +%s) - start)) s; results in $out"
	bash "$top/userspace/bench/report.sh" "$out" "$command"
	exit
fi
# Other work on the host slows qemu's vCPUs unevenly: say how busy it was.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if host_has_ktls; then
	say bench "this kernel has kTLS: running natively ($(uname -r))"
	nginx_root=$KTLSD_CACHE/nginx/root
	BENCH_BIN=$build/bin BENCH_TESTS=$build/tests \
		BENCH_CERTS=$build/test-certs \
		BENCH_NGINX=$nginx_root/usr/sbin/nginx \
		BENCH_NGINX_LIBS=$nginx_root/lib/x86_64-linux-gnu:$nginx_root/usr/lib/x86_64-linux-gnu \
		BENCH_WHERE=native \
		sh "$top/userspace/bench/run.sh" "$out" ||
		say bench "a section failed; the report says which cells"
else
	say bench "this kernel has no kTLS: running in the Debian 6.12 VM (qemu TCG)"
	# The guest sees no host environment: the settings go in a file.
	{
		[ -n "${BENCH_SECONDS:-}" ] && echo "export BENCH_SECONDS=$BENCH_SECONDS"
		[ -n "${BENCH_QUICK:-}" ] && echo "export BENCH_QUICK=$BENCH_QUICK"
		true
	} > "$build/tests/bench/env"
	chmod 755 "$build/tests/bench/env"
	bash "$top/selftests/vm/run-vm.sh" -b "$build" -k 6.12 \
		-l "$top/userspace/bench/vm.list" -v ||
		say bench "the VM run reported a failure (above); reporting what came back"
	log=$build/vm/6.12/bench_vm.log
	[ -f "$log" ] || die "no $log: the VM did not run the benchmark"
	# Each result file is printed between "@@FILE NAME" and "@@FILE-END NAME".
	awk -v dir="$out" '
		/^@@FILE / { f = dir "/" $2; printf "" > f; next }
		/^@@FILE-END / { close(f); f = ""; next }
		f != "" { print >> f }' "$log"
fi
say bench "measured in $(($(date +%s) - start)) s; results in $out"
[ -f "$out/meta.tsv" ] &&
	printf 'host_load\t%s before, %s after (1, 5, 15 min; %s host CPUs)\n' \
		"$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" >> "$out/meta.tsv"
[ -f "$out/meta.tsv" ] &&
	printf 'host_cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
		>> "$out/meta.tsv"
bash "$top/userspace/bench/report.sh" "$out" "$command"
