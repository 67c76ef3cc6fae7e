#!/bin/bash
# A returning master preempts only with the current master's writes. n1 (priority 150,
# preempt_delay 2) loses its link, n2 takes over; n1 comes back, its Redis syncs from n2 and it
# waits out preempt_delay. Meanwhile n2's Redis becomes unreachable from n1 alone (a prohibit
# route in n1's namespace: n2's adverts still arrive, the client still reaches n2). n2 still
# advertises, so its Redis still takes writes: n1 must refuse to promote (it would make two
# masters and lose what n2 takes) and keep retrying; n2 keeps the VIP. Once n2's Redis is
# reachable again, n1 preempts with the catch-up. One master throughout, lost 0.
# (A 60-minute soak found the old way: two Redis masters for 30 s, 130 writes lost after.)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rpu
topo_host n1 10.77.0.1
topo_host n2 10.77.0.2
topo_host c 10.77.0.9
redis_start n1
redis_start n2
start_redvipd n1 "$(redis_node_conf n1 150 "preempt_delay 2")"
start_redvipd n2 "$(redis_node_conf n2 100)"
wait_until 10 only_holder n1 n1 n2 || fail "n1 did not become the only VIP holder: '$(vip_holders $VIP n1 n2)'"
wait_until 10 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1"
pass "n1 master, n2's Redis follows it"

writer_start c --duration 14 --timeout-ms 20 --acked-file "$TOPO_TMP/preempt.acked"
sleep 1
topo_cut n1
wait_until 5 has_vip n2 $VIP || fail "n2 did not take the VIP while n1's link was down"
sleep 1
topo_heal n1
# Back in BACKUP at once (its Redis still the master it was), then Fault for a moment once it
# hears n2 (another master took over: ours must sync from it first), then BACKUP again, synced.
backup_following() { [[ "$(state_of n1)" == BACKUP ]] && redis_follows n1 10.77.0.2; }
wait_until 10 backup_following || fail "n1 is $(state_of n1) after its link came back; its Redis: $(redis_info_field n1 role) of $(redis_info_field n1 master_host)"
topo_exec n1 ip route add prohibit 10.77.0.2/32
pass "n1 back and eligible, waiting out preempt_delay; n2's Redis now unreachable from n1"

# preempt_delay (2 s) runs out meanwhile; n1 must not take over.
sleep 4
only_holder n2 n1 n2 || fail "VIP holders while n2's Redis is unreachable from n1: '$(vip_holders $VIP n1 n2)'"
[[ "$(redis_role n1)" == slave ]] || fail "n1 promoted its Redis without n2's writes: $(redis_role n1); $(grep -E 'MASTER|promot' "$TOPO_TMP/n1.log" | tail -3 | tr '\n' ' ')"
[[ "$(redis_role n2)" == master ]] || fail "n2's Redis is $(redis_role n2)"
grep -q "not promoting without its writes" "$TOPO_TMP/n1.log" \
  || fail "n1 never tried to preempt: $(grep -E 'MASTER|promot' "$TOPO_TMP/n1.log" | tail -4 | tr '\n' ' ')"
pass "preemption refused while n2's Redis is unreachable: n2 keeps the VIP, one Redis master"

topo_exec n1 ip route del prohibit 10.77.0.2/32
wait_until 8 only_holder n1 n1 n2 || fail "n1 did not preempt once n2's Redis was reachable: '$(vip_holders $VIP n1 n2)'"
writer_wait
sleep 1
settled_after_return "after the preemption" "$TOPO_TMP/preempt.acked"
[[ -n ${REDVIP_KEEP_LOGS:-} ]] && mkdir -p "$REDVIP_KEEP_LOGS" && cp "$TOPO_TMP"/*.log "$W_LOG" "$REDVIP_KEEP_LOGS"/
figures redis_preempt_unreachable "final_master=$holders"
pass "n2's Redis reachable again: n1 preempted with the catch-up; one master ($holders), lost 0"
