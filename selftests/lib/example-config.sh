# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# For the tests of an installed ktlsd (ktls_install, ktls_deb): the
# example configuration as installed, pointed at the test PKI's server
# key, through ktlsd --check-config. Callers set work and certs.
example_config_ok() {	# example_config_ok KTLSD CONF: --check-config's status
	local rc

	sed -e "s|/etc/ktlsd/server.pem|$certs/server.pem|" \
		-e "s|/etc/ktlsd/server.key|$certs/server.key|" \
		"$2" > "$work/ktlsd.conf"
	"$1" --check-config -c "$work/ktlsd.conf" > "$work/check.log" 2>&1
	rc=$?
	sed 's/^/# /' "$work/check.log"
	return "$rc"
}
