#!/bin/bash
# peer_loss_pause auto, the link between the nodes cut 5 s while the client reaches both (as
# split_brain_merge.sh). n1 stops hearing n2's Redis and holds its writes until n2 could have
# taken over and announced; the client's writes meanwhile time out and go to n2 once it
# announces. So n1, the side that yields its data on the heal, holds only the writes of the
# moments before it noticed (one check cycle), where without the setting it holds those of the
# whole master-down interval. Asserts: the hold is logged and counted, every acknowledged write
# on the final master (merge on), one VIP holder and consistent roles. FIGURES: n1's writes
# since the fork, as the heal's verdict counts them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"
source "$HERE/lib/split_brain.sh"

topo_init rpl
# No second GARP burst 5 s after n1 became master: it would fall inside the cut and bring the
# client back to n1, and the figure below would measure that instead.
SB_REDIS_EXTRA="peer_loss_pause auto" SB_INSTANCE_EXTRA="garp_master_delay 0" split_brain_run on
wait_until 15 final_master >/dev/null || fail "no consistent master/replica pair after the heal: n1 $(redis_info_field n1 role) n2 $(redis_info_field n2 role), VIP on '$(vip_holders "$VIP" n1 n2)'"
# What redvipd -t tells the operator the settings do.
"$REDVIPD" -t -f "$TOPO_TMP/n1.conf" | grep -q "merged onto the winner; a master whose Redis hangs hands off at once; writes held up to 650 ms after a silent peer's last answer" ||
  fail "redvipd -t does not show the split-brain settings: $("$REDVIPD" -t -f "$TOPO_TMP/n1.conf")"
m=$(final_master)
grep -h "split brain\|redis peer" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log | sed 's/^/  /' | head -20
grep -q "redis peer 10.77.0.2:6379 does not answer: writes held" "$TOPO_TMP/n1.log" ||
  fail "n1 did not hold its writes while n2 was silent"
grep -q "redis peer 10.77.0.2:6379 silent for [0-9]* ms: writes go through again" "$TOPO_TMP/n1.log" ||
  fail "n1 did not let writes through once n2 could have taken over"
pauses=$(ctl n1 status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"][0]["redis"]["peer_loss_pauses"])')
(( pauses >= 1 )) || fail "n1's status counts $pauses holds"
verify_acked "$m"
lost=$LOST acked=$ACKED
(( acked > 0 )) || fail "no acknowledged write to check"
# n1 decides on the heal; its verdict names itself a: "since then a N bytes, b M bytes".
since=$(grep -ho "since then a [0-9]* bytes, b [0-9]* bytes" "$TOPO_TMP/n1.log" | head -1)
n1_bytes=$(awk '{print $4}' <<<"$since"); n2_bytes=$(awk '{print $7}' <<<"$since")
echo "FIGURES redis_peer_loss_split: acked=$acked lost=$lost final_master=$m holds=$pauses n1_bytes_since_fork=${n1_bytes:--} n2_bytes_since_fork=${n2_bytes:--}"
(( lost == 0 )) || fail "$lost acknowledged writes are not on the final master $m"
pass "peer_loss_pause: n1 held its writes while n2 was silent; all $acked acknowledged writes on the final master $m"
