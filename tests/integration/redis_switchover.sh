#!/bin/bash
# redvipctl handover on a running pair while a client writes through the VIP every ms with a
# 10 ms timeout: n1 pauses its writes, n2's Redis gets every write and is promoted, n1 releases
# and n2 takes the VIP at once (no skew wait); n1 keeps running as BACKUP with its Redis
# following n2, and does not preempt n2 back. Then the refusals: on the backup (not master),
# and with --to an address that is no replica. Finally SIGTERM on the new master n2 hands back
# to n1 the same way. Not one acknowledged write may be lost; the write pause is the outage the
# client sees.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rsw
two_nodes_up
pass "n1 master, n2's Redis follows it"

# Refused on the backup, with exit status 3 and the reason.
rc=0; out=$(ctl n2 handover 2>&1) || rc=$?
[[ $rc -eq 3 && $out == "refused: VI_1 is BACKUP, not master"* ]] || fail "handover on the backup: exit $rc, '$out'"
# Refused with --to an address that is no replica; writes go on.
rc=0; out=$(ctl n1 handover VI_1 --to 10.77.0.9 2>&1) || rc=$?
[[ $rc -eq 3 && $out == *"10.77.0.9 is not a replica of our redis"* ]] || fail "handover --to a non-replica: exit $rc, '$out'"
rc=0; out=$(ctl n1 handover --to nonsense 2>&1) || rc=$?
[[ $rc -eq 2 ]] || fail "handover --to nonsense: exit $rc, '$out'"
only_holder n1 n1 n2 || fail "a refused handover moved the VIP"
[[ "$(redis_role n1)" == master ]] || fail "a refused handover changed n1's Redis"
rcli n1 SET rsw:probe 2 >/dev/null || fail "n1's Redis does not take writes after a refused handover"
pass "refusals: backup (exit 3), --to a non-replica (exit 3), malformed (exit 2); nothing changed"

writer_start c --duration 4 --timeout-ms 10 --verify 10.77.0.2:6379
sleep 1.5
t0=$(now_ms)
rc=0; out=$(ctl n1 handover VI_1 --to 10.77.0.2 2>&1) || rc=$?
answered=$(( $(now_ms) - t0 ))
[[ $rc -eq 0 && $out == "VI_1: handed over to 10.77.0.2:6379"* ]] || fail "handover: exit $rc, '$out'"
wait_until 1 has_vip n2 $VIP || fail "n2 did not take the VIP after redvipctl handover"
lacks_vip n1 $VIP || fail "n1 still holds the VIP after the handover"
[[ "$(redis_role n2)" == master ]] || fail "n2's Redis is not master"
wait_until 3 redis_follows n1 10.77.0.2 || fail "n1's Redis does not follow n2: $(rcli n1 ROLE | tr '\n' ' ')"
grep -q "handed over by 10.77.0.1" "$TOPO_TMP/n2.log" || fail "n2 did not take over at once: $(grep -E 'MASTER' "$TOPO_TMP/n2.log" | tail -2)"
writer_wait
[[ -n ${REDVIP_KEEP_LOGS:-} ]] && mkdir -p "$REDVIP_KEEP_LOGS" && cp "$TOPO_TMP"/*.log "$W_LOG" "$REDVIP_KEEP_LOGS"/
echo "redvipctl handover: '$out' (answered after ${answered} ms)"
figures redis_switchover "answered_ms=$answered"
[[ "$W_LOST" == 0 ]] || fail "handover lost $W_LOST acknowledged writes"
(( W_OUTAGE < 500 )) || fail "outage ${W_OUTAGE} ms"
pass "handover n1 -> n2: lost 0, outage ${W_OUTAGE} ms"

# n1 (priority 150) stays BACKUP: it does not preempt n2 (priority 100) back.
sleep 1
[[ "$(state_of n1)" == BACKUP ]] || fail "n1 is $(state_of n1), not BACKUP, after handing over"
only_holder n2 n1 n2 || fail "n1 took the VIP back: '$(vip_holders $VIP n1 n2)'"
replica_keeps_up n1 n2 2 || fail "n1's Redis does not apply n2's stream: n1 $(rcli n1 ROLE | tr '\n' ' '); n2 offset $(redis_info_field n2 master_repl_offset); $(grep -vE 'connected|debug' "$TOPO_TMP/n1.log" | tail -4 | tr '\n' ' ')"
pass "n1 stays BACKUP after the handover, its Redis replicating from n2"

# SIGTERM on the new master takes the same path back to n1.
writer_start c --duration 4 --timeout-ms 10 --verify 10.77.0.1:6379
sleep 1.5
kill -TERM "$PID_n2"
wait_until 5 has_vip n1 $VIP || fail "n1 did not take the VIP after SIGTERM on n2"
rc=0; wait "$PID_n2" || rc=$?
[[ $rc -eq 0 ]] || fail "redvipd on n2 exited $rc on SIGTERM"
grep -q "handed over by 10.77.0.2" "$TOPO_TMP/n1.log" || fail "n1 did not take over at once after SIGTERM"
wait_until 5 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1 after SIGTERM"
writer_wait
figures redis_switchover_sigterm
[[ "$W_LOST" == 0 ]] || fail "SIGTERM handover lost $W_LOST acknowledged writes"
(( W_OUTAGE < 500 )) || fail "outage ${W_OUTAGE} ms"
pass "SIGTERM on n2 -> n1: lost 0, outage ${W_OUTAGE} ms"
