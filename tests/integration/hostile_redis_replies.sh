#!/bin/bash
# A hostile Redis, local or a peer's (issue 12, finding 3): fake servers that answer every
# command with a huge array header (*2147483647), a 1 GB bulk string streamed at full speed, an
# endless line, or garbage. One redvipd on n1 runs three instances on one event loop:
#   VI_A  no redis block, the only router of its VRID: master, an advert every 100 ms;
#   VI_L  its local Redis is the fake (127.0.0.1:6390): every health check gets the reply;
#   VI_P  a real, empty local Redis that never synced, and one peer, p, whose Redis (port 6400)
#         is the fake: the cold start check asks it again and again.
# From w (a third namespace) the gaps between VI_A's adverts must stay under two intervals (no
# stall longer than one interval), redvipd's peak RSS (VmHWM) must stay under a stated bound,
# and every refused reply is named in the log.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"
require_cmd python3 tcpdump

ADVERT_MS=100
PHASE_S=${HOSTILE_PHASE_S:-4}
# Two fake servers (local and peer) answering at once: each connection holds at most
# ReplyLimits (4 MiB of buffer, 4 MiB of strings, 64 Ki elements ~ 4.5 MiB) while it lasts.
RSS_BOUND_MB=${HOSTILE_RSS_BOUND_MB:-48}
topo_init hrr
topo_host n1 10.77.0.1
topo_host p 10.77.0.5
topo_host w 10.77.0.9

cat >"$TOPO_TMP/fake_redis.py" <<'PY'
# A Redis that answers every command with MODE: array | bulk | line | garbage.
import os, socket, sys, threading
port, mode = int(sys.argv[1]), sys.argv[2]
chunk = b"x" * 65536
def serve(c):
    try:
        while True:
            if not c.recv(65536):
                return
            if mode == "array":
                c.sendall(b"*2147483647\r\n")
            elif mode == "bulk":
                c.sendall(b"$1000000000\r\n")
                while True:
                    c.sendall(chunk)
            elif mode == "line":
                c.sendall(b"+")
                while True:
                    c.sendall(chunk)
            else:
                while True:
                    c.sendall(os.urandom(65536))
    except OSError:
        pass
    finally:
        c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(64)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

cat >"$TOPO_TMP/n1.conf" <<CONF
redvip_defs {
    control_socket $(node_sock n1)
}
vrrp_instance VI_A {
    state MASTER
    interface eth0
    virtual_router_id 70
    priority 200
    version 3
    advert_int 0.1
    virtual_ipaddress {
        10.77.0.170/24
    }
}
vrrp_instance VI_L {
    state BACKUP
    interface eth0
    virtual_router_id 71
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        10.77.0.171/24
    }
    redis {
        address 127.0.0.1 6390
        peers { 10.77.0.5 }
        check_interval 0.05
        check_timeout 0.5
    }
}
vrrp_instance VI_P {
    state BACKUP
    interface eth0
    virtual_router_id 72
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        10.77.0.172/24
    }
    redis {
        address 127.0.0.1 6379
        peer_port 6400
        peers { 10.77.0.5 }
        check_interval 0.05
        check_timeout 0.5
    }
}
CONF
redis_start n1
start_redvipd n1 "$TOPO_TMP/n1.conf"
PID=$PID_n1
wait_until 10 has_vip n1 10.77.0.170 || fail "VI_A did not become master"
sleep 1
kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
base_rss=$(kb "$PID" VmRSS)
echo "redvipd RSS before: $((base_rss / 1024)) MiB"

netns_capture "$(topo_ns w)" eth0 "$TOPO_TMP/adverts.pcap" "ip proto 112 and host 10.77.0.1"
CAPTURE=$TOPO_LAST_PID
worst_gap=0
for mode in array bulk line garbage; do
  topo_spawn n1 "$TOPO_TMP/fake-local-$mode.log" python3 "$TOPO_TMP/fake_redis.py" 6390 "$mode"
  local_fake=$TOPO_LAST_PID
  topo_spawn p "$TOPO_TMP/fake-peer-$mode.log" python3 "$TOPO_TMP/fake_redis.py" 6400 "$mode"
  peer_fake=$TOPO_LAST_PID
  wait_for_line "$TOPO_TMP/fake-local-$mode.log" listening 20
  wait_for_line "$TOPO_TMP/fake-peer-$mode.log" listening 20
  w0=$(date +%s%N)
  sleep "$PHASE_S"
  w1=$(date +%s%N)
  kill "$local_fake" "$peer_fake" 2>/dev/null || true
  wait "$local_fake" "$peer_fake" 2>/dev/null || true
  sleep 0.3
  read -r n gap <<<"$(tcpdump -r "$TOPO_TMP/adverts.pcap" -n -tt 2>/dev/null | awk -v from="$w0" -v to="$w1" '
    /vrid 70,/ { t = $1 * 1e9; if (t < from || t > to) next;
      if (last) { g = (t - last) / 1e6; if (g > max) max = g; n++ } last = t }
    END { printf "%d %d\n", n, max }')"
  rss=$(kb "$PID" VmRSS)
  echo "FIGURES hostile_redis_replies $mode: adverts=$n longest_gap_ms=$gap rss_mb=$((rss / 1024))"
  (( n >= PHASE_S * 1000 / ADVERT_MS * 7 / 10 )) || fail "$mode: only $n adverts in ${PHASE_S} s"
  (( gap < 2 * ADVERT_MS )) || fail "$mode: an advert came $gap ms after the one before (stall)"
  (( gap > worst_gap )) && worst_gap=$gap
done
proc_stop "$CAPTURE"

hwm=$(kb "$PID" VmHWM)
echo "FIGURES hostile_redis_replies: peak_rss_mb=$((hwm / 1024)) base_rss_mb=$((base_rss / 1024)) worst_gap_ms=$worst_gap"
if [[ ${REDVIP_SANITIZED:-0} == 1 ]]; then
  # ASan keeps freed memory in quarantine (256 MB by default): RSS says nothing about our bounds.
  echo "peak RSS not checked: an ASan build (its quarantine holds what the daemon freed)"
else
  (( hwm < RSS_BOUND_MB * 1024 )) || fail "peak RSS $((hwm / 1024)) MiB, over the bound of $RSS_BOUND_MB MiB"
fi
kill -0 "$PID" || fail "redvipd died"
for reason in "elements per reply" "bytes (the bound per reply)" "not RESP"; do
  grep -q "reply refused: .*$reason" "$TOPO_TMP/n1.log" || fail "no 'reply refused: ...$reason' in the log"
done
grep -E "VI_P: .*reply refused" "$TOPO_TMP/n1.log" >/dev/null ||
  grep -q "peer 10.77.0.5" "$TOPO_TMP/n1.log" || fail "the peer's fake Redis was never asked"
"$REDVIPCTL" -s "$(node_sock n1)" status >/dev/null || fail "the control socket does not answer"
pass "hostile Redis (array, 1 GB bulk, endless line, garbage; local and peer): longest advert gap ${worst_gap} ms, peak RSS $((hwm / 1024)) MiB"
