#!/usr/bin/env bash
# checkpatch.pl over our C: kmod/ exactly as the kernel would take it; the
# userspace code in the same spirit, less what only applies inside the
# kernel (u8 types, ARRAY_SIZE, __printf) and the camel case of WolfSSL's
# API. kmod/'s exported calls need kernel-doc. Prints nothing but
# findings; exits non-zero if there are any.
set -euo pipefail
cd "$(dirname "$0")/.."
KTLSD_CACHE=${KTLSD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ktlsd}
checkpatch=$KTLSD_CACHE/kselftest/checkpatch.pl
[ -f "$checkpatch" ] || { echo "no $checkpatch: run make deps" >&2; exit 1; }

userspace_ignore=PREFER_KERNEL_TYPES,CAMELCASE,PREFER_DEFINED_ATTRIBUTE_MACRO,ARRAY_SIZE
userspace_ignore+=,EMBEDDED_FUNCTION_NAME,SPDX_LICENSE_TAG,MACRO_ARG_REUSE,BIT_MACRO
# Test vectors are long hex strings split across lines on purpose.
userspace_ignore+=,SPLIT_STRING,MISSING_SPACE
# Messages a user greps for stay whole (coding-style.rst: never break
# user-visible strings); kmod/ still gets the check.
userspace_ignore+=,LONG_LINE_STRING
# seccomp and Landlock speak of system calls that do not exist: there
# ENOSYS means just that (glibc falls back from clone3 on it).
userspace_ignore+=,ENOSYS

status=0
run() {
	local out
	out=$(perl "$checkpatch" --no-tree --terse --strict --show-types "$@" |
		grep -v '^total: 0 errors, 0 warnings, 0 checks' || true)
	if [ -n "$out" ]; then
		echo "$out"
		status=1
	fi
}
files() { git ls-files --cached --others --exclude-standard "$@"; }

mapfile -t kernel < <(files 'kmod/*.c' 'kmod/*.h' 'include/uapi/*.h')
mapfile -t user < <(files 'userspace/*.c' 'userspace/*.h' 'include/ktls/*.h' \
	'selftests/*.c' 'selftests/*.h' 'fuzz/*.c' 'fuzz/*.h')
[ ${#kernel[@]} -eq 0 ] || run -f "${kernel[@]}"
[ ${#user[@]} -eq 0 ] || run --ignore "$userspace_ignore" -f "${user[@]}"

# kmod/: every exported call has its kernel-doc comment, and the comments
# are well-formed (the kernel's own scripts/kernel-doc, from the 6.12
# kbuild package the VM set-up unpacks).
for f in $(files 'kmod/*.c'); do
	for sym in $(sed -n 's/^EXPORT_SYMBOL[_GPL]*(\(.*\));$/\1/p' "$f"); do
		grep -q "^ \* $sym - " "$f" || {
			echo "$f: $sym is exported without a kernel-doc comment (/** $sym - ...)"
			status=1
		}
	done
done
kerneldoc=$(ls "$KTLSD_CACHE"/kernels/6.12/root/usr/lib/linux-kbuild-*/scripts/kernel-doc 2>/dev/null | head -n 1)
[ -n "$kerneldoc" ] || { echo "no kernel-doc in $KTLSD_CACHE/kernels/6.12: run make deps" >&2; exit 1; }
mapfile -t kmod_c < <(files 'kmod/*.c')
out=$(perl "$kerneldoc" -none -Wall "${kmod_c[@]}" 2>&1)
[ -z "$out" ] || { echo "$out"; status=1; }
exit $status
