#!/bin/bash
# Both nodes start cold; only n2's Redis holds data (n1 is empty but has priority 150). The node
# with data must become master first, n1 must never hold the VIP while empty, and no key of n2's
# may be lost (n1 syncs, then preempts). Once with multicast adverts, once with unicast peers.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rft
topo_host n1 10.77.0.1
topo_host n2 10.77.0.2
topo_host c 10.77.0.9

# cold_start MODE: multicast | unicast
cold_start() {
  local mode=$1 x1="" x2=""
  if [[ $mode == unicast ]]; then
    x1="unicast_src_ip 10.77.0.1
    unicast_peer {
        10.77.0.2
    }"
    x2="unicast_src_ip 10.77.0.2
    unicast_peer {
        10.77.0.1
    }"
  fi
  redis_wipe n1; redis_wipe n2
  redis_start n1
  redis_start n2
  rcli n1 FLUSHALL >/dev/null; rcli n2 FLUSHALL >/dev/null
  topo_exec n2 "$VIP_WRITER" --target 127.0.0.1:6379 --duration 0.5 --prefix seed \
    --acked-file "$TOPO_TMP/seed-$mode.acked" >/dev/null
  local seed; seed=$(wc -l <"$TOPO_TMP/seed-$mode.acked")
  (( seed > 100 )) || fail "$mode: only $seed seed keys"
  [[ "$(redis_keys n1)" == 0 ]] || fail "$mode: n1 not empty"

  local t0; t0=$(now_ms)
  start_redvipd n1 "$(redis_node_conf n1 150 "$x1")"
  start_redvipd n2 "$(redis_node_conf n2 100 "$x2")"
  local first="" took="" keys
  while (( $(now_ms) - t0 < 10000 )); do
    if has_vip n1 $VIP; then
      keys=$(redis_keys n1)
      (( keys >= seed )) || fail "$mode: empty n1 took the VIP first ($keys keys, n2 has $seed)"
      first=${first:-n1}
    fi
    if has_vip n2 $VIP; then
      first=${first:-n2}; took=${took:-$(( $(now_ms) - t0 ))}
    fi
    [[ -n "$first" ]] && has_vip n1 $VIP && break
    sleep 0.02
  done
  [[ "$first" == n2 ]] || fail "$mode: first master '$first', not n2 (the node with data); holders '$(vip_holders $VIP n1 n2)'"
  local back=$(( $(now_ms) - t0 ))
  has_vip n1 $VIP || fail "$mode: n1 never took over after syncing; n1 role $(redis_role n1), keys $(redis_keys n1); holders '$(vip_holders $VIP n1 n2)'"
  wait_until 5 redis_follows n2 10.77.0.1 || fail "$mode: n2 does not follow n1 after the preemption"
  local check
  check=$(topo_exec c "$VIP_WRITER" --verify-only 10.77.0.1:6379 --prefix seed --acked-file "$TOPO_TMP/seed-$mode.acked")
  [[ "$check" =~ \ lost=0($|\ ) ]] || fail "$mode: seed keys lost: $check"
  echo "FIGURES redis_cold_start_$mode: n2_master_ms=$took n1_master_ms=$back seed=$seed $check"
  pass "$mode cold start: n2 (data) first after ${took} ms, n1 synced and preempted after ${back} ms, no key lost"
  kill -TERM "$PID_n1" "$PID_n2"; wait "$PID_n1" "$PID_n2" || true
  redis_kill n1; redis_kill n2
  topo_exec n1 ip addr del $VIP/24 dev eth0 2>/dev/null || true
  topo_exec n2 ip addr del $VIP/24 dev eth0 2>/dev/null || true
  sleep 0.2
}

cold_start multicast
cold_start unicast
