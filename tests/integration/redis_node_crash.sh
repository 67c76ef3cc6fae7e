#!/bin/bash
# The master node crashes: redvipd and redis-server SIGKILLed and the cable cut. n2 takes over
# after master-down; the writes acknowledged by n1 but not yet replicated are lost (reported).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rft
two_nodes_up
pass "n1 master, n2's Redis follows it"
# The backup's status shows its master's offset and its lag, read from the master (its own INFO
# has only its own offset) about once a second, also long after its sync: never older than 2 s.
backup_shows_lag() { ctl n2 status | grep -Eq "; master offset [0-9]+, [0-9]+ bytes behind \(read [01]\.[0-9] s ago\)"; }
wait_until 3 backup_shows_lag || fail "n2's status shows no master offset: $(ctl n2 status)"
sleep 2.5
backup_shows_lag || fail "n2's status shows a stale master offset: $(ctl n2 status)"
ctl n2 status --json | grep -Eq '"master_offset":[0-9]+,"lag_bytes":[0-9]+' ||
  fail "n2's JSON status has no master offset: $(ctl n2 status --json)"

writer_start c --duration 5 --verify 10.77.0.2:6379
sleep 1.5
t0=$(now_ms)
kill -KILL "$PID_n1"
redis_kill n1
topo_cut n1
wait_until 5 has_vip n2 $VIP || fail "n2 did not take the VIP after n1 crashed"
took=$(( $(now_ms) - t0 ))
[[ "$(redis_info_field n2 role)" == master ]] || fail "n2's Redis is not master after the takeover"
# The takeover's timeline names the Redis promotion with its time, between decision and VIP.
grep -Eq "VI_1: timeline: BACKUP -> MASTER \(.*\): cause seen \+[0-9.]+ ms, decision \+[0-9.]+ ms, redis promoted \+[0-9.]+ ms, VIP added" "$TOPO_TMP/n2.log" ||
  fail "no timeline with the redis promotion in n2's log: $(grep timeline: "$TOPO_TMP/n2.log")"
writer_wait
echo "node crash -> n2 holds the VIP after ${took} ms"
figures redis_node_crash "vip_moved_ms=$took"
(( W_LOST >= 0 )) || fail "could not verify on n2"
(( W_OUTAGE < 3000 )) || fail "outage ${W_OUTAGE} ms"
(( W_LOST <= 50 )) || fail "lost $W_LOST acknowledged writes"
pass "master node crashed: failover with outage ${W_OUTAGE} ms, lost $W_LOST"
