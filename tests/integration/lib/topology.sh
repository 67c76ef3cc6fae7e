# The one scaffolding every integration test uses: network namespaces (one "lan" namespace
# holding a bridge, and hosts plugged into it by veth pairs), background processes, a scratch
# directory, failing and skipping. Nothing is created in the root namespace; everything is
# deleted on exit (topo_cleanup runs from the EXIT trap that topo_init installs). A test that
# cannot run here (not root, a program missing) exits 77, which CTest reports as skipped.
#
#   source lib/topology.sh
#   topo_init rvd          # a short prefix; the PID makes it unique
#   topo_host n1 10.77.0.1 # namespace $(topo_ns n1) with eth0 = 10.77.0.1/24 on the LAN
#   topo_lan 80 a b        # hosts a, b with eth0 = 10.80.0.1/24 + fd80::1/64, 10.80.0.2 + fd80::2
#   topo_netns x           # a bare namespace $(topo_ns x) (lo up), for tests that wire their own
#   topo_exec n1 ip addr
#   topo_cut n1 / topo_heal n1   # take the host's cable out / put it back
#   topo_isolate n1 / topo_join n1   # partition the host (carrier stays up) / rejoin
#   netns_bg NS CMD...     # CMD in namespace NS in the background (stdout as the caller sets)
#   require_cmd redis-server keepalived   # skip unless installed

TOPO_TOOLS="${REDVIP_BUILD_DIR:?set by CTest}/tests/integration"

skip() { echo "SKIP: $*"; exit 77; }
require_cmd() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null || skip "$c is not installed"; done
}

topo_init() {
  [[ $EUID -eq 0 ]] || skip "needs root (network namespaces, raw sockets)"
  TOPO_ID="${1}$$"
  TOPO_ID="${TOPO_ID:0:10}"
  TOPO_LAN="${TOPO_ID}_lan"
  TOPO_HOSTS=()
  TOPO_PIDS=()
  TOPO_TMP=$(mktemp -d "/tmp/redvip-${TOPO_ID}.XXXXXX")
  trap topo_cleanup EXIT
  trap 'exit 130' INT TERM
  ip netns add "$TOPO_LAN"
  ip -n "$TOPO_LAN" link set lo up
  ip -n "$TOPO_LAN" link add br0 type bridge
  # No STP, no learning delay: frames cross the bridge at once. No multicast snooping: every
  # VRRP multicast is flooded, as a plain switch does.
  ip -n "$TOPO_LAN" link set br0 type bridge forward_delay 0 stp_state 0 mcast_snooping 0
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

# topo_lan NET NAME...: numbered hosts; host i (from 1) gets 10.NET.0.i/24 and fdNET::i/64.
topo_lan() {
  local net=$1 i=0 name
  shift
  for name in "$@"; do
    i=$((i + 1))
    topo_host "$name" "10.$net.0.$i" "fd$net::$i"
  done
}

# topo_netns NAME: a namespace with lo up and IPv6 DAD off, not plugged into the LAN.
topo_netns() {
  local ns; ns=$(topo_ns "$1")
  ip netns add "$ns"
  TOPO_HOSTS+=("$1")
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
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

# netns_bg NS CMD...: CMD in namespace NS in the background, output where the caller redirects
# it; TOPO_LAST_PID is its PID, killed at cleanup.
netns_bg() {
  local ns=$1; shift
  ip netns exec "$ns" "$@" &
  TOPO_LAST_PID=$!
  TOPO_PIDS+=("$TOPO_LAST_PID")
}

# proc_stop PID: stop one background process (SIGINT, so captures flush) and wait for it.
proc_stop() {
  kill -INT "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# netns_capture NS IF FILE FILTER: start tcpdump and wait until it really captures.
netns_capture() {
  local ns=$1 ifname=$2 file=$3 filter=$4
  netns_bg "$ns" tcpdump -n -U --immediate-mode -Z root -i "$ifname" -w "$file" "$filter" 2>"$file.log"
  wait_until 5 grep -q "listening on" "$file.log" || fail "tcpdump did not start in $ns: $(cat "$file.log")"
}

# netns_link_local NS IF: the interface's IPv6 link-local address.
netns_link_local() {
  ip -n "$1" -6 addr show dev "$2" scope link | awk '/inet6/ {sub("/.*", "", $2); print $2; exit}'
}

mac_of() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }

# wait_for_line FILE PATTERN [TIMEOUT_S]: until FILE holds a line matching PATTERN (default 5 s).
wait_for_line() {
  wait_until "${3:-5}" grep -q "$2" "$1" || fail "timed out waiting for '$2' in $1: $(tail -5 "$1" 2>/dev/null)"
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
  # A sanitizer report in any log fails the test, whatever it asserted (ASan+UBSan builds).
  if [[ -d "$TOPO_TMP" ]] && grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TOPO_TMP"/*.log >/dev/null 2>&1; then
    echo "FAIL: sanitizer report in $(grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TOPO_TMP"/*.log | tr '\n' ' ')" >&2
    rc=1
  fi
  # Only PIDs that are still this shell's jobs: one that ended was reaped, and on a busy machine
  # its number soon names somebody else's process.
  local live; live=" $(jobs -p | tr '\n' ' ') "
  for pid in "${TOPO_PIDS[@]}"; do
    [[ $live == *" $pid "* ]] || continue
    kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null
  done
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
