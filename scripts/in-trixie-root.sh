#!/usr/bin/env bash
# in-trixie-root.sh ROOT COMMAND...: run COMMAND chrooted into the trixie
# root (scripts/trixie-root.sh) with a clean environment and its own /proc
# (objtool and the packages' maintainer scripts read it). The /proc mount
# lives in a private mount namespace: it goes when COMMAND ends, however it
# ends, and concurrent builds never see each other's.
set -euo pipefail
root=${1:?usage: in-trixie-root.sh ROOT COMMAND...}
shift
[ "$(id -u)" -eq 0 ] || { echo "in-trixie-root.sh: chroot into $root needs root" >&2; exit 1; }
exec unshare --mount --mount-proc="$root/proc" chroot "$root" \
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME=/root "$@"
