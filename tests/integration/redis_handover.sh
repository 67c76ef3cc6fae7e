#!/bin/bash
# Planned handover: SIGTERM to redvipd on the master pauses writes, waits until n2's replica has
# every write, releases the VIP (priority 0) and makes its own Redis a replica of n2. Not one
# acknowledged write may be lost.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rft
two_nodes_up
pass "n1 master, n2's Redis follows it"

writer_start c --duration 5 --verify 10.77.0.2:6379
sleep 1.5
t0=$(now_ms)
kill -TERM "$PID_n1"
wait_until 5 has_vip n2 $VIP || fail "n2 did not take the VIP after SIGTERM on n1"
took=$(( $(now_ms) - t0 ))
rc=0; wait "$PID_n1" || rc=$?
exited=$(( $(now_ms) - t0 ))
[[ $rc -eq 0 ]] || fail "redvipd on n1 exited $rc on SIGTERM"
has_vip n1 $VIP && fail "n1 kept the VIP after SIGTERM"
wait_until 5 redis_follows n1 10.77.0.2 || fail "n1's Redis does not follow n2 after the handover: $(rcli n1 ROLE | tr '\n' ' ')"
[[ "$(redis_role n2)" == master ]] || fail "n2's Redis is not master"
writer_wait
echo "SIGTERM -> n2 holds the VIP after ${took} ms; redvipd on n1 exited after ${exited} ms"
figures redis_handover "vip_moved_ms=$took n1_exit_ms=$exited"
[[ "$W_LOST" == 0 ]] || fail "planned handover lost $W_LOST acknowledged writes"
(( W_OUTAGE < 3000 )) || fail "outage ${W_OUTAGE} ms"
pass "planned handover: lost 0, outage ${W_OUTAGE} ms"
