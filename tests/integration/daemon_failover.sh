#!/bin/bash
# Two and three redvipd nodes in network namespaces: the election, a crashed master (SIGKILL and
# cable cut), a SIGTERM release (priority 0), preemption on return, nopreempt, preempt_delay,
# equal priorities. Times are printed; the only limits asserted are generous upper bounds that
# catch a broken protocol, not a slow machine.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"

VIP=10.77.0.200
topo_init rvd
topo_host n1 10.77.0.1
topo_host n2 10.77.0.2
topo_host n3 10.77.0.3

# conf HOST PRIORITY [extra instance lines]
conf() {
  local host=$1 prio=$2 extra=${3:-}
  cat >"$TOPO_TMP/$host.conf" <<CONF
redvip_defs {
    control_socket $(node_sock "$host")
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $prio
    version 3
    advert_int 0.1
    $extra
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
  echo "$TOPO_TMP/$host.conf"
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
only_holder() { [[ "$(vip_holders $VIP "${@:2}")" == "$1" ]]; }

# --- election: the highest priority wins, exactly one holder
start_redvipd n1 "$(conf n1 150)"
start_redvipd n2 "$(conf n2 100)"
wait_until 5 only_holder n1 n1 n2 || fail "n1 (priority 150) did not become the only VIP holder: $(vip_holders $VIP n1 n2)"
sleep 0.5
only_holder n1 n1 n2 || fail "VIP holders after settling: $(vip_holders $VIP n1 n2)"
[[ "$(state_of n1)" == MASTER && "$(state_of n2)" == BACKUP ]] || fail "states: n1=$(state_of n1) n2=$(state_of n2)"
pass "election: n1 master, n2 backup"

# --- master crashes: SIGKILL and its cable cut; n2 must take over after master-down (~0.6 s)
t0=$(now_ms)
kill -KILL "$PID_n1"
topo_cut n1
wait_until 5 has_vip n2 $VIP || fail "n2 did not take the VIP after the master crashed"
took=$(( $(now_ms) - t0 ))
echo "crash -> n2 holds the VIP: ${took} ms (master-down interval 3*100+skew 60.9 = 360.9 ms)"
(( took < 2000 )) || fail "takeover took ${took} ms"
pass "crash failover"

# --- the old master returns (priority 150, preempt by default) and takes the VIP back
topo_exec n1 ip addr del $VIP/24 dev eth0 2>/dev/null || true  # what the crash left behind
topo_heal n1
start_redvipd n1 "$(conf n1 150)"
wait_until 5 only_holder n1 n1 n2 || fail "returning n1 did not preempt: holders $(vip_holders $VIP n1 n2)"
pass "preempt on return"

# --- SIGTERM on the master: priority-0 advert, the backup takes over within about one skew time
t0=$(now_ms)
kill -TERM "$PID_n1"
wait_until 5 has_vip n2 $VIP || fail "n2 did not take the VIP after SIGTERM on n1"
took=$(( $(now_ms) - t0 ))
wait "$PID_n1" && rc=0 || rc=$?
[[ $rc -eq 0 ]] || fail "redvipd exited $rc on SIGTERM"
has_vip n1 $VIP && fail "n1 kept the VIP after SIGTERM"
grep -q "releasing" "$TOPO_TMP/n1.log" || fail "n1 did not log its release"
echo "SIGTERM -> n2 holds the VIP: ${took} ms (skew for priority 100 at 0.1 s = 60.9 ms)"
(( took < 1000 )) || fail "SIGTERM takeover took ${took} ms"
pass "SIGTERM release"

# --- nopreempt: n1 returns with a higher priority but must not take over while n2 advertises
start_redvipd n1 "$(conf n1 150 nopreempt)"
sleep 2
only_holder n2 n1 n2 || fail "nopreempt n1 took over: holders $(vip_holders $VIP n1 n2)"
pass "nopreempt honoured"
kill -TERM "$PID_n1"; wait "$PID_n1" || true

# --- preempt_delay 2: n1 waits two seconds before preempting
t0=$(now_ms)
start_redvipd n1 "$(conf n1 150 'preempt_delay 2')"
sleep 1.2
only_holder n2 n1 n2 || fail "n1 preempted before preempt_delay: holders $(vip_holders $VIP n1 n2)"
wait_until 5 only_holder n1 n1 n2 || fail "n1 never preempted after preempt_delay"
took=$(( $(now_ms) - t0 ))
echo "preempt_delay 2 s -> n1 master after ${took} ms"
(( took >= 2000 )) || fail "preempted after ${took} ms, before the delay"
pass "preempt_delay honoured"
kill -TERM "$PID_n1" "$PID_n2"; wait "$PID_n1" "$PID_n2" || true

# --- three nodes with equal priority: partitioned, each becomes master; when the network heals
# the masters hear each other and settle on one, the highest primary address (n3).
for h in n1 n2 n3; do topo_isolate $h; done
for h in n1 n2 n3; do start_redvipd $h "$(conf $h 100)"; done
wait_until 5 only_holder "n1 n2 n3" n1 n2 n3 || fail "partitioned nodes did not all become master: $(vip_holders $VIP n1 n2 n3)"
for h in n1 n2 n3; do topo_join $h; done
wait_until 5 only_holder n3 n1 n2 n3 || fail "equal priorities after healing: holders $(vip_holders $VIP n1 n2 n3)"
sleep 1
only_holder n3 n1 n2 n3 || fail "equal priorities did not stay settled: $(vip_holders $VIP n1 n2 n3)"
pass "equal priorities settle on the highest address"

# --- three nodes, the master dies: exactly one of the other two takes over. With equal
# priorities either may win (a backup accepts an equal-priority master, RFC 5798 6.4.2).
one_holder() { [[ "$(vip_holders $VIP "$@" | wc -w)" -eq 1 ]]; }
kill -KILL "$PID_n3"; topo_cut n3
wait_until 5 one_holder n1 n2 || fail "after n3 died: holders '$(vip_holders $VIP n1 n2)'"
sleep 0.5
one_holder n1 n2 || fail "after n3 died: holders '$(vip_holders $VIP n1 n2)'"
pass "three nodes: one of the other two takes over alone ($(vip_holders $VIP n1 n2))"
echo "daemon_failover: all passed"
