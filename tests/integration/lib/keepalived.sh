# Helpers to run Debian's keepalived as a node in topology hosts (lib/topology.sh), next to
# redvipd nodes (lib/redvipd.sh). Each keepalived gets its own pid files under $TOPO_TMP, so runs
# of other tests or of a system keepalived are not disturbed.
#
#   start_keepalived HOST CONF   # PID_HOST = keepalived's main (parent) process
#   keepalived_pids HOST         # the parent and its VRRP child
#   crash_keepalived HOST        # SIGKILL both without letting either send a last advert
#   stop_keepalived HOST         # SIGTERM: a master sends priority 0 and removes its VIPs

KEEPALIVED=${KEEPALIVED:-keepalived}
require_cmd "$KEEPALIVED"

keepalived_dir() { echo "$TOPO_TMP/$1.ka"; }

# start_keepalived HOST CONF: keepalived in the foreground (-n), VRRP only, logging to the
# console (-l, detailed -D) which topo_spawn sends to $TOPO_TMP/HOST.log.
start_keepalived() {
  local host=$1 conf=$2 dir
  dir=$(keepalived_dir "$host")
  mkdir -p "$dir"
  rm -f "$dir"/*.pid
  topo_spawn "$host" "$TOPO_TMP/$host.log" "$KEEPALIVED" -n -l -D --vrrp -f "$conf" \
    -p "$dir/keepalived.pid" -r "$dir/vrrp.pid" -c "$dir/checkers.pid"
  eval "PID_$host=$TOPO_LAST_PID"
  # The VRRP child writes its pid file once it runs; callers need it to crash it.
  wait_until 5 test -s "$dir/vrrp.pid" || fail "keepalived on $host did not start its VRRP child"
}

keepalived_vrrp_pid() { cat "$(keepalived_dir "$1")/vrrp.pid" 2>/dev/null; }

keepalived_pids() {
  local parent_var=PID_$1
  echo "${!parent_var} $(keepalived_vrrp_pid "$1")"
}

# crash_keepalived HOST: the parent restarts a VRRP child that dies, and a child whose parent
# dies is told to stop (and would release gracefully). Freeze the parent first so neither
# happens, then kill both.
crash_keepalived() {
  local parent_var=PID_$1 child
  child=$(keepalived_vrrp_pid "$1")
  kill -STOP "${!parent_var}" 2>/dev/null || true
  [[ -n "$child" ]] && kill -KILL "$child" 2>/dev/null
  kill -KILL "${!parent_var}" 2>/dev/null || true
  wait "${!parent_var}" 2>/dev/null || true
}

stop_keepalived() {
  local parent_var=PID_$1
  kill -TERM "${!parent_var}" 2>/dev/null || true
  wait "${!parent_var}" 2>/dev/null || true
}

# write_vrrp_conf FILE KIND NAME PRIORITY VERSION ADVERT_INT VRID VIP [SRC PEER]: the same
# vrrp_instance for redvipd (KIND=redvipd, with its control socket at $(node_sock NAME)) and
# keepalived (KIND=keepalived). VERSION 2 uses PASS authentication; SRC and PEER make it unicast.
write_vrrp_conf() {
  local file=$1 kind=$2 name=$3 prio=$4 version=$5 advert=$6 vrid=$7 vip=$8 src=${9:-} peer=${10:-}
  {
    if [[ $kind == redvipd ]]; then
      printf 'redvip_defs {\n    control_socket %s\n}\n' "$(node_sock "$name")"
    else
      printf 'global_defs {\n    router_id %s\n}\n' "$name"
    fi
    cat <<CONF
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id $vrid
    priority $prio
    version $version
    advert_int $advert
CONF
    if [[ $version == 2 ]]; then
      printf '    authentication {\n        auth_type PASS\n        auth_pass s3cret\n    }\n'
    fi
    if [[ -n $src ]]; then
      printf '    unicast_src_ip %s\n    unicast_peer {\n        %s\n    }\n' "$src" "$peer"
    fi
    printf '    virtual_ipaddress {\n        %s/24\n    }\n}\n' "$vip"
  } >"$file"
}

# sample_vip_holders SECONDS INTERVAL_MS VIP WANT HOSTS...: every INTERVAL_MS, for SECONDS,
# which of HOSTS hold VIP (any interface); exits non-zero at the first sample that is not
# exactly WANT (space-separated host names in the order given). One process holding a netlink
# socket in each namespace, so a busy machine still gets its samples in (an `ip` per host and
# sample takes ~100 ms under load). Prints "N samples" or the bad sample.
sample_vip_holders() {
  local seconds=$1 interval=$2 vip=$3 want=$4; shift 4
  local specs=() h
  for h in "$@"; do specs+=("$h=$(topo_ns "$h")"); done
  python3 - "$seconds" "$interval" "$vip" "$want" "${specs[@]}" <<'PY'
import ctypes, os, socket, struct, sys, time
seconds, interval, vip, want = float(sys.argv[1]), float(sys.argv[2]) / 1000, sys.argv[3], sys.argv[4]
hosts = [a.split("=", 1) for a in sys.argv[5:]]
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET, RTM_GETADDR, NLM_F_REQUEST, NLM_F_DUMP = 0x40000000, 22, 1, 0x300
NLMSG_DONE, NLMSG_ERROR, RTM_NEWADDR, IFA_ADDRESS, IFA_LOCAL = 3, 2, 20, 1, 2
home = os.open("/proc/self/ns/net", os.O_RDONLY)
socks = []
for name, ns in hosts:
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        sys.exit(f"setns {ns}: {os.strerror(ctypes.get_errno())}")
    socks.append((name, socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)))
    os.close(fd)
libc.setns(home, CLONE_NEWNET)
want_bytes = socket.inet_aton(vip)
seq = 0

def holds(sock):
    global seq
    seq += 1
    req = struct.pack("=LHHLL", 24, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
    sock.send(req + struct.pack("=BBBBL", socket.AF_INET, 0, 0, 0, 0))
    found = False
    while True:
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            length, typ, _, rseq, _ = struct.unpack_from("=LHHLL", data, off)
            if length < 16:
                return found
            if rseq == seq:
                if typ in (NLMSG_DONE, NLMSG_ERROR):
                    return found
                if typ == RTM_NEWADDR:
                    a = off + 16 + 8
                    while a + 4 <= off + length:
                        alen, atyp = struct.unpack_from("=HH", data, a)
                        if alen < 4:
                            break
                        if atyp in (IFA_ADDRESS, IFA_LOCAL) and data[a + 4:a + alen] == want_bytes:
                            found = True
                        a += (alen + 3) & ~3
            off += (length + 3) & ~3

n = 0
start = time.monotonic()
while time.monotonic() - start < seconds:
    got = " ".join(name for name, s in socks if holds(s))
    if got != want:
        print(f"sample {n} at {(time.monotonic() - start) * 1000:.0f} ms: holders '{got}', want '{want}'")
        sys.exit(1)
    n += 1
    time.sleep(interval)
print(f"{n} samples")
PY
}
