#!/bin/bash
# keepalived's vrrp_rt_priority and vrrp_no_swap: redvipd's loop runs SCHED_RR at the given
# priority with its memory locked, and a reload without them returns it to the normal scheduler
# with nothing locked. (Not run against the ASan build: locking its shadow memory is not
# something to ask of a test machine.)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
require_cmd chrt

topo_init rto
topo_host n1 10.81.0.1

conf() {  # conf GLOBAL_DEFS_LINES
  cat <<CONF
global_defs {
    $1
}
redvip_defs {
    control_socket $(node_sock n1)
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    version 3
    advert_int 0.1
    virtual_ipaddress {
        10.81.0.200/24
    }
}
CONF
}

policy() { chrt -p "$PID_n1" | sed -n 's/.*scheduling policy: //p'; }
rt_prio() { chrt -p "$PID_n1" | sed -n 's/.*scheduling priority: //p'; }
locked_kb() { awk '/^VmLck:/ {print $2}' "/proc/$PID_n1/status"; }
policy_is() { [[ "$(policy)" == "$1" ]]; }

conf "vrrp_rt_priority 30
    vrrp_no_swap" >"$TOPO_TMP/n1.conf"
start_redvipd n1 "$TOPO_TMP/n1.conf"
wait_until 5 has_vip n1 10.81.0.200 || fail "n1 did not become master"
[[ "$(policy)" == SCHED_RR && "$(rt_prio)" == 30 ]] || fail "scheduler: $(chrt -p "$PID_n1")"
(( $(locked_kb) > 0 )) || fail "no memory locked: VmLck $(locked_kb) kB"
grep -E "^Max realtime timeout +2000000 +3000000 +us" "/proc/$PID_n1/limits" >/dev/null ||
  fail "no RLIMIT_RTTIME bound: $(grep -i realtime "/proc/$PID_n1/limits")"
pass "vrrp_rt_priority 30 and vrrp_no_swap: SCHED_RR 30, $(locked_kb) kB locked"

conf "" >"$TOPO_TMP/n1.conf"
kill -HUP "$PID_n1"
wait_until 3 policy_is SCHED_OTHER || fail "still $(policy) after a reload without vrrp_rt_priority"
(( $(locked_kb) == 0 )) || fail "memory still locked after a reload without vrrp_no_swap: $(locked_kb) kB"
grep -q "reloaded: 1 kept" "$TOPO_TMP/n1.log" || fail "the instance was not kept over the reload"
pass "a reload without them: SCHED_OTHER, nothing locked, instance kept"
