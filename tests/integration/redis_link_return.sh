#!/bin/bash
# The master's link goes down for 3 s (its veth on the bridge taken down), then comes back. n2 takes over while
# n1 is cut off; when the link is back, n1's Redis (a master of a history n2 has moved on from)
# follows n2, and n1 preempts (priority 150) only once its Redis is synced and close to n2's
# offset, pausing n2's writes only for the last stretch. A writer with a short timeout (20 ms)
# measures the write outage of the failover and of the return separately (figures; timing targets
# live in scripts/bench). Afterwards: one VIP holder whose Redis is master, the other's Redis
# following it, and not one acknowledged write missing there.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rlr
two_nodes_up
pass "n1 master, n2's Redis follows it"

writer_start c --duration 10 --timeout-ms 20 --events --acked-file "$TOPO_TMP/link.acked"
sleep 1.5
t0=$(now_ms)
topo_cut n1  # its veth on the bridge: n1 sees its eth0 lose carrier
wait_until 5 has_vip n2 $VIP || fail "n2 did not take the VIP while n1's link was down"
took=$(( $(now_ms) - t0 ))
echo "n1's link down -> n2 holds the VIP after ${took} ms"
sleep $(( 3 - took / 1000 ))
up_at=$(clock_ms_of_day)
topo_heal n1
t1=$(now_ms)
echo "n1's link up after $(( t1 - t0 )) ms"
back=-
wait_until 6 only_holder n1 n1 n2 && back=$(( $(now_ms) - t1 ))
writer_wait
sleep 1
settled_after_return "after the link came back" "$TOPO_TMP/link.acked"
failover_ms=$(max_outage_between 0 "$up_at")
return_ms=$(max_outage_between "$up_at")
figures redis_link_return "failover_outage_ms=$failover_ms return_outage_ms=$return_ms vip_moved_ms=$took vip_back_after_link_up_ms=$back final_master=$holders"
pass "link down 3 s: n2 took over, n1 returned; exactly one master ($holders); lost 0"
