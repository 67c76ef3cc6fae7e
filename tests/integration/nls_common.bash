# Shared by the nls_*.sh integration tests (sourced, not a test itself): network namespaces
# that are always deleted, background processes that are always stopped, a scratch directory.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root (network namespaces, raw sockets)" >&2
  exit 77
fi

BUILD_DIR=${REDVIP_BUILD_DIR:?set REDVIP_BUILD_DIR}
TOOLS=$BUILD_DIR/tests/integration
NLS_TMP=$(mktemp -d /tmp/nls-test.XXXXXX)
NLS_NAMESPACES=()
NLS_PIDS=()

nls_cleanup() {
  local pid ns
  for pid in "${NLS_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${NLS_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${NLS_NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  [[ -n ${NLS_KEEP:-} ]] || rm -rf "$NLS_TMP"
}
trap nls_cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
pass() { echo "ok: $*"; }

# nls_netns NAME: a namespace with lo up and IPv6 DAD off (our addresses are usable at once).
nls_netns() {
  ip netns add "$1"
  NLS_NAMESPACES+=("$1")
  ip -n "$1" link set lo up
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# nls_bg NS CMD...: run CMD in NS in the background; its pid is stopped on exit.
nls_bg() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@" &
  NLS_PIDS+=("$!")
  NLS_LAST_PID=$!
}

# nls_capture NS IF FILE FILTER: start a capture and wait until it really captures.
nls_capture() {
  local ns=$1 ifname=$2 file=$3 filter=$4
  nls_bg "$ns" tcpdump -n -U --immediate-mode -Z root -i "$ifname" -w "$file" "$filter" 2>"$file.log"
  local i
  for i in $(seq 100); do
    grep -q "listening on" "$file.log" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "tcpdump did not start in $ns: $(cat "$file.log")"
}

# nls_stop PID: stop one background process and wait for it.
nls_stop() {
  kill -INT "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

mac_of() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }

# nls_lan NET HOST...: one link (a bridge in namespace nls$$s) joining a namespace per HOST.
# Host number i (from 1) gets interface "eth0" with 10.NET.0.i/24 and fdNET::i/64.
nls_lan() {
  local net=$1
  shift
  local switch=nls$$s i=0 host
  nls_netns "$switch"
  ip -n "$switch" link add br0 type bridge
  # Multicast snooping off: the bridge floods every VRRP multicast, like a plain switch.
  ip -n "$switch" link set br0 type bridge mcast_snooping 0
  ip -n "$switch" link set br0 up
  for host in "$@"; do
    i=$((i + 1))
    nls_netns "$host"
    ip -n "$host" link add eth0 type veth peer name "p$i" netns "$switch"
    ip -n "$switch" link set "p$i" master br0 up
    ip -n "$host" addr add "10.$net.0.$i/24" dev eth0
    ip -n "$host" addr add "fd$net::$i/64" dev eth0
    ip -n "$host" link set eth0 up
  done
}

# nls_link_local NS IF: the interface's IPv6 link-local address.
nls_link_local() {
  ip -n "$1" -6 addr show dev "$2" scope link | awk '/inet6/ {sub("/.*", "", $2); print $2; exit}'
}

# nls_wait_for FILE PATTERN: wait (up to 5 s) until FILE holds a line matching PATTERN.
nls_wait_for() {
  local i
  for i in $(seq 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "timed out waiting for '$2' in $1: $(cat "$1" 2>/dev/null)"
}
