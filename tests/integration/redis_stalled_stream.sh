#!/bin/bash
# The backup's link goes down for 3.5 s and comes back; a second later the master crashes. The
# replica's TCP connection to the master survived the cut (Redis notices a dead link only after
# repl-timeout), but n1's kernel resends what it queued only at its next retransmission, about
# 6 s after the cut: until then n2's Redis holds none of the writes since the cut, and the crash
# would lose them all (the soak lost 1358 so). n2 hears n1 again after the silence, finds the
# stream standing still and restarts its Redis's link (CLIENT KILL TYPE master): Redis continues
# from its offset at once. Asserts: the restart is logged and counted, n2 takes over, and the
# writes lost are only the crash's last moments (as redis_node_crash). FIGURES: writes lost.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rss
two_nodes_up
pass "n1 master, n2's Redis follows it"
writer_start c --duration 8 --verify 10.77.0.2:6379
sleep 1
topo_cut n2
sleep 3.5
topo_heal n2
restarted() { grep -q "heard again after a silence: our redis's stream from it stood still" "$TOPO_TMP/n2.log"; }
wait_until 3 restarted ||
  fail "n2 did not restart its Redis's stalled stream: $(grep -E 'heard again|not heard' "$TOPO_TMP/n2.log" | tail -3)"
grep "heard again after a silence" "$TOPO_TMP/n2.log" | sed 's/^/  /'
ctl n2 status --json | grep -q '"stalled_streams_restarted":1' ||
  fail "n2's status does not count the restart: $(ctl n2 status --json)"
replica_keeps_up n2 n1 1 || fail "n2's Redis did not catch up after the restart"
pass "the stalled stream restarted: n2's Redis caught up with n1"
sleep 1
kill -KILL "$PID_n1"
redis_kill n1
topo_cut n1
wait_until 5 has_vip n2 $VIP || fail "n2 did not take the VIP after n1 crashed"
writer_wait
figures redis_stalled_stream
(( W_LOST >= 0 )) || fail "could not verify on n2"
(( W_LOST <= 50 )) || fail "lost $W_LOST acknowledged writes (only the crash's last moments may be)"
pass "master crashed after the backup's link returned: lost $W_LOST"
