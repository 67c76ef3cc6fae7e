#!/bin/bash
# The event loop is not held up by VIP changes: 1000 IPv4 and 1000 IPv6 VIPs are added and
# removed one per handler on an io_context whose 1 ms timer records how late it fires. Every
# request must find the kernel's answer already queued when sendmsg() returns (no poll() wait).
# How late the timer fired is reported; only a stall of a whole second (a request that blocked,
# not a busy CPU) fails the test: this machine's CPUs are shared with other work.
set -eu  # no pipefail: `... | grep -q` may end the writer with SIGPIPE
source "$(dirname "$0")/lib/topology.sh"
topo_init vnb
limit_us=1000000
topo_netns s
ns=$(topo_ns s)
tools=$TOPO_TOOLS
ip -n "$ns" link add nla0 type veth peer name nla1
ip -n "$ns" link set nla0 up
value() { echo "$1" | awk -v key="$2" '$1 == key {print $2}'; }

for base in 10.20.0.1/16 fd00::1:0/64; do
  out=$(ip netns exec "$ns" "$tools/vip_tool" stall nla0 1000 "$base") || fail "stall run for $base: $out"
  echo "== 1000 VIPs from $base"
  echo "$out"
  [ "$(value "$out" after_adds)" = 1000 ] || fail "not all 1000 VIPs were on nla0 after the adds"
  [ "$(value "$out" after_removes)" = 0 ] || fail "VIPs left on nla0 after the removals"
  [ "$(value "$out" requests_that_waited)" = 0 ] ||
    fail "some requests had to wait for the kernel's answer"
  stall=$(value "$out" longest_stall_us)
  [ "$stall" -lt "$limit_us" ] || fail "the io_context stalled ${stall} us (limit ${limit_us} us)"
done
echo PASS
