#!/bin/bash
# What peer_loss_pause costs when the backup simply dies: n2's Redis stops (its host still up:
# n1 must hold nothing), then n2's host crashes (cable out, daemon killed) while the client
# writes to n1 through the VIP. n1 cannot tell a crash from
# a cut, so it holds its writes until n2 could have taken over (the window, here 4 x 0.1 s +
# 0.05 + 0.1 + 0.1 = 650 ms after n2's last answer), then lets them through for good. Asserts:
# the hold and its end are logged, writes resume (the pause is never left in place), nothing
# is lost, n1 keeps the VIP. FIGURES: the client's longest gap (the cost) beside the window.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rpc
RVD_REDIS_EXTRA="peer_loss_pause auto" two_nodes_up
pass "n1 master, n2's Redis follows it"
writer_start c --duration 6 --events --verify 10.77.0.1:6379
sleep 1
# First only n2's Redis stops, its host up: a refused connection says n2 is reached (and its
# daemon in Fault can take nothing over), so n1 holds nothing.
redis_kill n2
sleep 1.5
if grep -q "redis peer 10.77.0.2:6379 does not answer" "$TOPO_TMP/n1.log"; then
  fail "n1 held its writes while n2's host answered (only its Redis was down): $(grep 'redis peer' "$TOPO_TMP/n1.log")"
fi
pass "n2's Redis down, its host up: n1 holds nothing"
topo_cut n2
kill -KILL "$PID_n2" 2>/dev/null || true
writer_wait
grep -h "redis peer" "$TOPO_TMP/n1.log" | sed 's/^/  /'
grep -q "redis peer 10.77.0.2:6379 does not answer: writes held" "$TOPO_TMP/n1.log" ||
  fail "n1 did not hold its writes when n2 fell silent"
grep -q "redis peer 10.77.0.2:6379 silent for 650 ms: writes go through again" "$TOPO_TMP/n1.log" ||
  fail "n1 did not let its writes through once the window ran out"
only_holder n1 n1 n2 || fail "VIP holders: '$(vip_holders "$VIP" n1 n2)'"
figures redis_peer_loss_backup_crash "window_ms=650"
(( W_LOST == 0 )) || fail "lost $W_LOST acknowledged writes"
# Functional, not timing targets: the writes were held at all (the window is 650 ms, the hold
# starts once a question goes unanswered), and the hold ends (renewed only within the window).
(( W_OUTAGE >= 200 )) || fail "writes were held only ${W_OUTAGE} ms: was CLIENT PAUSE sent?"
(( W_OUTAGE < 2000 )) || fail "writes stayed held for ${W_OUTAGE} ms"
pass "backup crash with peer_loss_pause: writes held ${W_OUTAGE} ms (window 650 ms), lost 0"
