# make bench (userspace/bench): the benchmark harness. Shell scripts run
# the servers and clients; the C load client is built here. Helper
# programs for the handshake and round-trip sections live in hs.mk.
-include userspace/bench/hs.mk
