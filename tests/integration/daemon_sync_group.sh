#!/bin/bash
# keepalived's vrrp_sync_group: its instances change state together.
#  1. keepalived's own sample (keepalived.conf.vrrp.sync: groups G1 of 7 instances and G2 of 2 on
#     eth0 and eth1) starts unchanged and takes every VIP; eth1 down puts every member of both
#     groups in Fault (each group has a member on eth1), eth1 up brings them all back; the group
#     notify scripts run (they do not exist here: exit 127 logged).
#  2. Two nodes, instances VA and VB in group G, n1 priority 150, n2 100:
#     - VA on n1 faults (its track file): both VIPs move to n2, and back to n1 when it clears;
#     - VA alone on n2 gets a higher priority (a track file's weight): it would preempt, but VB
#       on n2 still follows a better master, so the group stays whole on n1 (keepalived too
#       prefers Backup to a split group);
#     - VB on n2 gets it too: both move to n2 together; both priorities back down: both return.
#     notify on the group gets keepalived's arguments (GROUP G STATE 0).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
SAMPLES="$HERE/../fixtures/keepalived_samples"

topo_init rsg
topo_host n1 10.83.0.1
topo_host n2 10.83.0.2
topo_host s 10.83.0.3

# --- 1. keepalived's sample, alone in s (an eth1 for it: one end of a veth pair inside s).
topo_exec s ip link add eth1 type veth peer name eth1peer
topo_exec s ip link set eth1peer up
topo_exec s ip link set eth1 up
topo_exec s ip addr add 10.84.0.3/24 dev eth1
out=$(topo_exec s "$REDVIPD" -t -f "$SAMPLES/vrrp_sync.conf" 2>&1) || fail "-t refused the sync sample: $out"
topo_spawn s "$TOPO_TMP/sample.log" "$REDVIPD" -f "$SAMPLES/vrrp_sync.conf" -l debug
sample_pid=$TOPO_LAST_PID
sample_vips="192.168.200.18 192.168.201.18 192.168.200.19 192.168.201.19 192.168.200.20 192.168.200.24"
holds_all() { local v; for v in $sample_vips; do topo_exec s ip -o addr show | grep -q " $v/" || return 1; done; }
holds_none() { local v; for v in $sample_vips; do topo_exec s ip -o addr show | grep -q " $v/" && return 1; done; return 0; }
wait_until 8 holds_all || fail "the sync sample did not take its VIPs: $(tail -5 "$TOPO_TMP/sample.log")"
wait_for_line "$TOPO_TMP/sample.log" 'notify_master (.*vrrp_sync.conf:14): exit 127'
topo_exec s ip link set eth1peer down
wait_until 5 holds_none || fail "eth1 down: members of the groups still hold VIPs: $(topo_exec s ip -o addr show | grep 192.168 | awk '{print $4}' | tr '\n' ' ')"
grep -q 'VI_1: MASTER -> FAULT: not eligible: sync group: VI_[24] in group G1 is in fault' "$TOPO_TMP/sample.log" ||
  fail "VI_1 (on eth0) did not go to FAULT for its group: $(grep 'VI_1:' "$TOPO_TMP/sample.log" | tail -3)"
grep -q 'VI_3: MASTER -> FAULT: not eligible: sync group: VI_4 in group G2 is in fault' "$TOPO_TMP/sample.log" ||
  fail "VI_3 did not go to FAULT for G2: $(grep 'VI_3:' "$TOPO_TMP/sample.log" | tail -3)"
topo_exec s ip link set eth1peer up
wait_until 8 holds_all || fail "eth1 back up: the groups did not take their VIPs again: $(tail -5 "$TOPO_TMP/sample.log")"
kill -TERM "$sample_pid"; wait "$sample_pid" || true
pass "keepalived's sync sample starts unchanged; one link down faults every member of both groups, and back"

# --- 2. two nodes, one group of two instances.
VA=10.83.0.201 VB=10.83.0.202
conf() {  # HOST PRIORITY
  local host=$1 prio=$2 dir="$TOPO_TMP/$1"
  mkdir -p "$dir"
  echo 0 >"$dir/fault"
  echo 0 >"$dir/boost_a"
  echo 0 >"$dir/boost_b"
  cat >"$dir/note.sh" <<SH
#!/bin/sh
echo "\$*" >>"$dir/notes"
SH
  chmod +x "$dir/note.sh"
  cat <<CONF
redvip_defs {
    control_socket $(node_sock "$host")
}
vrrp_track_file fault {
    file $dir/fault
    weight 0
}
vrrp_track_file boost_a {
    file $dir/boost_a
    weight 1
}
vrrp_track_file boost_b {
    file $dir/boost_b
    weight 1
}
vrrp_sync_group G {
    group {
        VA
        VB
    }
    notify "$dir/note.sh"
}
vrrp_instance VA {
    state BACKUP
    interface eth0
    virtual_router_id 71
    priority $prio
    version 3
    advert_int 0.1
    virtual_ipaddress {
        $VA/24
    }
    track_file {
        fault
        boost_a
    }
}
vrrp_instance VB {
    state BACKUP
    interface eth0
    virtual_router_id 72
    priority $prio
    version 3
    advert_int 0.1
    virtual_ipaddress {
        $VB/24
    }
    track_file {
        boost_b
    }
}
CONF
}
conf n1 150 >"$TOPO_TMP/n1.conf"
conf n2 100 >"$TOPO_TMP/n2.conf"
start_redvipd n1 "$TOPO_TMP/n1.conf"
start_redvipd n2 "$TOPO_TMP/n2.conf"
both_on() { [[ "$(vip_holders $VA n1 n2)" == "$1" && "$(vip_holders $VB n1 n2)" == "$1" ]]; }
wait_until 8 both_on n1 || fail "n1 did not take both VIPs: VA on '$(vip_holders $VA n1 n2)', VB on '$(vip_holders $VB n1 n2)'"
wait_for_line "$TOPO_TMP/n1/notes" '^GROUP G MASTER 0$'
pass "n1 holds both VIPs; the group's notify ran with GROUP G MASTER 0"

echo 1 >"$TOPO_TMP/n1/fault"
wait_until 5 both_on n2 || fail "VA faulted on n1: VA on '$(vip_holders $VA n1 n2)', VB on '$(vip_holders $VB n1 n2)'"
grep -q "VB: MASTER -> FAULT: not eligible: sync group: VA in group G is in fault" "$TOPO_TMP/n1.log" ||
  fail "VB on n1 did not fault with VA: $(grep 'VB:' "$TOPO_TMP/n1.log" | tail -3)"
wait_for_line "$TOPO_TMP/n1/notes" '^GROUP G FAULT 0$'
echo 0 >"$TOPO_TMP/n1/fault"
wait_until 8 both_on n1 || fail "VA healthy again: VA on '$(vip_holders $VA n1 n2)', VB on '$(vip_holders $VB n1 n2)'"
pass "VA's fault on n1 moved both VIPs to n2, and both came back together"

# n2's VA alone now outranks n1's (100 + 100 > 150); n1 stays the better router for VB.
echo 100 >"$TOPO_TMP/n2/boost_a"
wait_for_line "$TOPO_TMP/n2.log" "VA: ready to take over; waits until every member of its sync group is" 5
for _ in $(seq 30); do
  both_on n1 || fail "the group split: VA on '$(vip_holders $VA n1 n2)', VB on '$(vip_holders $VB n1 n2)'"
  sleep 0.1
done
pass "n2's VA outranks n1's alone: it waits for its group, both VIPs stay on n1 (3 s)"

echo 100 >"$TOPO_TMP/n2/boost_b"
wait_until 5 both_on n2 || fail "both of n2's members outrank n1's: VA on '$(vip_holders $VA n1 n2)', VB on '$(vip_holders $VB n1 n2)'"
echo 0 >"$TOPO_TMP/n2/boost_a"
echo 0 >"$TOPO_TMP/n2/boost_b"
wait_until 8 both_on n1 || fail "priorities back down: VA on '$(vip_holders $VA n1 n2)', VB on '$(vip_holders $VB n1 n2)'"
pass "with both members outranked the group moved to n2 together, and back to n1 together"
