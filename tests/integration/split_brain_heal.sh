#!/bin/bash
# Split brain, healed: the link between the two nodes is cut (bridge port isolation, so the
# client still reaches both) for 5 s. n2 takes over and announces; the client follows it. On the
# heal n1 (the better master) answers n2 and announces at once, n2 yields: once n2 drops the
# client, the client must reach the VIP on n1 within 100 ms, not after its neighbour entry times
# out (before: never within the run). Both nodes log and count the split brain. (Which writes
# survive is not decided here: the loss is only reported.)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"
source "$HERE/lib/split_brain.sh"

topo_init rsb
two_nodes_up
pass "n1 master, n2's Redis follows it"
# The target is 100 ms (the VIP is announced within a millisecond of the yield); the client's own
# reconnects on a loaded 2-core machine add tens of ms, so the test fails above 200 ms.
MAX_MS=${SPLIT_HEAL_MAX_MS:-200}

# A 30 ms command timeout: the client's connection to n2 goes silent when n2 removes the VIP,
# and the outage measured is to be the VIP's, not the client's timeout.
writer_start c --duration 9 --events --timeout-ms 30 --verify 10.77.0.1:6379
sleep 1
split_on n1
split_on n2
wait_until 3 has_vip n2 $VIP || fail "n2 did not take over while cut off from n1"
has_vip n1 $VIP || fail "n1 lost the VIP while only cut off from n2"
pass "cut: both nodes hold the VIP (split brain)"
sleep 5
heal=$(clock_ms_of_day)
split_off n1  # isolated ports reach no isolated port: one side off heals the link
split_off n2
wait_until 3 only_holder n1 n1 n2 || fail "after the heal the VIP holders are '$(vip_holders $VIP n1 n2)', not n1 alone"
wait_until 5 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1 after the heal"
writer_wait

# The client writes to n2 until n2 yields (those writes are lost, as reported), then
# must reach n1: the gap in acknowledged writes after the heal is the client's outage.
reach_ms=$(resumed_after "$heal")
outage_ms=$(heal_outage "$heal")
[[ -n "$reach_ms" ]] || { grep 'writer: ' "$W_LOG" | tail -5; fail "no write resumed after the heal"; }
echo "heal -> writes failed for ${outage_ms} ms, resumed ${reach_ms} ms after the heal"
figures split_brain_heal "heal_outage_ms=$outage_ms resumed_after_heal_ms=$reach_ms"

grep -q "split brain: 10.77.0.2 (priority 100) is master too; staying master" "$TOPO_TMP/n1.log" ||
  fail "n1 did not log the split brain: $(grep -i split "$TOPO_TMP/n1.log" | tail -3)"
# The end: n2 went silent (it yielded), or the data made n1 yield (split_heal: no
# diverged_writes_dir here, so n1's writes since the fork are discarded, logged as an error).
grep -qE "split brain over: 10.77.0.2 yielded|split brain with 10.77.0.2: " "$TOPO_TMP/n1.log" ||
  fail "n1 did not log the end of the split brain"
grep -q "split brain: 10.77.0.1 (priority 150) is master too; yielding after" "$TOPO_TMP/n2.log" ||
  fail "n2 did not log the split brain: $(grep -i split "$TOPO_TMP/n2.log" | tail -3)"
# Once each (unit tests check exactly); a loaded machine can add a health flap and a failover.
(( $(split_brains n1) >= 1 && $(split_brains n2) >= 1 )) ||
  fail "split brains counted: n1 '$(split_brains n1)', n2 '$(split_brains n2)'"
pass "both nodes logged and counted the split brain (n1 $(split_brains n1), n2 $(split_brains n2))"
(( outage_ms <= MAX_MS )) || fail "the client reached the VIP ${outage_ms} ms after losing it at the heal (at most ${MAX_MS} ms)"
pass "client reaches the VIP again ${outage_ms} ms after losing it at the heal"
