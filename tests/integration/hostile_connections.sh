#!/bin/bash
# 2,000 idle connections to the control socket and 2,000 to the metrics port, from inside the
# node, against a redvipd whose descriptor limit is tight enough that accept() really fails with
# EMFILE: redvipd must not spin (CPU), must keep sending its adverts on time (seen from another
# host), must say so in a bounded number of log lines, and must serve redvipctl and a scrape again
# once the connections are gone.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
require_cmd python3 tcpdump

VIP=10.83.0.200
METRICS_PORT=9653
CONNECTIONS=${HOSTILE_CONNECTIONS:-2000}
MEASURE_S=5          # the CPU window, inside the hold
NOFILE=64            # redvipd's own descriptor limit
MAX_CPU_PERCENT=20   # generous: the machine is shared; a spinning loop is runnable ~100 % of the time
ADVERT_MS=200

topo_init rvh
topo_host n1 10.83.0.1
topo_host w 10.83.0.2

cat >"$TOPO_TMP/n1.conf" <<CONF
redvip_defs {
    control_socket $(node_sock n1)
    metrics_address 127.0.0.1:$METRICS_PORT
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 61
    priority 150
    version 3
    advert_int 0.$((ADVERT_MS / 100))
    virtual_ipaddress {
        $VIP/24
    }
}
CONF

# `ip netns exec` and `exec` keep the PID: TOPO_LAST_PID is redvipd's.
topo_spawn n1 "$TOPO_TMP/n1.log" bash -c "ulimit -n $NOFILE && exec '$REDVIPD' -f '$TOPO_TMP/n1.conf'"
PID=$TOPO_LAST_PID
wait_until 5 has_vip n1 $VIP || fail "n1 did not become master: $(tail -5 "$TOPO_TMP/n1.log")"
[[ "$(cat /proc/$PID/comm)" == redvipd ]] || fail "PID $PID is $(cat /proc/$PID/comm), not redvipd"
echo "redvipd: $(ls /proc/$PID/fd | wc -l) descriptors open at rest, limit $NOFILE"

scrape() {
  topo_exec n1 python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2).read().decode())' "$METRICS_PORT"
}
status_ok() { [[ "$("$REDVIPCTL" -s "$(node_sock n1)" status 2>/dev/null)" == "VI_1: MASTER"* ]]; }
scrape_ok() { local m; m=$(scrape 2>/dev/null) && grep -q '^redvip_instance_state{instance="VI_1",state="MASTER"} 1' <<<"$m"; }
wait_until 10 status_ok || fail "redvipctl status before the connections"
wait_until 10 scrape_ok || fail "metrics before the connections: $(scrape 2>&1 | tail -3)"

# The client: opens CONNECTIONS to each endpoint without blocking, never sends a byte, and keeps
# retrying the ones the kernel refuses (a full backlog) until it is killed, which closes them all.
cat >"$TOPO_TMP/idle.py" <<'PY'
import errno, resource, socket, sys, time
path, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = {"unix": [], "tcp": []}
def attempt(kind):
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        ok = s.connect_ex(path) == 0
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        ok = s.connect_ex(("127.0.0.1", port)) in (0, errno.EINPROGRESS)
    if ok:
        held[kind].append(s)
    else:
        s.close()
    return ok
reported = False
start = time.time()
while True:
    progress = False
    for kind in ("unix", "tcp"):
        while len(held[kind]) < count and attempt(kind):
            progress = True
    if not reported and time.time() - start > 2:
        print("held unix=%d tcp=%d" % (len(held["unix"]), len(held["tcp"])), flush=True)
        reported = True
    if not progress:
        time.sleep(0.05)
PY
netns_capture "$(topo_ns w)" eth0 "$TOPO_TMP/adverts.pcap" "ip proto 112"
CAPTURE=$TOPO_LAST_PID
lines_before=$(wc -l <"$TOPO_TMP/n1.log")
transitions() { grep -c -- " -> " "$TOPO_TMP/n1.log" || true; }
transitions_before=$(transitions)
topo_spawn n1 "$TOPO_TMP/idle.log" python3 "$TOPO_TMP/idle.py" "$(node_sock n1)" "$METRICS_PORT" "$CONNECTIONS"
CLIENT=$TOPO_LAST_PID
wait_for_line "$TOPO_TMP/idle.log" held 30  # the connections are open, redvipd is at its limit
# CPU from /proc/PID/stat; and the share of the time redvipd wanted a CPU (on one or waiting in a
# run queue, /proc/PID/schedstat), which is what tells a spinning loop apart on a loaded machine:
# there a spinning process may get only a fraction of a core, but it is always runnable.
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
runnable_ns() { awk '{printf "%.0f\n", $1 + $2}' "/proc/$PID/schedstat"; }
t0=$(ticks); r0=$(runnable_ns); w0=$(date +%s%N)
sleep "$MEASURE_S"
t1=$(ticks); r1=$(runnable_ns); w1=$(date +%s%N)
hz=$(getconf CLK_TCK)
cpu=$(( (t1 - t0) * 100 * 1000000000 / hz / (w1 - w0) ))
runnable=$(( (r1 - r0) * 100 / (w1 - w0) ))
open_fds=$(ls /proc/$PID/fd | wc -l)
kill "$CLIENT"
wait "$CLIENT" 2>/dev/null || true
proc_stop "$CAPTURE"
cat "$TOPO_TMP/idle.log"
echo "redvipd: ${cpu}% of a core, runnable ${runnable}% of the time, over ${MEASURE_S} s with the connections held; $open_fds descriptors open"

# Adverts seen from w while the CPU was measured: the largest gap between two must stay well under
# the master-down interval (3 x advert_int), or a backup would take over.
sleep 0.3
gaps=$(tcpdump -r "$TOPO_TMP/adverts.pcap" -n -tt 2>/dev/null | awk -v from="$w0" -v to="$w1" '
  { t = $1 * 1e9; if (t < from || t > to) next;
    if (last) { g = (t - last) / 1e6; if (g > max) max = g; n++ } last = t }
  END { printf "%d %d\n", n, max }')
read -r advert_gaps max_gap_ms <<<"$gaps"
echo "adverts: $advert_gaps intervals in the window, the longest ${max_gap_ms} ms (advert_int ${ADVERT_MS} ms)"

grep -q "cannot accept a connection: Too many open files" "$TOPO_TMP/n1.log" ||
  fail "redvipd never ran out of descriptors: the test did not test the limit ($(tail -3 "$TOPO_TMP/n1.log"))"
(( cpu < MAX_CPU_PERCENT && runnable < MAX_CPU_PERCENT )) ||
  fail "redvipd spins: ${cpu}% of a core, runnable ${runnable}% of the time with idle connections held"
expected=$(( MEASURE_S * 1000 / ADVERT_MS ))
(( advert_gaps >= expected * 7 / 10 )) || fail "only $advert_gaps adverts in the window, expected about $expected"
(( max_gap_ms < 3 * ADVERT_MS )) || fail "an advert came ${max_gap_ms} ms after the one before"
logged=$(( $(wc -l <"$TOPO_TMP/n1.log") - lines_before ))
echo "redvipd logged during the connections:"
tail -n +"$((lines_before + 1))" "$TOPO_TMP/n1.log" | sed 's/^/  /'
(( logged <= 10 )) || fail "$logged log lines during the connections: $(tail -5 "$TOPO_TMP/n1.log")"
pass "held connections: ${cpu}% CPU (runnable ${runnable}%), adverts every ${ADVERT_MS} ms (longest gap ${max_gap_ms} ms), $logged log lines"

# Gone: both endpoints answer again.
w2=$(date +%s%N)
wait_until 20 status_ok || fail "redvipctl status does not work after the connections closed"
echo "redvipctl status answered $(( ($(date +%s%N) - w2) / 1000000 )) ms after the connections closed"
wait_until 20 scrape_ok || fail "metrics do not work after the connections closed"
echo "a scrape answered $(( ($(date +%s%N) - w2) / 1000000 )) ms after the connections closed"
kill -0 "$PID" || fail "redvipd died"
[[ $(transitions) == "$transitions_before" ]] || fail "the instance changed state: $(grep -- ' -> ' "$TOPO_TMP/n1.log")"
pass "redvipctl status and a scrape work again; the instance stayed MASTER"
