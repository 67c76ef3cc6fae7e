#!/bin/bash
# A master's VIP removed while the kernel was dropping redvipd's address events: the removal is
# never seen as an event, but the overrun is, and the resync that follows it re-checks the VIPs
# and puts the missing one back. The overrun is forced as in nla_link_events.sh: a reader that
# does not read (redvipd stopped with SIGSTOP) while thousands of addresses change.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"

VIP=10.78.0.200
FLOOD=${RESYNC_FLOOD:-20000}  # address events: far more than redvipd's 4 MiB event queue holds
topo_init rvs
topo_host n1 10.78.0.1
cat >"$TOPO_TMP/n1.conf" <<CONF
redvip_defs {
    control_socket $(node_sock n1)
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 61
    priority 150
    version 3
    advert_int 0.1
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
start_redvipd n1 "$TOPO_TMP/n1.conf"
wait_until 5 has_vip n1 $VIP || fail "n1 did not become master"
pass "n1 master, holds $VIP"

for i in $(seq 1 "$FLOOD"); do
  echo "addr add 10.79.$((i / 250)).$((i % 250 + 1))/32 dev eth0"
done >"$TOPO_TMP/batch"
echo "addr del $VIP/24 dev eth0" >>"$TOPO_TMP/batch"
kill -STOP "$PID_n1"
topo_exec n1 ip -batch "$TOPO_TMP/batch"
has_vip n1 $VIP && fail "the VIP was not removed"
kill -CONT "$PID_n1"

wait_until 10 has_vip n1 $VIP || fail "the VIP removed during the overrun was not put back"
if grep -q "by someone else" "$TOPO_TMP/n1.log"; then
  fail "the removal was delivered as an event (no overrun): raise RESYNC_FLOOD"
fi
grep -q "address events were lost" "$TOPO_TMP/n1.log" || fail "no resync re-check in the log"
[[ "$(state_of n1)" == MASTER ]] || fail "n1 is $(state_of n1)"
pass "VIP restored by the resync after lost address events"
