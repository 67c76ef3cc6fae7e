#!/bin/bash
# redvipd on the master is SIGKILLed and nothing cleans up after it (no ExecStopPost): its VIP
# stays on n1 and its Redis stays a master that still takes writes over open connections. After
# master-down n2 must pause n1's Redis and catch up with it before REPLICAOF NO ONE, then make it
# a replica, so a writer through the VIP loses nothing. n1's redvipd then restarts (removing the
# VIP left behind) and returns. Afterwards: one VIP holder whose Redis is master, the other
# following it, not one acknowledged write missing. The write outages are figures.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rdk
two_nodes_up
pass "n1 master, n2's Redis follows it"

writer_start c --duration 8 --timeout-ms 20 --events --acked-file "$TOPO_TMP/kill.acked"
sleep 1.5
t0=$(now_ms)
kill -KILL "$PID_n1"
wait "$PID_n1" 2>/dev/null || true
wait_until 5 has_vip n2 $VIP || fail "n2 did not take the VIP after n1's redvipd died"
took=$(( $(now_ms) - t0 ))
wait_until 5 redis_follows n1 10.77.0.2 ||
  fail "n1's Redis, left a master by its dead redvipd, does not follow n2: role=$(redis_role n1)"
grep -q "CLIENT PAUSE\|caught up with 10.77.0.1" "$TOPO_TMP/n2.log" ||
  fail "n2 promoted without pausing n1's live Redis: $(grep -E 'promot|silent' "$TOPO_TMP/n2.log" | tail -3 | tr '\n' ' ')"
pass "n2 took over after ${took} ms, with n1's Redis paused and caught up with first"
sleep 2
up_at=$(clock_ms_of_day)
start_redvipd n1 "$(redis_node_conf n1 150 "" "")"
wait_until 8 only_holder n1 n1 n2 || fail "n1 did not return: holders '$(vip_holders $VIP n1 n2)'"
writer_wait
sleep 1
settled_after_return "after n1's redvipd restarted" "$TOPO_TMP/kill.acked"
failover_ms=$(max_outage_between 0 "$up_at")
return_ms=$(max_outage_between "$up_at")
figures redis_daemon_kill "failover_outage_ms=$failover_ms return_outage_ms=$return_ms vip_moved_ms=$took"
pass "redvipd SIGKILLed on the master: n2 took over, n1 returned; lost 0"
