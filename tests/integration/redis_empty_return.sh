#!/bin/bash
# The old master returns with an EMPTY Redis (its redis-server and redvipd restarted after a
# crash). It must not hold the VIP while empty; it syncs from n2 and then preempts (priority
# 150) with its writes paused and caught up: not one acknowledged write is lost over the run.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rft
two_nodes_up
pass "n1 master, n2's Redis follows it"

# n1 crashes (both processes); n2 takes over.
kill -KILL "$PID_n1"
redis_kill n1
wait_until 5 has_vip n2 $VIP || fail "n2 did not take over from the crashed n1"
topo_exec n1 ip addr del $VIP/24 dev eth0 2>/dev/null || true  # what the crash left behind
# Data written while n1 is away: what n1 must have before it may serve.
topo_exec c "$VIP_WRITER" --target $VIP:6379 --duration 1 --prefix seed --acked-file "$TOPO_TMP/seed.acked" |
  grep RESULT
seed=$(wc -l <"$TOPO_TMP/seed.acked")
(( seed > 100 )) || fail "only $seed seed keys written"

writer_start c --duration 9 --verify 10.77.0.1:6379
sleep 1
redis_wipe n1
redis_start n1
[[ "$(redis_keys n1)" == 0 ]] || fail "n1's Redis did not restart empty"
t0=$(now_ms)
start_redvipd n1 "$(redis_node_conf n1 150)"
# Until n1 holds the VIP, watch that it never holds it with less than the seed data.
took=""
while (( $(now_ms) - t0 < 7000 )); do
  if has_vip n1 $VIP; then
    keys=$(redis_keys n1)
    (( keys >= seed )) || fail "n1 holds the VIP with $keys keys (n2 had $seed before n1 returned)"
    took=$(( $(now_ms) - t0 ))
    break
  fi
  sleep 0.02
done
[[ -n "$took" ]] || fail "n1 never took the VIP back: holders '$(vip_holders $VIP n1 n2)'; n1 role $(redis_role n1)"
grep -E "synced|may be promoted" "$TOPO_TMP/n1.log" | head -3 | sed 's/^/  n1: /'
wait_until 5 only_holder n1 n1 n2 || fail "holders after n1 took over: '$(vip_holders $VIP n1 n2)'"
wait_until 5 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1 after the preemption"
# The old master must apply the new master's stream at once (not stay paused until
# handover_timeout): a crash of n1 in that window would lose every write since the preemption.
sleep 0.2
replica_keeps_up n2 n1 1 || fail "n2 (the old master) does not apply n1's stream after the preemption: offset $(redis_info_field n2 slave_repl_offset) of $(redis_info_field n1 master_repl_offset)"
writer_wait
echo "empty n1 restarted -> it holds the VIP (synced) after ${took} ms"
figures redis_empty_return "vip_back_ms=$took seed_keys=$seed"
[[ "$W_LOST" == 0 ]] || fail "lost $W_LOST acknowledged writes across the return of n1"
seed_check=$(topo_exec c "$VIP_WRITER" --verify-only 10.77.0.1:6379 --prefix seed --acked-file "$TOPO_TMP/seed.acked")
echo "  seed on n1: $seed_check"
[[ "$seed_check" =~ \ lost=0($|\ ) ]] || fail "seed keys missing on n1: $seed_check"
pass "old master returned empty: synced before serving, preempted with lost 0, outage ${W_OUTAGE} ms"
