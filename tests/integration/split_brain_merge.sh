#!/bin/bash
# Split brain with Redis, diverged_writes_merge on: the link between the nodes is cut for 5 s
# while the client reaches both and writes through the VIP. On the heal the data decides whose
# Redis keeps its data set; the other's writes since the fork are saved and merged onto it.
# Every acknowledged write must be on the final master; one VIP holder, consistent roles.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"
source "$HERE/lib/split_brain.sh"

topo_init rsm
split_brain_run on
wait_until 15 final_master >/dev/null || fail "no consistent master/replica pair after the heal: n1 $(redis_info_field n1 role) n2 $(redis_info_field n2 role), VIP on '$(vip_holders "$VIP" n1 n2)'"
m=$(final_master)
grep -h "split brain" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log | sed 's/^/  /' | head -20
verify_acked "$m"
lost=$LOST acked=$ACKED
reach=$(resumed_after "$SB_HEAL_MS")
outage=$(heal_outage "$SB_HEAL_MS")
echo "FIGURES split_brain_merge: acked=$acked lost=$lost final_master=$m first_write_after_heal_ms=${reach:--} heal_outage_ms=$outage"
grep -q "merged .* onto" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log || fail "no merge was logged"
! grep -q "database selected at offset .* is unknown" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log ||
  fail "the save did not know the database at the fork: $(grep -h "is unknown" "$TOPO_TMP"/n?.log | head -1)"
(( lost == 0 )) || fail "$lost acknowledged writes are not on the final master $m"
pass "merge on: all $acked acknowledged writes on the final master $m"
