#!/bin/bash
# Forged adverts from a host that is not a redis peer (issue 12, finding 2): n1 (master) and n2
# (its replica) hold 100 keys; f, a third host with an empty redis-server, sends adverts for
# their VRID with priority 255 (it takes the VIP: VRRP's known weakness) and then 50. Neither
# node ever runs REPLICAOF to f, connects to f's Redis or loses a key; both count the adverts
# (status JSON drops.redis_non_peer_adverts); once f is silent n1 holds the VIP again.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

SEND=$TOPO_TOOLS/vrrp_send
[[ -x "$SEND" ]] || skip "vrrp_send not built"
topo_init hrp
REDIS_PEERS="10.77.0.1 10.77.0.2"
FORGER=10.77.0.66
two_nodes_up
topo_host f $FORGER
redis_start f

for i in $(seq 1 100); do echo "SET key:$i v$i"; done | rcli n1 >/dev/null
wait_until 5 eval '[[ $(redis_keys n2) == 101 ]]' || fail "n2 has $(redis_keys n2) keys, not 101"
[[ $(redis_keys n1) == 101 ]] || fail "n1 has $(redis_keys n1) keys"  # 100 and rft:probe
pass "n1 master, n2 replica, 101 keys on both"

connections() { rcli f INFO stats | tr -d '\r' | awk -F: '$1=="total_connections_received" {print $2}'; }
non_peer_count() {
  "$REDVIPCTL" -s "$(node_sock "$1")" status --json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["instances"][0]["drops"]["redis_non_peer_adverts"])'
}
forge() {  # PRIORITY COUNT
  topo_exec f "$SEND" --family 4 --interface eth0 --version 3 --vrid 51 --priority "$1" \
    --interval-cs 10 --vip $VIP --count "$2" --gap-ms 50 >/dev/null
}
before=$(connections)

forge 255 20
forge 50 10
sleep 1
forge 50 10
# f is silent now: n1 (150) takes the VIP back after master-down.
wait_until 10 only_holder n1 n1 n2 f || fail "n1 did not take the VIP back: '$(vip_holders $VIP n1 n2 f)'"
sleep 1

for h in n1 n2; do
  [[ $(redis_keys $h) == 101 ]] || fail "$h has $(redis_keys $h) keys after the forged adverts, not 101"
  [[ $(redis_info_field $h master_host) != "$FORGER" ]] || fail "$h's Redis replicates from the forger"
  ! grep -E "REPLICAOF $FORGER|replicates from $FORGER" "$TOPO_TMP/$h.log" ||
    fail "$h ran REPLICAOF to the forger"
  n=$(non_peer_count $h)
  (( n > 0 )) || fail "$h counted no advert from a non-peer"
  echo "$h: redis_non_peer_adverts=$n"
done
grep -q "which is not a redis peer" "$TOPO_TMP/n1.log" || fail "n1 did not log the non-peer adverts"
lines=$(grep -c "which is not a redis peer" "$TOPO_TMP/n2.log" || true)
(( lines <= 4 )) || fail "n2 logged $lines lines for the non-peer adverts (rate limit)"
# One connection: the INFO that reads the count.
after=$(connections)
(( after - before == 1 )) || fail "f's Redis received $((after - before - 1)) connections from the nodes"
[[ $(redis_info_field n1 role) == master ]] || fail "n1's Redis is not master"
wait_until 5 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1 again"
pass "forged adverts (255, 50) from a non-peer: no REPLICAOF, no connection, 101 keys on both, counted"
