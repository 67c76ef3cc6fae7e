#!/bin/bash
# The master's Redis hangs (SIGSTOP) for 5 s, then resumes (SIGCONT). n2 must take over while it
# hangs; after it resumes n1's Redis must become a replica of n2 (never a second master). n1 has
# priority 150 and preempts, but only once its Redis is close to n2's offset (a returning node's
# promotion gate: synced AND caught up), and n2's writes are then paused only for the last
# stretch. A writer with a short timeout (20 ms, so a pause shows as failed writes) measures the
# write outage of the failover and of the return separately (figures; timing targets live in
# scripts/bench). The end state has exactly one master: one VIP holder whose Redis is master, the
# other's Redis following it, and not one acknowledged write missing there.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rft
two_nodes_up
pass "n1 master, n2's Redis follows it"

writer_start c --duration 12 --timeout-ms 20 --events --acked-file "$TOPO_TMP/hang.acked"
sleep 1.5
t0=$(now_ms)
kill -STOP "$(redis_pid n1)"
wait_until 5 has_vip n2 $VIP || fail "n2 did not take the VIP while n1's Redis hung"
took=$(( $(now_ms) - t0 ))
echo "redis hung -> n2 holds the VIP after ${took} ms"
wait_until 3 lacks_vip n1 $VIP || fail "n1 kept the VIP while its Redis hung"
sleep $(( 5 - took / 1000 ))
resumed_at=$(clock_ms_of_day)
kill -CONT "$(redis_pid n1)"
t1=$(now_ms)
echo "n1's Redis resumed after $(( t1 - t0 )) ms"
# n1 resumes as n2's replica; once synced and caught up it preempts (priority 150), and the
# controller promotes it only from a synced replica of n2, so n2 following n1 is also fine.
resumed_as_replica() { redis_follows n1 10.77.0.2 || { has_vip n1 $VIP && redis_follows n2 10.77.0.1; }; }
wait_until 10 resumed_as_replica ||
  fail "n1's Redis did not become a replica of n2: $(rcli n1 ROLE | tr '\n' ' ')"
resynced=$(( $(now_ms) - t0 ))
back=-
wait_until 5 has_vip n1 $VIP && back=$(( $(now_ms) - t1 ))
writer_wait
sleep 1
settled_after_return "after n1 resumed" "$TOPO_TMP/hang.acked"
failover_ms=$(max_outage_between 0 "$resumed_at")
return_ms=$(max_outage_between "$resumed_at")
figures redis_hang "failover_outage_ms=$failover_ms return_outage_ms=$return_ms vip_moved_ms=$took n1_replica_of_n2_ms=$resynced vip_back_after_resume_ms=$back final_master=$holders roles_after=$holders:$r_m,$other:$r_o"
pass "hung Redis: n2 took over, n1 resumed as its replica; exactly one master ($holders); lost 0"
