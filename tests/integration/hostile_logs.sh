#!/bin/bash
# What a remote host can make redvipd log, and whether status tells the real cause (issue 12,
# finding 6). n1 runs redvipd at -l debug with
#   VI_R  VRRPv3, redis block with peer n2; its redis-server has REPLICAOF renamed away, so every
#         REPLICAOF to n2 (the master n2's adverts name) fails with "unknown command";
#   VI_2  VRRPv2, advert_int 1.
# x floods VRRPv2 adverts with a 3 s interval for VI_2 and VRRPv3 adverts with a bad checksum
# for VI_R; n2 advertises as VI_R's master for 4 s. Then:
# - the eligibility reason of VI_R is the real cause (unknown command 'REPLICAOF'), in status;
# - REPLICAOF failures, interval mismatches (naming source and both intervals) and rejected
#   adverts take at most a line or two each (one per reason and source per 10 s);
# - status JSON and metrics export the reject and drop counters.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"
require_cmd python3

SEND=$TOPO_TOOLS/vrrp_send
[[ -x "$SEND" ]] || skip "vrrp_send not built"
METRICS_PORT=9657
topo_init hlg
topo_host n1 10.77.0.1
topo_host n2 10.77.0.2
topo_host x 10.77.0.66

redis_start n1 --rename-command REPLICAOF '""'
cat >"$TOPO_TMP/n1.conf" <<CONF
redvip_defs {
    control_socket $(node_sock n1)
    metrics_address 127.0.0.1:$METRICS_PORT
}
vrrp_instance VI_R {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        10.77.0.200/24
    }
    redis {
        peers { 10.77.0.2 }
        check_interval 0.05
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 100
    version 2
    advert_int 1
    virtual_ipaddress {
        10.77.0.201/24
    }
}
CONF
start_redvipd n1 "$TOPO_TMP/n1.conf"
wait_until 5 "$REDVIPCTL" -s "$(node_sock n1)" status >/dev/null || fail "redvipd did not start"
lines_before=$(wc -l <"$TOPO_TMP/n1.log")

send() { local host=$1; shift; topo_exec "$host" "$SEND" --family 4 --interface eth0 --vip 10.77.0.250 "$@" >/dev/null; }
send n2 --version 3 --vrid 51 --priority 200 --interval-cs 10 --count 40 --gap-ms 100 &
master=$!
send x --version 2 --vrid 52 --priority 200 --interval-cs 300 --count 2000 --gap-ms 1
send x --version 3 --vrid 51 --priority 200 --interval-cs 10 --checksum-v4v3 without --count 2000 --gap-ms 1
wait "$master"
sleep 0.5

json=$("$REDVIPCTL" -s "$(node_sock n1)" status --json)
# Instances by name: i["VI_R"].
field() {
  python3 -c 'import json,sys; d=json.load(sys.stdin); i={x["name"]: x for x in d["instances"]}; print(eval(sys.argv[1]))' "$1" <<<"$json"
}
why=$(field 'i["VI_R"]["not_eligible_because"]')
echo "VI_R not eligible because: $why"
[[ $why == *"REPLICAOF 10.77.0.2:6379: ERR unknown command 'REPLICAOF'"* ]] ||
  fail "the eligibility reason is not the REPLICAOF failure: $why"
"$REDVIPCTL" -s "$(node_sock n1)" status | grep -q "unknown command 'REPLICAOF'" ||
  fail "status text does not show the REPLICAOF failure"

new_lines() { tail -n +"$((lines_before + 1))" "$TOPO_TMP/n1.log"; }
count() { new_lines | grep -c -- "$1" || true; }
replicaof=$(count "REPLICAOF 10.77.0.2:6379: ERR unknown command")
interval=$(count "advert from 10.77.0.66 dropped: its interval 3000 ms differs from ours, 1000 ms")
rejected=$(count "dropped advert from 10.77.0.66: ")
echo "log lines: REPLICAOF failures $replicaof, interval mismatches $interval, rejected $rejected; all new lines $(new_lines | wc -l)"
(( replicaof >= 1 && replicaof <= 2 )) || fail "$replicaof lines for REPLICAOF failures in 4 s (retried every 500 ms)"
(( interval >= 1 && interval <= 2 )) || fail "$interval lines for 2000 adverts with another interval"
(( rejected >= 1 && rejected <= 2 )) || fail "$rejected lines for 2000 rejected adverts"
(( $(new_lines | wc -l) <= 40 )) || { new_lines | tail -20; fail "$(new_lines | wc -l) log lines"; }

# The counters: in status JSON and in the metrics.
v2_ignored=$(field 'i["VI_2"]["drops"]["ignored"]["interval_mismatch"]')
v3_rejected=$(field 'sum(i["VI_R"]["drops"]["rejected"].values())')
echo "JSON: VI_2 interval mismatches $v2_ignored, VI_R rejected $v3_rejected; receive_paths $(field 'd["receive_paths"]')"
(( v2_ignored >= 1000 )) || fail "VI_2 counted $v2_ignored interval mismatches"
(( v3_rejected >= 1000 )) || fail "VI_R counted $v3_rejected rejected adverts"
field 'd["receive_paths"]["dropped_short_ip"] + d["receive_paths"]["receive_errors"] + d["receive_paths"]["dropped_oversized"]' >/dev/null ||
  fail "receive_paths lacks its drop counters"
metrics=$(topo_exec n1 python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$METRICS_PORT/metrics').read().decode())")
for family in redvip_receive_path_dropped_total redvip_receive_path_rejected_total redvip_advert_send_errors_total \
    redvip_adverts_rejected_total redvip_redis_non_peer_adverts_total; do
  grep -q "^# TYPE $family counter" <<<"$metrics" || fail "metrics lack $family"
done
grep -q '^redvip_receive_path_dropped_total{reason="short_ip"} ' <<<"$metrics" || fail "metrics lack the short-IP drops"
pass "REPLICAOF failure is the eligibility reason; $replicaof/$interval/$rejected log lines for ~4000 hostile adverts; counters exported"
