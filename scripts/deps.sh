#!/usr/bin/env bash
# Everything the build and the tests need, installed or fetched once and
# cached in $KTLSD_CACHE (default ~/.cache/ktlsd). Safe to run again: a
# second run only checks, and finishes in seconds.
here=$(dirname "$0")
. "$here/common.sh"

say cache "$KTLSD_CACHE"
bash "$here/host-packages.sh"
bash "$here/wolfssl.sh"
bash "$here/kselftest.sh"
bash "$here/vm-kernels.sh"
bash "$here/trixie-root.sh"
bash "$here/nfs-userland.sh"
bash "$here/openssl35.sh"
