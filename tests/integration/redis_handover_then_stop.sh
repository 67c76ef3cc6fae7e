#!/bin/bash
# SIGTERM while a `redvipctl handover` is under way: the stop waits for the handover to end, then
# begins from the role it left; the two never run side by side (each pauses the master's writes,
# releases and promotes a successor). The handover is held open by n2's Redis hanging (SIGSTOP):
# the replicas must approach the master's offset before its writes are paused, and n2's does not
# answer. SIGTERM n1 meanwhile, then let n2's Redis resume: the handover completes, n1 (now a
# backup) stops plainly and exits 0, n2 holds the VIP with its Redis master, and not one
# acknowledged write is lost.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rhs
two_nodes_up
pass "n1 master, n2's Redis follows it"

writer_start c --duration 5 --timeout-ms 10 --verify 10.77.0.2:6379
sleep 1
kill -STOP "$(redis_pid n2)"
HANDOVER_OUT="$TOPO_TMP/handover.out"
( rc=0; ctl n1 handover VI_1 >"$HANDOVER_OUT" 2>&1 || rc=$?; echo "exit $rc" >>"$HANDOVER_OUT" ) &
HANDOVER_PID=$!
wait_until 2 grep -q "handover requested" "$TOPO_TMP/n1.log" || fail "n1 did not start the handover"
sleep 0.2
kill -TERM "$PID_n1"
wait_until 2 grep -q "stop waits for the handover under way" "$TOPO_TMP/n1.log" \
  || fail "SIGTERM did not wait for the handover: $(grep -E 'handover|SIGTERM' "$TOPO_TMP/n1.log" | tail -4 | tr '\n' ' ')"
[[ "$(state_of n1)" == MASTER ]] || fail "n1 is $(state_of n1) while its handover waits for n2's Redis"
sleep 0.3
kill -CONT "$(redis_pid n2)"
wait "$HANDOVER_PID" || true
grep -q "^VI_1: handed over to 10.77.0.2:6379" "$HANDOVER_OUT" || fail "handover: $(tr '\n' ' ' <"$HANDOVER_OUT")"
rc=0; wait "$PID_n1" || rc=$?
[[ $rc -eq 0 ]] || fail "redvipd on n1 exited $rc on SIGTERM"
wait_until 2 only_holder n2 n1 n2 || fail "the VIP is on '$(vip_holders $VIP n1 n2)', not only n2"
[[ "$(redis_role n2)" == master ]] || fail "n2's Redis is not master"
(( $(grep -c "holds every write .*: releasing\|releasing without a successor" "$TOPO_TMP/n1.log" || true) <= 1 )) \
  || fail "n1 released more than once: $(grep -E 'handover' "$TOPO_TMP/n1.log" | tr '\n' ' ')"
grep -q "releasing without a successor" "$TOPO_TMP/n1.log" && fail "n1's stop ran a second handover"
writer_wait
[[ -n ${REDVIP_KEEP_LOGS:-} ]] && mkdir -p "$REDVIP_KEEP_LOGS" && cp "$TOPO_TMP"/*.log "$W_LOG" "$REDVIP_KEEP_LOGS"/
figures redis_handover_then_stop
[[ "$W_LOST" == 0 ]] || fail "lost $W_LOST acknowledged writes"
pass "SIGTERM during a handover: the stop waited, handed over once, n1 exited 0, lost 0, outage ${W_OUTAGE} ms"
