#!/usr/bin/env bash
# Run fuzz targets: fuzz/run.sh -b BUILD -s SECONDS NAME...
# Each NAME runs $BUILD/fuzz/bin/NAME_fuzz for SECONDS from a fresh copy of
# fuzz/corpus/NAME (libFuzzer writes new inputs into its corpus directory:
# never into git). A crash, leak or hang (10 s on one input) ends that
# target: its input is kept under $BUILD/fuzz/crash/NAME/ and named here.
# One line per target,
#   [fuzz] NAME  ok|CRASH|FAIL  ...
# exits non-zero if any target failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
seconds=60
while getopts b:s: opt; do
	case $opt in
	b) build=$(cd "$OPTARG" && pwd) ;;
	s) seconds=$OPTARG ;;
	*) echo "usage: $0 [-b BUILD] [-s SECONDS] NAME..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "fuzz/run.sh: no targets" >&2; exit 2; }

# clang-14's runtime symbolizes reports with llvm-symbolizer (llvm-14).
sym=/usr/lib/llvm-14/bin/llvm-symbolizer
[ -x "$sym" ] && export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$sym}

failed=0
for name in "$@"; do
	bin=$build/fuzz/bin/${name}_fuzz
	seeds=$top/fuzz/corpus/$name
	work=$build/fuzz/run/$name
	crash=$build/fuzz/crash/$name
	log=$build/fuzz/run/$name.log
	rm -rf "$work" "$crash"
	mkdir -p "$work" "$crash"
	if [ ! -x "$bin" ]; then
		printf '  [fuzz] %-20s FAIL: %s not built (make fuzz-bins)\n' "$name" "$bin"
		failed=1
		continue
	fi
	[ -d "$seeds" ] && cp -r "$seeds/." "$work/"
	# -timeout: one input taking this long is a hang, reported as a crash.
	(cd "$work" && ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$crash/" -print_final_stats=1 "$work") \
		< /dev/null > "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	input=$(find "$crash" -type f | head -1)
	if [ "$rc" -eq 0 ] && [ -z "$input" ]; then
		printf '  [fuzz] %-20s ok    %s runs in %s s, corpus %s files\n' \
			"$name" "${runs:-?}" "$seconds" "$(find "$work" -type f | wc -l)"
		continue
	fi
	failed=1
	if [ -n "$input" ]; then
		printf '  [fuzz] %-20s CRASH input: %s\n' "$name" "$input"
		printf '         reproduce: %s %s\n' "$bin" "$input"
	else
		printf '  [fuzz] %-20s FAIL  (exit %s)\n' "$name" "$rc"
	fi
	grep -E -A25 '^==[0-9]+== ?ERROR|runtime error:|^SUMMARY' "$log" | head -40 |
		sed 's/^/      /'
	echo "      full log: $log"
done
exit $failed
