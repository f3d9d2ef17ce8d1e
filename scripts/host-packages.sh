#!/usr/bin/env bash
# Install the Debian 12 packages ktlsd builds and tests with. Installs only
# what is missing, so a second run asks apt nothing.
. "$(dirname "$0")/common.sh"

packages=(
	build-essential pkg-config dpkg-dev autoconf automake libtool
	libmnl-dev liburing-dev
	# ktls-serve's sandbox (userspace/serve/sandbox.c).
	libseccomp-dev
	# ktlsd's privilege separation (userspace/ktlsd/sandbox.c: capabilities)
	# and its sd_notify readiness (main.c).
	libcap-ng-dev libsystemd-dev
	# The kernel handshake upcall (userspace/upcall): key serials.
	libkeyutils-dev
	qemu-system-x86 busybox-static cpio kmod xz-utils zstd
	openssl ca-certificates curl
	# Interop peers copied into the VM (selftests/interop): openssl and
	# curl above, gnutls-cli and gnutls-serv here.
	gnutls-bin
	# ktls_serve_scan: a common scanner must see TLS 1.2 and 1.3 enabled.
	sslscan
	# man_pages (selftests/man): groff renders and warns, mandoc lints.
	groff-base mandoc
	# make deb (debian/, dist/deb.mk) and ktls_deb: debhelper with the
	# dkms addon, lintian, and dkms to build the ktlsd-dkms source.
	debhelper dh-dkms lintian dkms
	# make bench's plots (userspace/bench/report.sh).
	gnuplot-nox
	# make bench's rtt section copies ip and tc (netns, netem) into the VM.
	iproute2
	# make fuzz and make check's fuzz targets (fuzz/): clang-14 with
	# libFuzzer, ASan and UBSan; llvm-14 symbolizes their reports. The
	# ASan build of the native tests uses gcc's sanitizers (gcc-12).
	clang-14 libclang-rt-14-dev llvm-14
	# The trixie root that builds kmod/ for the newest kernel
	# (scripts/trixie-root.sh).
	debootstrap
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	say packages "all ${#packages[@]} host packages present"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}"
say apt "installing ${missing[*]}"
host_apt_update
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	"${missing[@]}" >/dev/null ||
	die "apt-get install ${missing[*]} failed"
