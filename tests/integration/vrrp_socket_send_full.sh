#!/usr/bin/env bash
# A full socket send buffer never blocks: with the interface's queue drained at 8 kbit/s, a
# burst of adverts fills the buffer, the rest are counted as send errors and dropped, and the
# burst returns at once instead of waiting for the queue. (An IP raw socket reports a full
# buffer as ENOBUFS, not EAGAIN: strace shows it; both are counted alike.)
set -euo pipefail
source "$(dirname "$0")/lib/topology.sh"
topo_init vsf

A=$(topo_ns a) B=$(topo_ns b)
topo_lan 82 a b
ip netns exec "$A" tc qdisc add dev eth0 root tbf rate 8kbit burst 1600 limit 10000000

start=$(date +%s%N)
out=$(ip netns exec "$A" "$TOPO_TOOLS/vrrp_send" --interface eth0 --family 4 --version 3 \
  --vip 10.82.0.100 --count 3000 --gap-ms 0 || true)
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
echo "$out in $elapsed_ms ms"
[[ $out =~ ^sent=([0-9]+)\ send_errors=([0-9]+) ]] || fail "unexpected output: $out"
sent=${BASH_REMATCH[1]} errors=${BASH_REMATCH[2]}
((sent > 0 && errors > 0 && sent + errors == 3000)) || fail "want some sent and the rest dropped: $out"
# 8 kbit/s drains about 16 adverts a second: blocking would take minutes, not milliseconds.
((elapsed_ms < 3000)) || fail "sending took $elapsed_ms ms: it blocked"
pass "full send buffer: $sent queued, $errors dropped and counted, returned in $elapsed_ms ms"
