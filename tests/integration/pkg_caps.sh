#!/bin/bash
# redvipd's privileges, in a network namespace of its own:
#  A. started as root (outside systemd) it keeps only CAP_NET_ADMIN and CAP_NET_RAW (effective,
#     permitted, bounding; nothing inheritable or ambient; no_new_privs), and still adds and
#     removes its VIP with them;
#  B. started the way redvip.service starts it (a plain user with those two as ambient
#     capabilities, bounding set reduced, no_new_privs; setpriv plays systemd) it runs as well;
#  and in both it speaks the sd_notify protocol Type=notify relies on: READY=1 once running,
#  RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 at SIGTERM, exit status 0.
set -euo pipefail
build=${REDVIP_BUILD_DIR:?}
redvipd=$build/agent/daemon/redvipd
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -x $redvipd ]] || fail "$redvipd is not built"
[[ $(id -u) -eq 0 ]] || fail "needs root (network namespace, capabilities)"

ns=pkgcap$$
vip=10.78.0.200
tmp=$(mktemp -d /tmp/pkg-caps.XXXXXX)
chmod 0755 "$tmp"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" link set eth0 up
ip -n "$ns" link set eth1 up
ip -n "$ns" addr add 10.78.0.1/24 dev eth0

# A stand-in for systemd's notify socket: every datagram becomes one line, '\n' shown as '|'.
listen_notify() {  # SOCKET LOG
  python3 -u - "$1" "$2" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)  # the daemon may run as another user
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", "|") + "\n")
PY
  pids+=($!)
}

wait_until() {  # SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.05; done
}
has_vip() { ip -n "$ns" -o addr show dev eth0 | grep -q " $vip/"; }
readies_at_least() { [[ $(grep -cx 'READY=1' "$1" 2>/dev/null || true) -ge $2 ]]; }
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

write_config() {  # FILE CONTROL_SOCKET
  cat >"$1" <<CONF
redvip_defs {
    control_socket $2
}
vrrp_instance pkg_caps {
    state BACKUP
    interface eth0
    virtual_router_id 61
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        $vip/24
    }
}
CONF
  chmod 0644 "$1"
}

# run_case NAME EXPECTED_UID LAUNCHER...: start, check, reload, stop.
run_case() {
  local name=$1 want_uid=$2; shift 2
  local dir=$tmp/$name
  mkdir -p "$dir/run"
  chmod 0755 "$dir"
  [[ $want_uid == 0 ]] || chown "$want_uid" "$dir/run"
  write_config "$dir/redvip.conf" "$dir/run/redvip.sock"
  listen_notify "$dir/notify" "$dir/notify.log"
  wait_until 5 test -S "$dir/notify" || fail "$name: notify listener did not start"

  ip netns exec "$ns" env NOTIFY_SOCKET="$dir/notify" "$@" "$redvipd" -f "$dir/redvip.conf" \
    >"$dir/redvipd.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_until 5 grep -qx 'READY=1' "$dir/notify.log" \
    || { cat "$dir/redvipd.log"; fail "$name: no READY=1 on NOTIFY_SOCKET"; }

  local key value
  for key in CapEff CapPrm CapBnd; do
    value=$(status_field "$pid" "$key")
    [[ $value == 0000000000003000 ]] \
      || fail "$name: $key is $value, want 0000000000003000 (CAP_NET_ADMIN, CAP_NET_RAW)"
  done
  for key in CapInh CapAmb; do
    value=$(status_field "$pid" "$key")
    [[ $value == 0000000000000000 ]] || fail "$name: $key is $value, want none"
  done
  [[ $(status_field "$pid" NoNewPrivs) == 1 ]] || fail "$name: no_new_privs not set"
  [[ $(status_field "$pid" Uid) == "$want_uid" ]] \
    || fail "$name: uid $(status_field "$pid" Uid), want $want_uid"
  echo "$name: uid $want_uid, CapEff/CapPrm/CapBnd 0x3000, CapInh/CapAmb 0, NoNewPrivs 1"

  # With only those two it still becomes master and adds the VIP (CAP_NET_ADMIN at work).
  wait_until 5 has_vip || { cat "$dir/redvipd.log"; fail "$name: VIP $vip never added"; }

  kill -HUP "$pid"
  wait_until 5 readies_at_least "$dir/notify.log" 2 \
    || { cat "$dir/notify.log"; fail "$name: no READY=1 after SIGHUP"; }
  grep -q '^RELOADING=1|MONOTONIC_USEC=[0-9]*$' "$dir/notify.log" \
    || { cat "$dir/notify.log"; fail "$name: no RELOADING=1 before the reload's READY=1"; }
  [[ $(grep -n -m1 '^RELOADING' "$dir/notify.log" | cut -d: -f1) -lt \
     $(grep -n 'READY=1' "$dir/notify.log" | sed -n 2p | cut -d: -f1) ]] \
    || fail "$name: RELOADING=1 came after the second READY=1"

  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  [[ $rc -eq 0 ]] || { cat "$dir/redvipd.log"; fail "$name: exit status $rc after SIGTERM"; }
  grep -qx 'STOPPING=1' "$dir/notify.log" || fail "$name: no STOPPING=1"
  has_vip && fail "$name: VIP left after SIGTERM"
  echo "$name: READY, RELOADING+READY on SIGHUP, STOPPING and exit 0 on SIGTERM, VIP removed"
}

# A. root, as an operator starts it by hand.
# Started as root without --user, redvipd stays uid 0 (with only the two capabilities).
root_uid=0
run_case as_root "$root_uid"

# B. as redvip.service does it, with nobody standing in for redvip.
nobody_uid=$(id -u nobody)
run_case as_unit "$nobody_uid" setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
  --inh-caps=-all,+net_admin,+net_raw --ambient-caps=-all,+net_admin,+net_raw \
  --bounding-set=-all,+net_admin,+net_raw --no-new-privs
echo "pkg_caps: ok"
