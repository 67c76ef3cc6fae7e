#!/bin/bash
# The master cut off from everyone (its bridge port detached, carrier up: no Fault) for 5 s while
# the client writes through the VIP. n2 takes over and the client follows it; n1 stays master
# alone, reached by nobody, so its Redis takes (almost) nothing after the fork. On the heal the
# priorities say n1, the data says n2: n1's Redis yields (its few writes since the fork saved and
# merged onto n2), n1 leaves master, and preempts again only once its Redis has synced. Asserts:
# a split brain happened, one VIP holder afterwards with consistent Redis roles, every
# acknowledged write on the final master. FIGURES: the client's longest gap, the bytes each side
# wrote since the fork, the final master.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"
source "$HERE/lib/split_brain.sh"

topo_init rmi
split_pair_up on
pass "n1 master, n2's Redis follows it"
writer_start c --duration 12 --events --acked-file "$TOPO_TMP/acked"
sleep 1.5
isolate_then_join n1
writer_wait
grep -h "split brain" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log | sed 's/^/  /' | head -12
wait_until 15 final_master >/dev/null || fail "no consistent master/replica pair after the heal: n1 $(redis_role n1) n2 $(redis_role n2), VIP on '$(vip_holders "$VIP" n1 n2)'"
m=$(final_master)
verify_acked "$m"
lost=$LOST acked=$ACKED
(( acked > 0 )) || fail "no acknowledged write to check"
grep -q "split brain" "$TOPO_TMP/n1.log" || fail "n1 logged no split brain"
since=$(grep -ho "since then a [0-9]* bytes, b [0-9]* bytes" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log | head -1)
echo "FIGURES split_brain_master_isolated: outage_ms=$W_OUTAGE acked=$acked lost=$lost final_master=$m verdict='${since:--}'"
(( lost == 0 )) || fail "$lost acknowledged writes are not on the final master $m"
pass "master isolated 5 s: every one of $acked acknowledged writes on the final master $m"
