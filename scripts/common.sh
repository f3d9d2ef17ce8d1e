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
	-o "Dir::Etc::Preferences=$APT_DIR/preferences"
	-o "Dir::Etc::PreferencesParts=$APT_DIR/preferences.d"
	-o "Dir::State::Lists=$APT_DIR/lists"
	-o "Dir::Cache=$APT_DIR/cache"
	-o "Dir::State::status=/dev/null"
	-o "APT::Sandbox::User=root"
	-o "Acquire::Retries=3"
)

private_apt_update() {
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	local mirror=${DEBIAN_MIRROR:-http://deb.debian.org}
	local list

	# trixie main: OpenSSL 3.5 for the post-quantum interop rows.
	list="deb [signed-by=$keyring] $mirror/debian trixie-backports main
deb [signed-by=$keyring] $mirror/debian trixie main
deb-src [signed-by=$keyring] $mirror/debian bookworm main
deb-src [signed-by=$keyring] $mirror/debian-security bookworm-security main"
	# The stamp holds the list it was made for: a cache from an older
	# list is brought up to date.
	[ "$(cat "$APT_DIR/updated" 2>/dev/null)" = "$list" ] && return 0
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" \
		"$APT_DIR/preferences.d"
	printf '%s\n' "$list" > "$APT_DIR/sources.list"
	# trixie only where nothing else has the package: the newest kernel
	# stays trixie-backports' (vm-kernels.sh asks for the candidate).
	printf 'Package: *\nPin: release n=trixie\nPin-Priority: 50\n' \
		> "$APT_DIR/preferences"
	apt-get "${private_apt_opts[@]}" -qq update ||
		die "apt-get update for the private source list ($APT_DIR/sources.list) failed"
	printf '%s' "$list" > "$APT_DIR/updated"
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
