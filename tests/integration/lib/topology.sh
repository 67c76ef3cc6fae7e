# Network namespaces for integration tests: one "lan" namespace holding a bridge, and hosts
# plugged into it by veth pairs. Nothing is created in the root namespace; everything is
# deleted on exit (topo_cleanup runs from the EXIT trap that topo_init installs).
#
#   source lib/topology.sh
#   topo_init rvd          # a short prefix; the PID makes it unique
#   topo_host n1 10.77.0.1 # namespace $(topo_ns n1) with eth0 = 10.77.0.1/24 on the LAN
#   topo_exec n1 ip addr
#   topo_cut n1 / topo_heal n1   # take the host's cable out / put it back
#   topo_isolate n1 / topo_join n1   # partition the host (carrier stays up) / rejoin

topo_init() {
  TOPO_ID="${1}$$"
  TOPO_ID="${TOPO_ID:0:10}"
  TOPO_LAN="${TOPO_ID}l"
  TOPO_HOSTS=()
  TOPO_PIDS=()
  TOPO_TMP=$(mktemp -d "/tmp/redvip-${TOPO_ID}.XXXXXX")
  trap topo_cleanup EXIT
  trap 'exit 130' INT TERM
  ip netns add "$TOPO_LAN"
  ip -n "$TOPO_LAN" link set lo up
  ip -n "$TOPO_LAN" link add br0 type bridge
  # No STP, no learning delay: frames cross the bridge at once.
  ip -n "$TOPO_LAN" link set br0 type bridge forward_delay 0 stp_state 0
  ip -n "$TOPO_LAN" link set br0 up
}

topo_ns() { echo "${TOPO_ID}$1"; }

# topo_host NAME IPV4 [IPV6]
topo_host() {
  local name=$1 v4=$2 v6=${3:-}
  local ns; ns=$(topo_ns "$name")
  ip netns add "$ns"
  TOPO_HOSTS+=("$name")
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "$ns" link set lo up
  ip -n "$TOPO_LAN" link add "p$name" type veth peer name eth0 netns "$ns"
  ip -n "$TOPO_LAN" link set "p$name" master br0 up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" addr add "$v4/24" dev eth0
  [[ -n "$v6" ]] && ip -n "$ns" addr add "$v6/64" dev eth0 nodad
  return 0
}

topo_exec() {
  local name=$1; shift
  ip netns exec "$(topo_ns "$name")" "$@"
}

# Background a command in a host; its PID is remembered and killed at cleanup.
topo_spawn() {
  local name=$1 log=$2; shift 2
  ip netns exec "$(topo_ns "$name")" "$@" >"$log" 2>&1 &
  TOPO_LAST_PID=$!
  TOPO_PIDS+=("$TOPO_LAST_PID")
}

# The cable: out (the host sees its carrier go) and back in.
topo_cut() { ip -n "$TOPO_LAN" link set "p$1" down; }
topo_heal() { ip -n "$TOPO_LAN" link set "p$1" up; }
# A partition: the host keeps its carrier but its port leaves the bridge.
topo_isolate() { ip -n "$TOPO_LAN" link set "p$1" nomaster; }
topo_join() { ip -n "$TOPO_LAN" link set "p$1" master br0; }

topo_cleanup() {
  local rc=$?
  set +e  # clean up everything, even what already went away
  for pid in "${TOPO_PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; done
  # Anything still running inside our namespaces (redis-server, keepalived, tools).
  for name in "${TOPO_HOSTS[@]}"; do
    local ns; ns=$(topo_ns "$name")
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  done
  sleep 0.1
  for name in "${TOPO_HOSTS[@]}"; do ip netns del "$(topo_ns "$name")" 2>/dev/null; done
  ip netns del "$TOPO_LAN" 2>/dev/null
  if [[ $rc -ne 0 && -d "$TOPO_TMP" ]]; then
    echo "---- logs kept in $TOPO_TMP" >&2
    for f in "$TOPO_TMP"/*.log; do [[ -f "$f" ]] && { echo "== $f"; tail -30 "$f"; }; done
  else
    rm -rf "$TOPO_TMP"
  fi
  return $rc
}

# wait_until TIMEOUT_S COMMAND...: polls every 20 ms.
wait_until() {
  local timeout=$1; shift
  local deadline=$(( $(date +%s%N) + timeout * 1000000000 ))
  while (( $(date +%s%N) < deadline )); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.02
  done
  return 1
}

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
