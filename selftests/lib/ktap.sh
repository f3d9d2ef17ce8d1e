# shellcheck shell=bash
# Reading results: the kselftest harness ends with a KTAP totals line,
#   # Totals: pass:N fail:N xfail:N xpass:N skip:N error:N
# A program that died before printing it, or exited non-zero with no failed
# test, counts as one failure: a crash is never a pass.

# ktap_counts LOG EXIT_CODE -> "PASS FAIL SKIP"
ktap_counts() {
	local log=$1 rc=$2 line pass fail skip

	line=$(tr -d '\r' < "$log" | grep -E '^# Totals: ' | tail -n 1 || true)
	if [ -z "$line" ]; then
		echo "0 1 0"
		return
	fi
	# xfail is an expected failure (a pass); xpass and error are failures.
	read -r pass fail skip < <(awk '{
		for (i = 3; i <= NF; i++) { split($i, kv, ":"); n[kv[1]] = kv[2] }
		print n["pass"] + n["xfail"], n["fail"] + n["xpass"] + n["error"], n["skip"]
	}' <<<"$line")
	# 0 is a pass, 4 (KSFT_SKIP) an all-skipped run; anything else failed.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$fail" -eq 0 ]; then
		fail=1
	fi
	echo "$pass $fail $skip"
}

# tests_for WHERE... -> "NAME NEEDS TIMEOUT" lines from selftests/tests.list
tests_for() {
	local list
	list=$(dirname "${BASH_SOURCE[0]}")/../tests.list
	awk -v want=" $* " '!/^#/ && NF == 4 && index(want, " " $2 " ") {print $1, $3, $4}' "$list"
}
