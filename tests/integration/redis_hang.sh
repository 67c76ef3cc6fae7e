#!/bin/bash
# The master's Redis hangs (SIGSTOP) for 5 s, then resumes (SIGCONT). n2 must take over while it
# hangs; after it resumes n1's Redis must become a replica of n2 (never a second master). n1 has
# priority 150 and preempts once synced, so the end state is checked for exactly one master: one
# VIP holder whose Redis is master, the other's Redis following it. Loss is counted on that master.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rft
two_nodes_up
pass "n1 master, n2's Redis follows it"

writer_start c --duration 10 --acked-file "$TOPO_TMP/hang.acked"
sleep 1.5
t0=$(now_ms)
kill -STOP "$(redis_pid n1)"
wait_until 5 has_vip n2 $VIP || fail "n2 did not take the VIP while n1's Redis hung"
took=$(( $(now_ms) - t0 ))
echo "redis hung -> n2 holds the VIP after ${took} ms"
wait_until 3 lacks_vip n1 $VIP || fail "n1 kept the VIP while its Redis hung"
sleep $(( 5 - took / 1000 ))
kill -CONT "$(redis_pid n1)"
echo "n1's Redis resumed after $(( $(now_ms) - t0 )) ms"
# n1 resumes as n2's replica; once synced it may preempt at once (priority 150), and the
# controller promotes it only from a synced replica of n2, so n2 following n1 is also fine.
resumed_as_replica() { redis_follows n1 10.77.0.2 || { has_vip n1 $VIP && redis_follows n2 10.77.0.1; }; }
wait_until 10 resumed_as_replica ||
  fail "n1's Redis did not become a replica of n2: $(rcli n1 ROLE | tr '\n' ' ')"
resynced=$(( $(now_ms) - t0 ))
writer_wait
sleep 1
holders=$(vip_holders $VIP n1 n2)
[[ "$holders" == n1 || "$holders" == n2 ]] || fail "VIP holders after n1 resumed: '$holders'"
other=n1; [[ $holders == n1 ]] && other=n2
r_m=$(redis_role "$holders"); r_o=$(redis_role "$other")
[[ "$r_m" == master && "$r_o" == slave ]] || fail "roles after resume: $holders=$r_m $other=$r_o"
redis_follows "$other" "10.77.0.${holders#n}" || fail "$other's Redis does not follow the VIP holder $holders"
check=$(topo_exec c "$VIP_WRITER" --verify-only "10.77.0.${holders#n}:6379" --acked-file "$TOPO_TMP/hang.acked")
W_LOST=$(sed -n 's/.* lost=\([0-9-]*\).*/\1/p' <<<"$check")
figures redis_hang "vip_moved_ms=$took n1_replica_of_n2_ms=$resynced final_master=$holders roles_after=$holders:$r_m,$other:$r_o"
(( W_LOST >= 0 )) || fail "could not verify on $holders"
(( W_LOST <= 50 )) || fail "lost $W_LOST acknowledged writes"
pass "hung Redis: n2 took over, n1 resumed as its replica; exactly one master ($holders); lost $W_LOST"
