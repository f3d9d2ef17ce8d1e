# SPDX-License-Identifier: GPL-2.0-or-later
# serve_port LOG PID: wait up to 10 s for ktls-serve (PID, writing LOG) to
# say where it serves, then print its port. Fails, printing nothing, if
# the server exits first or never says. Sourced by the shell tests that
# start ktls-serve (selftests/serve), natively and in the guest.
serve_port() {
	local log=$1 pid=$2 i=0

	while ! grep -q '^ktls-serve: serving' "$log" && [ $i -lt 100 ]; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	sed -n 's|^ktls-serve: serving .* on https://127.0.0.1:\([0-9]*\)/.*|\1|p' "$log" |
		grep .
}
