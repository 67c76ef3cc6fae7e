#!/bin/bash
# The backup cut off from everyone (its bridge port detached, carrier up) for 5 s while the client writes to the master
# through the VIP. n2 takes over alone (nobody reaches it, so its Redis takes no writes), n1
# keeps serving; on the heal the two masters meet, and the data decides: n2's Redis took nothing
# since the fork, so it yields and resyncs from n1. Asserts: n2 did take over (a split brain), one
# VIP holder afterwards with consistent Redis roles, every acknowledged write on the final master,
# nothing saved (nothing diverged on n2). FIGURES: the client's longest gap, and how long after the
# heal n2's Redis follows n1 again.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"
source "$HERE/lib/split_brain.sh"

topo_init rbi
split_pair_up on
pass "n1 master, n2's Redis follows it"
writer_start c --duration 10 --events --acked-file "$TOPO_TMP/acked"
sleep 1.5
isolate_then_join n2
wait_until 15 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1 after the heal: $(redis_role n2)"
relinked=$(( $(clock_ms_of_day) - SB_HEAL_MS ))
writer_wait
grep -h "split brain" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log | sed 's/^/  /' | head -12
m=$(final_master) || fail "no consistent master/replica pair: n1 $(redis_role n1) n2 $(redis_role n2), VIP on '$(vip_holders "$VIP" n1 n2)'"
[[ $m == n1 ]] || fail "the final master is $m, not n1 (which kept serving the client)"
verify_acked n1
lost=$LOST acked=$ACKED
(( acked > 0 )) || fail "no acknowledged write to check"
if grep -q "saved the writes" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log; then
  fail "writes were saved although n2 took none: $(grep -h 'saved the writes' "$TOPO_TMP"/n?.log)"
fi
echo "FIGURES split_brain_backup_isolated: outage_ms=$W_OUTAGE acked=$acked lost=$lost n2_follows_after_heal_ms=$relinked"
(( lost == 0 )) || fail "$lost acknowledged writes are not on n1"
pass "backup isolated 5 s: n1 kept every one of $acked acknowledged writes, n2 follows it again"
