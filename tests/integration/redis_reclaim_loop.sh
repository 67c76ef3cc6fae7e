#!/bin/bash
# A master whose Redis is made a replica while it holds the VIP, out of a replication loop, takes
# it back. A 60-minute soak ended that way: a takeover the other node abandoned (it promoted, made
# ours its replica, then went to Fault and followed ours) left both Redis servers replicas of
# each other, every write refused for 30 s, until the next empty restart wiped the data set.
# Here the loop is made by hand under a client writing through the VIP: n1 holds the VIP, n2's
# Redis follows n1's, and n1's Redis is told REPLICAOF n2. n1's redvipd must see its Redis a
# replica with no other master heard, find n2's Redis a replica too (a loop, not a takeover) and
# promote its own back: n1 master, n2 follows it, the VIP stays on n1, writes resume, lost 0.
# Then the same with n2's Redis master (a takeover whose advert n1 has not heard): n1 must NOT
# take its Redis back (two masters); it stays n2's replica.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rrl
topo_host n1 10.77.0.1
topo_host n2 10.77.0.2
topo_host c 10.77.0.9
redis_start n1
redis_start n2
start_redvipd n1 "$(redis_node_conf n1 150)"
start_redvipd n2 "$(redis_node_conf n2 100)"
wait_until 10 only_holder n1 n1 n2 || fail "n1 did not become the only VIP holder: '$(vip_holders $VIP n1 n2)'"
wait_until 10 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1"
pass "n1 master, n2's Redis follows it"

writer_start c --duration 8 --timeout-ms 20 --acked-file "$TOPO_TMP/loop.acked"
sleep 1
rcli n1 REPLICAOF 10.77.0.2 6379 >/dev/null
loop_made=$(now_ms)
n1_master() { [[ "$(redis_role n1)" == master ]]; }
# Two checks in a row (check_interval 0.05) and one INFO of n2: well under a second.
wait_until 5 n1_master || fail "n1's Redis is still $(redis_role n1) 5 s after the loop: $(grep -E 'made a replica|promoting ours|reclaim' "$TOPO_TMP/n1.log" | tail -3 | tr '\n' ' ')"
repaired_ms=$(( $(now_ms) - loop_made ))
grep -q "itself a replica, while we hold the VIP" "$TOPO_TMP/n1.log" || fail "n1's Redis is master again, but not by the reclaim"
wait_until 5 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1 after the repair"
only_holder n1 n1 n2 || fail "VIP holders after the repair: '$(vip_holders $VIP n1 n2)'"
pass "the loop was repaired by n1 in about $repaired_ms ms: n1's Redis master, n2 follows it, VIP on n1"

writer_wait
settled_after_return "after the loop" "$TOPO_TMP/loop.acked"
(( W_ACKED > 0 )) || fail "no write was acknowledged"
pass "writes through the VIP resumed: acked $W_ACKED, lost 0"

# Not a loop: n2's Redis master, as after a takeover whose advert n1 has not heard yet. n2's
# redvipd is stopped meanwhile (a backup sends nothing), or it would point its Redis back at n1.
kill -STOP "$PID_n2"
rcli n2 REPLICAOF NO ONE >/dev/null
rcli n1 REPLICAOF 10.77.0.2 6379 >/dev/null
sleep 2  # 40 checks
n1_role=$(redis_role n1)
kill -CONT "$PID_n2"
[[ "$n1_role" == slave ]] || fail "n1 took its Redis back from a master ($n1_role): two masters"
grep -q "not taking ours back" "$TOPO_TMP/n1.log" || fail "n1 did not say why it kept its Redis a replica"
pass "a replica of a master (not a loop) is never taken back: n1's Redis stays n2's replica"
[[ -n ${REDVIP_KEEP_LOGS:-} ]] && mkdir -p "$REDVIP_KEEP_LOGS" && cp "$TOPO_TMP"/*.log "$W_LOG" "$REDVIP_KEEP_LOGS"/
figures redis_reclaim_loop "repaired_ms=$repaired_ms"
