# shellcheck shell=bash
# Shared by the set-up scripts: where the cache lives and how to reach the
# Debian archive without touching the host's own apt sources.

set -euo pipefail

KTLSD_CACHE=${KTLSD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ktlsd}
APT_DIR=$KTLSD_CACHE/apt
mkdir -p "$KTLSD_CACHE"

say() { printf '  %-8s %s\n' "$1" "$2"; }
die() { printf 'ktlsd set-up: %s\n' "$*" >&2; exit 1; }

# A private apt configuration: its own source list and package lists, so the
# host keeps its sources and nothing from trixie is ever installed on it.
private_apt_opts=(
	-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
	-o "Dir::Etc::SourceParts=-"
	-o "Dir::State::Lists=$APT_DIR/lists"
	-o "Dir::Cache=$APT_DIR/cache"
	-o "Dir::State::status=/dev/null"
	-o "APT::Sandbox::User=root"
	-o "Acquire::Retries=3"
)

private_apt_update() {
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	local mirror=${DEBIAN_MIRROR:-http://deb.debian.org}

	[ -f "$APT_DIR/updated" ] && return 0
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	cat > "$APT_DIR/sources.list" <<SRC
deb [signed-by=$keyring] $mirror/debian trixie-backports main
deb-src [signed-by=$keyring] $mirror/debian bookworm main
deb-src [signed-by=$keyring] $mirror/debian-security bookworm-security main
SRC
	apt-get "${private_apt_opts[@]}" -qq update ||
		die "apt-get update for the private source list ($APT_DIR/sources.list) failed"
	touch "$APT_DIR/updated"
}

# Downloads into a cache directory _apt cannot write to.
host_apt_get() { apt-get -o APT::Sandbox::User=root "$@"; }
papt_get() { apt-get "${private_apt_opts[@]}" "$@"; }
papt_cache() { apt-cache "${private_apt_opts[@]}" "$@"; }

# The host's lists must be fresh before asking them for kernel versions.
host_apt_update() {
	[ -n "${KTLSD_HOST_APT_UPDATED:-}" ] && return 0
	apt-get -qq update || die "apt-get update failed"
	export KTLSD_HOST_APT_UPDATED=1
}
