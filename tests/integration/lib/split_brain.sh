# Split brain scaffolding: the ports of two hosts on the bridge isolated from each other (a host
# that is not isolated, the client, still reaches both), and the client's view of the heal from
# vip_writer --events lines. Source after lib/topology.sh, lib/redvipd.sh and lib/redis.sh.
#
#   split_on n1; split_on n2 ... split_off n1; split_off n2
#   resumed_after MS_OF_DAY / heal_outage MS_OF_DAY   # from $W_LOG
#   split_brains HOST                                 # the count redvipctl status shows
require_cmd bridge

split_on() { ip netns exec "$TOPO_LAN" bridge link set dev "p$1" isolated on; }
split_off() { ip netns exec "$TOPO_LAN" bridge link set dev "p$1" isolated off; }
# Wall-clock milliseconds since midnight, as the writer's event lines print them.
ms_of_day() { local t=$1; echo $(( (10#${t:0:2} * 3600 + 10#${t:3:2} * 60 + 10#${t:6:2}) * 1000 + 10#${t:9:3} )); }
clock_ms_of_day() { ms_of_day "$(date +%H:%M:%S.%3N)"; }
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
# The last acknowledged-write gap of the run that ended after ms-of-day $1: the outage of the heal.
heal_outage() {
  local since=$1 t rest at gap=0
  while read -r t _ rest; do
    [[ "$rest" == "writes resumed after "* ]] || continue
    at=$(ms_of_day "$t")
    (( at >= since )) || continue
    local g; g=$(sed -n 's/writes resumed after \([0-9]*\) ms.*/\1/p' <<<"$rest")
    (( g > gap )) && gap=$g
  done < <(grep 'writer: ' "$W_LOG")
  echo "$gap"
}
