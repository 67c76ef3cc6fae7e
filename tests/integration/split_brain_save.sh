#!/bin/bash
# Split brain with Redis, diverged_writes_merge off: as split_brain_merge.sh, but the yielding
# side's writes since the fork are only saved. Every acknowledged write must be on the final
# master or in the saved file the log names (replayed here onto the final master with
# redis-cli --pipe: the writer's keys are unique, so the replay is the union).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"
source "$HERE/lib/split_brain.sh"

topo_init rss
split_brain_run off
wait_until 15 final_master >/dev/null || fail "no consistent master/replica pair after the heal: n1 $(redis_info_field n1 role) n2 $(redis_info_field n2 role), VIP on '$(vip_holders "$VIP" n1 n2)'"
m=$(final_master)
maddr=$(topo_exec "$m" ip -4 -o addr show dev eth0 | awk '{sub("/.*","",$4); print $4; exit}')
grep -h "split brain" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log | sed 's/^/  /' | head -20
verify_acked "$m"
missing=$LOST
mapfile -t files < <(grep -ho "saved the writes .* in [^;]*\.resp" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log | sed 's/.* in //')
saved_cmds=0
for f in "${files[@]}"; do
  [[ -f "$f" ]] || fail "the log names $f, which does not exist"
  out=$(topo_exec c redis-cli -h "$maddr" -p 6379 --pipe <"$f" 2>&1)
  grep -q 'errors: 0' <<<"$out" || fail "replaying $f: $out"
  saved_cmds=$(( saved_cmds + $(grep -c '^SET\|^\*3' "$f" || true) ))
done
verify_acked "$m"
lost=$LOST acked=$ACKED
reach=$(resumed_after "$SB_HEAL_MS")
outage=$(heal_outage "$SB_HEAL_MS")
echo "FIGURES split_brain_save: acked=$acked missing_on_master=$missing saved_files=${#files[@]} lost=$lost final_master=$m first_write_after_heal_ms=${reach:--} heal_outage_ms=$outage"
(( lost == 0 )) || fail "$lost acknowledged writes are neither on the final master $m nor in the saved files"
pass "merge off: all $acked acknowledged writes on the final master or in the ${#files[@]} saved file(s)"
