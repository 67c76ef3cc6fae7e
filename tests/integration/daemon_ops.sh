#!/bin/bash
# Operating redvipd: -t on good and bad files, VMAC (neighbours learn the virtual MAC),
# SIGHUP with an unchanged config (no flap), with a broken config (refused, old one keeps
# running), with a changed priority (applied), the control socket, metrics, and --cleanup of
# what a crashed daemon left behind.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"

VIP=10.79.0.200
topo_init rvo
topo_host n1 10.79.0.1
topo_host n2 10.79.0.2
topo_host c 10.79.0.100

conf() {
  local host=$1 prio=$2 extra=${3:-} more=${4:-}
  cat <<CONF
redvip_defs {
    control_socket $(node_sock "$host")
    metrics_address 127.0.0.1:9650
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $prio
    version 3
    advert_int 0.1
    use_vmac
    $extra
    virtual_ipaddress {
        $VIP/24
    }
}
$more
CONF
}
# A second instance for reloads that add and remove one.
VIP2=10.79.0.201
second_instance() {
  cat <<CONF
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        $VIP2/24
    }
}
CONF
}

# --- -t: a good file passes, a bad one fails naming file:line and the keyword
conf n1 150 >"$TOPO_TMP/n1.conf"
"$REDVIPD" -t -f "$TOPO_TMP/n1.conf" >/dev/null || fail "-t rejected a good config"
conf n1 150 "bogus_keyword 1" >"$TOPO_TMP/bad.conf"
if out=$("$REDVIPD" -t -f "$TOPO_TMP/bad.conf" 2>&1); then fail "-t accepted a bad config"; fi
line=$(grep -n bogus_keyword "$TOPO_TMP/bad.conf" | cut -d: -f1)
[[ "$out" == *"bad.conf:$line: "*'"bogus_keyword"'* ]] || fail "-t error does not name file:line and keyword: $out"
out=$(topo_exec n1 "$REDVIPD" -t -f "$TOPO_TMP/n1.conf" 2>&1) || fail "-t rejected a good config"
[[ "$out" == *"VI_1 vrid 51 priority 150 on eth0, VRRPv3 every 100 ms, 1 VIP ($VIP), multicast"* ]] ||
  fail "-t does not say what it checked: $out"
[[ "$out" == *"does not exist"* ]] && fail "-t warns about eth0, which exists here? $out"
sed 's/interface eth0/interface eth9/' "$TOPO_TMP/n1.conf" >"$TOPO_TMP/eth9.conf"
out=$(topo_exec n1 "$REDVIPD" -t -f "$TOPO_TMP/eth9.conf" 2>&1) || fail "-t rejected a config for a missing interface"
[[ "$out" == *"warning: VI_1: interface eth9 does not exist here"* ]] || fail "-t does not warn about eth9: $out"
"$REDVIPCTL" --version | grep -q "^redvipctl [0-9]" || fail "redvipctl --version"
out=$("$REDVIPCTL" -s "$TOPO_TMP/no.sock" status 2>&1) && fail "redvipctl reached a socket that does not exist"
[[ "$out" == *"is redvipd running"*"pass it with -s"* ]] || fail "redvipctl does not say what to do about a missing socket: $out"
pass "config test mode: errors with file:line, what was checked, a missing interface warned about"

# --- VMAC: the VIP lives on vrrp.51 with the virtual MAC, and the client's ARP says so
conf n2 100 >"$TOPO_TMP/n2.conf"
start_redvipd n1 "$TOPO_TMP/n1.conf"
start_redvipd n2 "$TOPO_TMP/n2.conf"
vip_on_vmac() { local out; out=$(topo_exec n1 ip -o addr show dev vrrp.51 2>/dev/null) || return 1; [[ "$out" == *" $VIP/"* ]]; }
wait_until 5 vip_on_vmac || fail "VIP not on n1's vrrp.51"
mac=$(topo_exec n1 cat /sys/class/net/vrrp.51/address)
[[ "$mac" == 00:00:5e:00:01:33 ]] || fail "vrrp.51 has MAC $mac"
topo_exec c ping -c1 -W1 $VIP >/dev/null || fail "client cannot reach the VIP on the VMAC"
pass "VMAC: VIP on vrrp.51 (00:00:5e:00:01:33), the client reaches it"

# --- control socket and metrics
status=$("$REDVIPCTL" -s "$(node_sock n1)" status)
[[ "$status" == "VI_1: MASTER priority 150"* ]] || fail "status: $status"
json=$("$REDVIPCTL" -s "$(node_sock n1)" status --json)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["instances"][0]["state"]=="MASTER"' "$json" || fail "status --json: $json"
metrics=$(topo_exec n1 python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9650/metrics").read().decode())')
grep -q 'redvip_instance_state{instance="VI_1",state="MASTER"} 1' <<<"$metrics" || fail "metrics: $(head -5 <<<"$metrics")"
grep -q 'redvip_adverts_sent_total{instance="VI_1"} [1-9]' <<<"$metrics" || fail "no adverts counted in metrics"
pass "control socket status (text and JSON) and Prometheus metrics"

# --- SIGHUP, unchanged: no transition, the instance keeps its state
transitions() { grep -c " -> " "$TOPO_TMP/$1.log" || true; }
state_is() { [[ "$(state_of "$1")" == "$2" ]]; }
status_has() { "$REDVIPCTL" -s "$(node_sock "$1")" status 2>/dev/null | grep -q "$2"; }
before=$(transitions n1)
kill -HUP "$PID_n1"
wait_until 3 grep -q "reloaded: 1 kept" "$TOPO_TMP/n1.log" || fail "reload did not keep the unchanged instance"
sleep 0.5
[[ $(transitions n1) == "$before" ]] || fail "unchanged reload made n1 flap"
vip_on_vmac || fail "VIP lost on an unchanged reload"
pass "SIGHUP with an unchanged config: no flap"

# --- SIGHUP with a broken config: refused, the running config stays
cp "$TOPO_TMP/bad.conf" "$TOPO_TMP/n1.conf"
kill -HUP "$PID_n1"
wait_until 3 grep -q "reload refused" "$TOPO_TMP/n1.log" || fail "broken config not refused"
grep -q "bogus_keyword" "$TOPO_TMP/n1.log" || fail "the refusal does not name the error"
sleep 0.3
vip_on_vmac || fail "n1 lost the VIP after a refused reload"
pass "SIGHUP with a broken config: refused, still master"

# --- SIGHUP with a lower priority: applied, n2 takes over (preempt)
conf n1 50 >"$TOPO_TMP/n1.conf"
"$REDVIPCTL" -s "$(node_sock n1)" reload | grep -q "1 restarted" || fail "control reload did not restart the changed instance"
n2_vip() { local out; out=$(topo_exec n2 ip -o addr show dev vrrp.51 2>/dev/null) || return 1; [[ "$out" == *" $VIP/"* ]]; }
wait_until 5 n2_vip || fail "n2 did not take over after n1's priority dropped to 50"
vip_on_vmac && fail "n1 still holds the VIP at priority 50"
kill -0 "$PID_n1" 2>/dev/null || fail "n1's redvipd died in the reload"
wait_until 3 state_is n1 BACKUP || fail "n1 is not BACKUP at priority 50: $("$REDVIPCTL" -s "$(node_sock n1)" status)"
"$REDVIPCTL" -s "$(node_sock n1)" status | grep -q "VI_1: BACKUP priority 50" || fail "status does not show the new priority"
pass "reload with a changed priority is applied, the daemon keeps running"

# --- reloads that add an instance, change both, then remove one (and again at once, before the
# restart of the first reload has finished)
conf n1 60 "" "$(second_instance)" >"$TOPO_TMP/n1.conf"
"$REDVIPCTL" -s "$(node_sock n1)" reload | grep -q "0 kept, 1 restarted, 1 added, 0 removed" ||
  fail "reload did not add VI_2 and restart VI_1"
wait_until 5 has_vip n1 $VIP2 || fail "the added VI_2 did not take its VIP on n1"
conf n1 70 "" "$(second_instance | sed 's/priority 100/priority 90/')" >"$TOPO_TMP/n1.conf"
kill -HUP "$PID_n1"
conf n1 80 >"$TOPO_TMP/n1.conf"
kill -HUP "$PID_n1"
wait_until 5 lacks_vip n1 $VIP2 || fail "the removed VI_2 kept its VIP"
wait_until 5 grep -q "1 restarted, 0 added, 1 removed" "$TOPO_TMP/n1.log" || fail "second reload did not remove VI_2"
kill -0 "$PID_n1" 2>/dev/null || fail "n1's redvipd died in back-to-back reloads"
wait_until 3 status_has n1 "VI_1: BACKUP priority 80" || fail "VI_1 not restarted with priority 80: $("$REDVIPCTL" -s "$(node_sock n1)" status)"
"$REDVIPCTL" -s "$(node_sock n1)" status | grep -q VI_2 && fail "VI_2 still listed after its removal"
pass "reloads that add, change and remove instances, back to back"

# --- crash leftovers: SIGKILL leaves the VIP (on n2 now); --cleanup removes it and the VMAC
kill -KILL "$PID_n2"
sleep 0.2
n2_vip || fail "expected the VIP left behind on n2 after SIGKILL"
topo_exec n2 "$REDVIPD" --cleanup -f "$TOPO_TMP/n2.conf" >/dev/null 2>&1 || fail "--cleanup failed"
n2_vip && fail "--cleanup left the VIP"
topo_exec n2 ip link show vrrp.51 >/dev/null 2>&1 && fail "--cleanup left the VMAC"
pass "--cleanup removes a crashed daemon's VIP and VMAC"
echo "daemon_ops: all passed"
