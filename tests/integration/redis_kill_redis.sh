#!/bin/bash
# The master's redis-server is SIGKILLed while a client writes through the VIP (10 ms timeout):
# redvipd on n1 sees its connection close at once (no waiting for fall failed checks), releases
# the VIP and promotes n2's replica; n2 sees its Redis made master right after the release and
# takes the VIP without the skew wait. Loss is allowed only for what replication had not yet
# sent; it is reported and must be small.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rft
two_nodes_up
pass "n1 master, n2's Redis follows it"

writer_start c --duration 5 --timeout-ms 10 --verify 10.77.0.2:6379
sleep 1.5
t0=$(now_ms)
redis_kill n1
wait_until 5 has_vip n2 $VIP || fail "n2 did not take the VIP after n1's Redis died"
took=$(( $(now_ms) - t0 ))
wait_until 3 lacks_vip n1 $VIP ||
  fail "n1 still holds the VIP without its Redis"
[[ "$(redis_info_field n2 role)" == master ]] || fail "n2's Redis is not master after the takeover"
grep -q "connection lost" "$TOPO_TMP/n1.log" || fail "n1 did not see its Redis connection close"
if ! grep -q "handed over by 10.77.0.1" "$TOPO_TMP/n2.log"; then
  # The hand-off races the skew time (~60 ms here); an ASan build on a loaded CI box can lose
  # that race, which costs time, never data: the path is checked in the default build only.
  why="n2 took over after the skew wait, not at once: $(grep -E 'MASTER' "$TOPO_TMP/n2.log" | tail -2)"
  [[ ${REDVIP_SANITIZED:-0} == 1 ]] && echo "note (ASan build): $why" || fail "$why"
fi
writer_wait
[[ -n ${REDVIP_KEEP_LOGS:-} ]] && mkdir -p "$REDVIP_KEEP_LOGS" && cp "$TOPO_TMP"/*.log "$W_LOG" "$REDVIP_KEEP_LOGS"/
echo "redis killed -> n2 holds the VIP after ${took} ms"
figures redis_kill_redis "vip_moved_ms=$took"
(( W_LOST >= 0 )) || fail "could not verify on n2"
(( W_OUTAGE < 3000 )) || fail "outage ${W_OUTAGE} ms"
# At ~1 write/ms, what a replica may not have received when the master died: a few ms of writes.
(( W_LOST <= 50 )) || fail "lost $W_LOST acknowledged writes"
pass "master's Redis killed: failover with outage ${W_OUTAGE} ms, lost $W_LOST"
