# Helpers to run redvipd nodes in topology hosts.
: "${REDVIP_BUILD_DIR:?set by CTest}"
REDVIPD="$REDVIP_BUILD_DIR/agent/daemon/redvipd"
REDVIPCTL="$REDVIP_BUILD_DIR/agent/redvipctl/redvipctl"

# write_instance FILE NAME PRIORITY [extra lines...]: a VRRPv3 instance on eth0, VID 51.
# Callers override with their own config when they need something else.
node_sock() { echo "$TOPO_TMP/$1.sock"; }

start_redvipd() {
  local host=$1 conf=$2
  topo_spawn "$host" "$TOPO_TMP/$host.log" "$REDVIPD" -f "$conf" -l debug
  eval "PID_$host=$TOPO_LAST_PID"
}

# has_vip HOST ADDR: the address is on the host's eth0.
has_vip() { local out; out=$(topo_exec "$1" ip -o addr show dev eth0 2>/dev/null) || return 1; [[ "$out" == *" $2/"* ]]; }
lacks_vip() { ! has_vip "$1" "$2"; }

# vip_holders ADDR HOSTS...: prints the hosts holding the VIP.
vip_holders() {
  local addr=$1; shift
  local h out=()
  for h in "$@"; do has_vip "$h" "$addr" && out+=("$h"); done
  echo "${out[*]}"
}

# ctl HOST ARGS...: redvipctl against the node's control socket.
ctl() { local host=$1; shift; "$REDVIPCTL" -s "$(node_sock "$host")" "$@"; }
state_of() { ctl "$1" status 2>/dev/null | awk '{print $2; exit}'; }
