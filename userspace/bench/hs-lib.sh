# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the handshake sections of make bench (handshakes.sh in the
# guest, handshakes-native.sh on the host); sourced, never run as a section.

# hs_listening PORT: a TCP listener on 127.0.0.1:PORT (no tools needed).
hs_listening() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" {found = 1} END {exit !found}' \
		/proc/net/tcp
}

# hs_percentiles FILE: "p50 p99" of the latencies in FILE (one a line),
# "0 0" when there are none.
hs_percentiles() {
	sort -n "$1" 2>/dev/null | awk '
		{v[NR] = $1}
		function pct(p,  r) {
			r = int(p / 100 * NR + 0.999999)
			return v[r < 1 ? 1 : r]
		}
		END {if (NR) printf "%.2f %.2f", pct(50), pct(99); else print "0 0"}'
}

# hs_nginx_conf NAME PORT CERT KEY DIR: nginx serving "ok" over TLS 1.3
# with session tickets on 127.0.0.1:PORT, its files DIR/NAME*.
hs_nginx_conf() {
	cat <<-CONF
	$( [ "$(id -u)" = 0 ] && echo "user root root;" )
	worker_processes auto;
	pid $5/$1.pid;
	error_log $5/$1-error.log warn;
	events { worker_connections 1024; }
	http {
		access_log off;
		client_body_temp_path $5/$1-body;
		proxy_temp_path $5/$1-proxy;
		fastcgi_temp_path $5/$1-fastcgi;
		uwsgi_temp_path $5/$1-uwsgi;
		scgi_temp_path $5/$1-scgi;
		server {
			listen 127.0.0.1:$2 ssl;
			ssl_certificate $3;
			ssl_certificate_key $4;
			ssl_protocols TLSv1.3;
			ssl_session_tickets on;
			location / { return 200 "ok\n"; }
		}
	}
	CONF
}
