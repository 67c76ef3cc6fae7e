# Redis failover scenarios for scripts/bench: redvipd with its `redis { }` block beside
# keepalived with the usual recipe (vrrp_script `redis-cli ping` every 1 s, fall 2 rise 2, and
# notify_master / notify_backup running `redis-cli replicaof ...`), both at VRRPv3 advert_int 0.1.
# A client writes one SET per ms through the VIP (tests/integration/tools/vip_writer) and reports
# the outage (longest gap between acknowledged writes) and the acknowledged writes missing on the
# final master. Needs lib/topology.sh, lib/redvipd.sh, lib/keepalived.sh, lib/redis.sh and
# bench_lib.sh sourced, and hosts c, r1 r2 (redvipd), k1 k2 (keepalived) made with topo_host.
BENCH_RVIP_REDVIPD=$BENCH_NET.210
BENCH_RVIP_KEEPALIVED=$BENCH_NET.211
BENCH_WRITE_S=7     # writer duration; the event happens BENCH_EVENT_S after it starts
BENCH_EVENT_S=1.5
BENCH_SPLIT_S=5     # split: how long the link between the nodes is cut
# The client's reply/connect timeout: a SET in flight when the VIP moves is only given up after
# it, so it is a floor of every measured outage (100 ms, as in the redis_* integration tests).
BENCH_WRITER_TIMEOUT_MS=${BENCH_WRITER_TIMEOUT_MS:-100}

# keepalived's side of the comparison: the recipe people deploy.
write_keepalived_redis_conf() {  # FILE NAME PRIORITY PEER_ADDR
  cat >"$1" <<CONF
global_defs {
    router_id $2
    enable_script_security
    script_user root
}
vrrp_script chk_redis {
    script "/usr/bin/redis-cli -h 127.0.0.1 ping"
    interval 1
    fall 2
    rise 2
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority $3
    version 3
    advert_int 0.1
    virtual_ipaddress {
        $BENCH_RVIP_KEEPALIVED/24
    }
    track_script {
        chk_redis
    }
    notify_master "/usr/bin/redis-cli -h 127.0.0.1 replicaof no one"
    notify_backup "/usr/bin/redis-cli -h 127.0.0.1 replicaof $4 6379"
}
CONF
}

# bench_redis_pair IMPL: sets the globals the scenario functions use.
bench_redis_pair() {
  if [[ $1 == redvipd ]]; then A=r1 B=r2 VIP=$BENCH_RVIP_REDVIPD; else A=k1 B=k2 VIP=$BENCH_RVIP_KEEPALIVED; fi
  IMPL=$1
}

bench_redis_daemon_start() {  # HOST PRIORITY
  local host=$1 prio=$2 peer
  [[ $host == "$A" ]] && peer=$(bench_addr "$B") || peer=$(bench_addr "$A")
  topo_exec "$host" ip addr del "$VIP/24" dev eth0 2>/dev/null || true
  if [[ $IMPL == redvipd ]]; then
    # Its one peer: the keepalived pair's hosts run no Redis while redvipd's pair runs, and a
    # peer that does not answer keeps a cold start from promoting (its data is unknown).
    # A split brain's yielder saves its writes since the fork and merges them onto the keeper.
    REDIS_PEERS=$peer start_redvipd "$host" "$(REDIS_PEERS=$peer redis_node_conf "$host" "$prio" "" "diverged_writes_dir $TOPO_TMP/diverged-$host
        diverged_writes_merge on")"
  else
    write_keepalived_redis_conf "$TOPO_TMP/$host-ka.conf" "$host" "$prio" "$peer"
    start_keepalived "$host" "$TOPO_TMP/$host-ka.conf"
  fi
}
bench_redis_daemon_kill() {  # HOST: SIGKILL, no goodbye advert
  local pid_var=PID_$1
  [[ -n ${!pid_var:-} ]] || return 0
  if [[ $IMPL == keepalived ]]; then crash_keepalived "$1"; else
    kill -KILL "${!pid_var}" 2>/dev/null || true; wait "${!pid_var}" 2>/dev/null || true
  fi
  eval "PID_$1="
}
bench_redis_daemon_term() {  # HOST: SIGTERM (redvipd: planned handover; keepalived: plain stop)
  local pid_var=PID_$1
  kill -TERM "${!pid_var}" 2>/dev/null || true
}
# HOST: a planned switchover on a running master. redvipd: `redvipctl handover` (the node stays up
# as a replica); keepalived has none: its planned stop (SIGTERM) is what operators do instead.
bench_redis_switchover() {
  if [[ $IMPL == redvipd ]]; then
    "$REDVIPCTL" -s "$(node_sock "$1")" handover >/dev/null || echo "   redvipctl handover on $1 failed" >&2
  else
    bench_redis_daemon_term "$1"
  fi
}
bench_redis_server_start() {  # HOST
  redis_wipe "$1"
  redis_start "$1"
}
bench_redis_server_kill() {  # HOST
  local p; p=$(redis_pid "$1")
  [[ -n $p ]] || return 0
  kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
  eval "RPID_$1="
}

# bench_redis_up: both Redis servers and daemons from scratch; A master, B's Redis following it.
bench_redis_up() {
  topo_heal $A; topo_heal $B
  bench_redis_server_start $A
  bench_redis_server_start $B
  bench_redis_daemon_start $B 100
  bench_redis_daemon_start $A 150
  wait_until 10 only_holder $A $A $B || fail "$IMPL: $A did not become the only VIP holder: '$(vip_holders $VIP $A $B)'"
  wait_until 10 redis_follows $B "$(bench_addr $A)" ||
    fail "$IMPL: $B's Redis does not follow $A: $(rcli $B ROLE | tr '\n' ' ')"
  [[ "$(redis_info_field $A role)" == master ]] || fail "$IMPL: $A's Redis is not master"
  rcli $A SET bench:probe 1 >/dev/null
  replica_keeps_up $B $A 2 || fail "$IMPL: $B's Redis does not apply $A's stream"
}
bench_redis_down() {
  local h
  for h in $A $B; do
    bench_redis_daemon_kill $h
    bench_redis_server_kill $h
    topo_heal $h
    topo_exec $h ip addr del "$VIP/24" dev eth0 2>/dev/null || true
  done
}

# bench_redis_once IMPL SCENARIO: one run; sets BR_OUTAGE BR_LOST BR_ACKED.
bench_redis_once() {
  bench_redis_pair "$1"
  local scenario=$2 verify
  bench_redis_up
  verify=$(bench_addr $B):6379
  if [[ $scenario == empty_return ]]; then
    # A crashes, B takes over; A then comes back with an empty Redis while the client writes.
    bench_redis_daemon_kill $A; bench_redis_server_kill $A
    wait_until 5 has_vip $B $VIP || fail "$IMPL: $B did not take the VIP from the crashed $A"
    topo_exec $A ip addr del "$VIP/24" dev eth0 2>/dev/null || true  # what the crash left behind
    wait_until 5 only_holder $B $A $B || fail "$IMPL: $B did not take over from the crashed $A"
    verify=$(bench_addr $A):6379
  fi
  local duration=$BENCH_WRITE_S
  if [[ $scenario == split ]]; then
    # The link between A and B cut (bridge port isolation: the client reaches both) for
    # BENCH_SPLIT_S, then healed; A (priority 150) is master again at the end in both.
    duration=$(awk -v e="$BENCH_EVENT_S" -v s="$BENCH_SPLIT_S" 'BEGIN { print e + s + 6 }')
    verify=$(bench_addr $A):6379
  fi
  writer_start c --duration "$duration" --timeout-ms "$BENCH_WRITER_TIMEOUT_MS" --verify "$verify"
  sleep $BENCH_EVENT_S
  case $scenario in
    redis_killed) bench_redis_server_kill $A ;;
    node_crash)
      topo_cut $A
      bench_redis_daemon_kill $A
      bench_redis_server_kill $A ;;
    handover) bench_redis_daemon_term $A ;;
    switchover) bench_redis_switchover $A ;;
    split)
      ip netns exec "$TOPO_LAN" bridge link set dev "p$A" isolated on
      ip netns exec "$TOPO_LAN" bridge link set dev "p$B" isolated on
      sleep "$BENCH_SPLIT_S"
      ip netns exec "$TOPO_LAN" bridge link set dev "p$A" isolated off
      ip netns exec "$TOPO_LAN" bridge link set dev "p$B" isolated off ;;
    empty_return)
      bench_redis_server_start $A
      local t0 now; t0=$(now_ms)
      bench_redis_daemon_start $A 150
      # When A holds the VIP again, and how many keys its Redis has then (0: it served empty).
      BR_BACK_MS=-1 BR_BACK_KEYS=-1
      while (( (now = $(now_ms)) - t0 < 5000 )); do
        if has_vip $A $VIP; then BR_BACK_MS=$(( now - t0 )) BR_BACK_KEYS=$(redis_keys $A); break; fi
        sleep 0.01
      done ;;
  esac
  writer_wait >/dev/null
  BR_OUTAGE=$W_OUTAGE BR_LOST=$W_LOST BR_ACKED=$W_ACKED
  local holders; holders=$(vip_holders $VIP $A $B)
  local extra=""
  [[ $scenario == empty_return ]] && extra=" back_ms=$BR_BACK_MS keys_when_back=$BR_BACK_KEYS"
  echo "   $IMPL $scenario: $W_RESULT holders='$holders'$extra"
  if [[ -n ${BENCH_REDIS_LOGS:-} ]]; then
    local tag; tag="$BENCH_REDIS_LOGS/$IMPL-$scenario-$(now_ms)"
    mkdir -p "$BENCH_REDIS_LOGS"
    cp "$TOPO_TMP/$A.log" "$tag-$A.log"; cp "$TOPO_TMP/$B.log" "$tag-$B.log"; cp "$W_LOG" "$tag-writer.out"
    cp "$TOPO_TMP/redis-$A.log" "$tag-redis-$A.log" 2>/dev/null || true
    cp "$TOPO_TMP/redis-$B.log" "$tag-redis-$B.log" 2>/dev/null || true
  fi
  if [[ $scenario == handover || ($scenario == switchover && $IMPL == keepalived) ]]; then
    local pid_var=PID_$A; wait "${!pid_var}" 2>/dev/null || true; eval "PID_$A="
  fi
  bench_redis_down
}

# bench_redis_scenario SCENARIO RUNS: both implementations, runs interleaved; fills
# BR_RESULT["SCENARIO IMPL outage|lost|acked"] (empty_return also back_ms|back_keys).
declare -A BR_RESULT
bench_redis_scenario() {
  local scenario=$1 runs=$2 run impl
  echo "-- redis scenario $scenario"
  for (( run = 1; run <= runs; run++ )); do
    for impl in redvipd keepalived; do
      bench_redis_once $impl "$scenario"
      BR_RESULT["$scenario $impl outage"]+=" $BR_OUTAGE"
      BR_RESULT["$scenario $impl lost"]+=" $BR_LOST"
      BR_RESULT["$scenario $impl acked"]+=" $BR_ACKED"
      [[ $scenario == empty_return ]] || continue
      BR_RESULT["$scenario $impl back_ms"]+=" $BR_BACK_MS"
      BR_RESULT["$scenario $impl back_keys"]+=" $BR_BACK_KEYS"
    done
  done
}

# bench_redis_cpu SECONDS: redvipd pair with Redis checks every 0.05 s, then keepalived pair with
# its script every 1 s (keepalived = parent + VRRP child + the scripts it forked, cutime/cstime).
# Fills BENCH_REDIS_CPU ("name cpu_pct").
bench_redis_cpu() {
  local seconds=$1 impl h hz; hz=$(getconf CLK_TCK)
  BENCH_REDIS_CPU=()
  for impl in redvipd keepalived; do
    bench_redis_pair $impl
    bench_redis_up
    sleep 1
    declare -A pids=() t0=()
    local pid_var p sum start_ns end_ns
    for h in $A $B; do
      pid_var=PID_$h
      if [[ $impl == redvipd ]]; then pids[$h]=${!pid_var}; else pids[$h]="${!pid_var} $(keepalived_vrrp_pid $h)"; fi
      sum=0; for p in ${pids[$h]}; do sum=$(( sum + $(proc_ticks_all $p) )); done; t0[$h]=$sum
    done
    start_ns=$(date +%s%N)
    sleep "$seconds"
    end_ns=$(date +%s%N)
    for h in $A $B; do
      sum=0; for p in ${pids[$h]}; do sum=$(( sum + $(proc_ticks_all $p) )); done
      BENCH_REDIS_CPU+=("$impl-$([[ $h == "$A" ]] && echo master || echo backup) \
$(awk -v t=$(( sum - t0[$h] )) -v hz="$hz" -v ns=$(( end_ns - start_ns )) 'BEGIN { printf "%.2f", t / hz / (ns / 1e9) * 100 }')")
    done
    bench_redis_down
  done
}
# utime + stime + cutime + cstime: keepalived's scripts are children of its VRRP process.
proc_ticks_all() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"; }
