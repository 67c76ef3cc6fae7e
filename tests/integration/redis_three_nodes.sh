#!/bin/bash
# Three nodes (100, 90, 80: the backups' skews 3.9 ms apart at 0.1 s adverts); the master dies
# (crash + cable cut). n2 takes over, n3's Redis is never promoted (n2 claims the VRID before
# its own promotion, which takes longer than 3.9 ms), and n3's Redis replicates from the new
# master (INFO replication); writes keep flowing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rft
topo_host n1 10.77.0.1
topo_host n2 10.77.0.2
topo_host n3 10.77.0.3
topo_host c 10.77.0.9
for h in n1 n2 n3; do redis_start $h; done
start_redvipd n1 "$(redis_node_conf n1 100)"
start_redvipd n2 "$(redis_node_conf n2 90)"
start_redvipd n3 "$(redis_node_conf n3 80)"
wait_until 10 only_holder n1 n1 n2 n3 || fail "n1 is not the only holder: '$(vip_holders $VIP n1 n2 n3)'"
wait_until 10 redis_follows n2 10.77.0.1 || fail "n2 does not follow n1"
wait_until 10 redis_follows n3 10.77.0.1 || fail "n3 does not follow n1"
pass "n1 master, n2 and n3 follow it"

writer_start c --duration 5 --verify 10.77.0.2:6379
sleep 1.5
# What n3 logs from here on: a slow start (the sanitized daemon) may have made it master for a
# moment before n1 preempted; the claim is about n1's death.
n3_from=$(( $(wc -l < "$TOPO_TMP/n3.log") + 1 ))
t0=$(now_ms)
kill -KILL "$PID_n1"; redis_kill n1; topo_cut n1
wait_until 5 one_holder n2 n3 || fail "no single holder after n1 died: '$(vip_holders $VIP n2 n3)'"
took=$(( $(now_ms) - t0 ))
new=$(vip_holders $VIP n2 n3)
[[ "$new" == n2 ]] || fail "the VIP went to $new, not n2 (priority 90 over 80)"
wait_until 5 redis_follows n3 10.77.0.2 ||
  fail "n3 does not replicate from n2: master_host=$(redis_info_field n3 master_host) link=$(redis_info_field n3 master_link_status)"
relinked=$(( $(now_ms) - t0 ))
writer_wait
rcli n3 INFO replication | tr -d '\r' | grep -E '^(role|master_host|master_link_status|master_repl_offset)' | sed 's/^/  n3: /'
figures redis_three_nodes "vip_moved_ms=$took n3_follows_n2_ms=$relinked"
(( W_LOST >= 0 && W_LOST <= 50 )) || fail "lost $W_LOST"
caught_up() { [[ "$(redis_info_field n3 slave_repl_offset)" == "$(redis_info_field n2 master_repl_offset)" ]]; }
wait_until 3 caught_up || fail "n3 did not catch up with n2: $(redis_info_field n3 slave_repl_offset) vs $(redis_info_field n2 master_repl_offset)"
after_kill() { tail -n "+$n3_from" "$TOPO_TMP/n3.log"; }
promoted=$(after_kill | grep -c "redis promoted to master" || true)
(( promoted == 0 )) || fail "n3 promoted its redis too ($promoted times): $(after_kill | grep "MASTER\|promot" | tail -5)"
pass "three nodes: n2 took over in ${took} ms, n3 replicates from it, lost $W_LOST"
