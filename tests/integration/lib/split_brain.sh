# A split brain with Redis: n1 (priority 150) master, n2 (100) its replica, a client c writing
# through the VIP. The ports of n1 and n2 on the bridge are isolated from each other (the client
# still reaches both) for SPLIT_S seconds, then joined again.
# Source after lib/topology.sh, lib/redvipd.sh and lib/redis.sh.
#
#   split_brain_run on|off      # diverged_writes_merge; sets SB_HEAL_MS (ms of day), SB_SAVED
#                               # (files the logs name), the writer's W_* figures; SB_REDIS_EXTRA,
#                               # SB_INSTANCE_EXTRA: more redis-block / instance lines
require_cmd bridge

split_on() { ip netns exec "$TOPO_LAN" bridge link set dev "p$1" isolated on; }
split_off() { ip netns exec "$TOPO_LAN" bridge link set dev "p$1" isolated off; }
split_brains() { "$REDVIPCTL" -s "$(node_sock "$1")" status 2>/dev/null | sed -n 's/.* split brains \([0-9]*\).*/\1/p'; }
# The first time writes resumed after ms-of-day $1 (they failed when a node dropped its clients),
# in ms after it; empty when they never failed afterwards.
resumed_after() {
  local since=$1 t rest at
  while read -r t _ rest; do
    [[ "$rest" == "writes resumed"* ]] || continue
    at=$(ms_of_day "$t")
    if (( at >= since )); then echo $(( at - since )); return; fi
  done < <(grep 'writer: ' "$W_LOG")
}
# The longest acknowledged-write gap that ended after ms-of-day $1: the outage of the heal.
heal_outage() { max_outage_between "$1"; }

# split_pair_up MERGE: two_nodes_up with a split brain's settings (diverged writes saved in
# $TOPO_TMP/diverged, merged when MERGE is on; a backlog that reaches back to the fork) and
# SB_REDIS_EXTRA / SB_INSTANCE_EXTRA.
split_pair_up() {
  RVD_REDIS_EXTRA="diverged_writes_dir $TOPO_TMP/diverged
        diverged_writes_merge $1
        ${SB_REDIS_EXTRA:-}" RVD_INSTANCE_EXTRA="${SB_INSTANCE_EXTRA:-}" two_nodes_up --repl-backlog-size 64mb --repl-backlog-ttl 0
  # A long-lived pair: the stream last named its database far more than the save looks back
  # blindly (1 MiB) before the fork; the database noted from the replica's link must tell it.
  head -c 3000000 /dev/zero | tr '\0' x | rcli n1 -x SET preload >/dev/null
  rcli n1 DEL preload >/dev/null
}

# split_brain_run MERGE: the whole scenario; the writer's acknowledged keys in $TOPO_TMP/acked.
split_brain_run() {
  local merge=$1
  split_pair_up "$merge"
  writer_start c --duration "$(( ${SPLIT_S:-5} + 6 ))" --events --acked-file "$TOPO_TMP/acked"
  sleep 1.5
  split_on n1
  split_on n2
  wait_until 3 has_vip n2 "$VIP" || fail "n2 did not take over while cut off from n1"
  sleep "${SPLIT_S:-5}"
  SB_HEAL_MS=$(clock_ms_of_day)
  split_off n1
  split_off n2
  writer_wait
  wait_until 10 one_holder n1 n2 || fail "VIP holders after the heal: '$(vip_holders "$VIP" n1 n2)'"
}

# verify_acked HOST: the writer's acknowledged keys ($TOPO_TMP/acked) looked up on HOST's Redis
# (n1 or n2); sets ACKED (how many) and LOST (how many are missing there).
verify_acked() { verify_acked_on "$1" "$TOPO_TMP/acked"; }

# isolate_then_join HOST: HOST's bridge port leaves the bridge (carrier up, so no Fault; it
# reaches nobody and nobody it) until n2 takes over while n1 still holds the VIP (a split
# brain), for 5 s; then it joins again and one VIP holder must be left. Sets SB_HEAL_MS.
isolate_then_join() {
  topo_isolate "$1"
  wait_until 3 has_vip n2 "$VIP" || fail "n2 did not take over while $1 was cut off"
  has_vip n1 "$VIP" || fail "n1 dropped the VIP although only $1 was cut off (carrier up)"
  pass "$1 cut off: n2 took over, n1 still master"
  sleep 5
  SB_HEAL_MS=$(clock_ms_of_day)
  topo_join "$1"
  wait_until 10 one_holder n1 n2 || fail "VIP holders after the heal: '$(vip_holders "$VIP" n1 n2)'"
}

# The node whose Redis is master, and that the other's Redis follows it: consistent roles.
final_master() {
  local m r
  for m in n1 n2; do
    r=$([[ $m == n1 ]] && echo n2 || echo n1)
    if [[ "$(redis_info_field "$m" role)" == master ]] && has_vip "$m" "$VIP" &&
       redis_follows "$r" "$(topo_exec "$m" ip -4 -o addr show dev eth0 | awk '{sub("/.*","",$4); print $4; exit}')"; then
      echo "$m"; return 0
    fi
  done
  return 1
}
