# Redis failover scenarios for scripts/bench: redvipd with its `redis { }` block beside
# keepalived with the usual recipe (vrrp_script `redis-cli ping` every 1 s, fall 2 rise 2, and
# notify_master / notify_backup running `redis-cli replicaof ...`), both at VRRPv3 advert_int
# BENCH_REDIS_ADVERT (0.1 unless set).
# A client writes one SET per ms through the VIP (tests/integration/tools/vip_writer) and reports
# the outage (longest gap between acknowledged writes) and the acknowledged writes missing on the
# final master. Needs lib/topology.sh, lib/redvipd.sh, lib/keepalived.sh, lib/redis.sh,
# lib/split_brain.sh and bench_lib.sh sourced, and hosts c, r1 r2 (redvipd), k1 k2 (keepalived)
# made with topo_host; three_nodes also needs r3 and k3.
BENCH_RVIP_REDVIPD=$BENCH_NET.210
BENCH_RVIP_KEEPALIVED=$BENCH_NET.211
BENCH_WRITE_S=7     # writer duration; the event happens BENCH_EVENT_S after it starts
BENCH_EVENT_S=1.5
BENCH_SPLIT_S=5     # split, master_isolated, backup_isolated: how long the cut lasts
BENCH_HANG_S=5      # redis_hang: how long the master's Redis is stopped (SIGSTOP)
BENCH_LINK_DOWN_S=3 # link_down: how long the master's cable is out
# short_cuts: the cuts of tests/integration/split_brain_short_cuts.sh, 5 under the master-down
# interval (~360 ms) and 5 over it, short and long alternating, each healed GAP before the next.
BENCH_SHORT_CUTS_MS="200 500 230 470 270 430 300 400 330 370"
BENCH_SHORT_CUTS_GAP_S=1.5
# After a fault ends the writer goes on this long: the return (resync, preemption, a split
# brain's merge) happens within it, so the longest gap covers failover and return alike.
BENCH_SETTLE_S=6
# The client's reply/connect timeout: a SET in flight when the VIP moves is only given up after
# it, so it is a floor of every measured outage (100 ms, as in the redis_* integration tests).
BENCH_WRITER_TIMEOUT_MS=${BENCH_WRITER_TIMEOUT_MS:-100}

# keepalived's side of the comparison: the recipe people deploy.
# REPLICAOF_ADDR: what notify_backup follows, the peer's address with two nodes. With three the
# backup cannot know which of the two others is master: it follows the VIP (a known recipe; the
# replica's link breaks when the VIP moves, and it reconnects to the new holder).
write_keepalived_redis_conf() {  # FILE NAME PRIORITY REPLICAOF_ADDR
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
    advert_int ${BENCH_REDIS_ADVERT:-0.1}
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

# bench_redis_pair IMPL [3]: sets the globals the scenario functions use. With 3, a third node C
# and the priorities of tests/integration/redis_three_nodes.sh (100, 90, 80).
bench_redis_pair() {
  if [[ $1 == redvipd ]]; then A=r1 B=r2 VIP=$BENCH_RVIP_REDVIPD; else A=k1 B=k2 VIP=$BENCH_RVIP_KEEPALIVED; fi
  IMPL=$1 C=""
  PRIO_A=150 PRIO_B=100
  [[ ${2:-2} != 3 ]] || C=${A%1}3 PRIO_A=100 PRIO_B=90 PRIO_C=80
  NODES="$A $B${C:+ $C}"
}

bench_redis_daemon_start() {  # HOST PRIORITY
  local host=$1 prio=$2 peer h peers=()
  for h in $NODES; do [[ $h == "$host" ]] || peers+=("$(bench_addr "$h")"); done
  topo_exec "$host" ip addr del "$VIP/24" dev eth0 2>/dev/null || true
  if [[ $IMPL == redvipd ]]; then
    # Its peers, the other nodes of its group: the keepalived group's hosts run no Redis while
    # redvipd's runs, and a peer that does not answer keeps a cold start from promoting (its
    # data is unknown). A split brain's yielder saves its writes since the fork and merges them
    # onto the keeper.
    REDIS_PEERS=${peers[*]} start_redvipd "$host" "$(REDIS_PEERS=${peers[*]} \
      RVD_ADVERT_INT=${BENCH_REDIS_ADVERT:-0.1} redis_node_conf \
      "$host" "$prio" "$(bench_notify_lines)" "diverged_writes_dir $TOPO_TMP/diverged-$host
        diverged_writes_merge on")"
  else
    peer=${peers[0]}
    [[ -z $C ]] || peer=$VIP  # three nodes: notify_backup follows the VIP (see above)
    write_keepalived_redis_conf "$TOPO_TMP/$host-ka.conf" "$host" "$prio" "$peer"
    start_keepalived "$host" "$TOPO_TMP/$host-ka.conf"
  fi
}
# With BENCH_REDIS_NOTIFY_SLEEP=S, redvipd's instance lines for notify, notify_master,
# notify_backup and notify_fault, each a script that sleeps S s: scripts run after a transition
# and never hold it up, so the outages must not move.
bench_notify_lines() {
  local s=${BENCH_REDIS_NOTIFY_SLEEP:-0} script=$TOPO_TMP/bench-notify.sh
  [[ $s != 0 ]] || return 0
  if [[ ! -x $script ]]; then
    printf '#!/bin/sh\necho "$(date +%%T.%%N) $*" >> %s/bench-notify.log\nexec sleep %s\n' \
      "$TOPO_TMP" "$s" > "$script"
    chmod 0755 "$script"
  fi
  printf 'notify %s\n    notify_master "%s master"\n    notify_backup "%s backup"\n    notify_fault "%s fault"\n' \
    "$script" "$script" "$script" "$script"
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

# bench_redis_up: the Redis servers and daemons from scratch; A master, the others' Redis
# following it.
bench_redis_up() {
  local h follow
  for h in $NODES; do topo_heal $h; bench_redis_server_start $h; done
  [[ -z $C ]] || bench_redis_daemon_start $C $PRIO_C
  bench_redis_daemon_start $B $PRIO_B
  bench_redis_daemon_start $A $PRIO_A
  wait_until 10 only_holder $A $NODES ||
    fail "$IMPL: $A did not become the only VIP holder: '$(vip_holders $VIP $NODES)'"
  follow=$(bench_addr $A)
  [[ $IMPL == keepalived && -n $C ]] && follow=$VIP  # its three-node recipe follows the VIP
  for h in $B $C; do
    wait_until 10 redis_follows $h "$follow" ||
      fail "$IMPL: $h's Redis does not follow $A: $(rcli $h ROLE | tr '\n' ' ')"
  done
  [[ "$(redis_info_field $A role)" == master ]] || fail "$IMPL: $A's Redis is not master"
  rcli $A SET bench:probe 1 >/dev/null
  for h in $B $C; do
    replica_keeps_up $h $A 2 || fail "$IMPL: $h's Redis does not apply $A's stream"
  done
  # The client's neighbour entry for the VIP may still name an earlier holder (the last run's,
  # or B's in the moment before A preempted), and a gratuitous ARP within a second of another
  # is ignored (neigh locktime): the writer's first writes then went nowhere for seconds
  # (seen with keepalived). Forgotten here, the writer resolves the VIP to A.
  topo_exec c ip neigh flush to "$VIP" 2>/dev/null || true
}
bench_redis_down() {
  local h
  for h in $NODES; do
    bench_redis_daemon_kill $h
    bench_redis_server_kill $h
    topo_heal $h
    topo_exec $h ip addr del "$VIP/24" dev eth0 2>/dev/null || true
  done
}

# bench_redis_once IMPL SCENARIO: one run; sets BR_OUTAGE BR_LOST BR_ACKED (three_nodes also
# BR_PROMOTED, short_cuts BR_CUTS).
bench_redis_once() {
  local scenario=$2 verify
  if [[ $scenario == three_nodes ]]; then bench_redis_pair "$1" 3; else bench_redis_pair "$1"; fi
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
  local duration=$BENCH_WRITE_S fault_s=""
  case $scenario in
    split|master_isolated|backup_isolated) fault_s=$BENCH_SPLIT_S ;;
    redis_hang) fault_s=$BENCH_HANG_S ;;
    link_down) fault_s=$BENCH_LINK_DOWN_S ;;
    short_cuts) fault_s=$(awk -v g="$BENCH_SHORT_CUTS_GAP_S" \
      '{ for (i = 1; i <= NF; i++) s += $i / 1000 + g } END { print s }' \
      <<<"$BENCH_SHORT_CUTS_MS") ;;
  esac
  [[ -z $fault_s ]] || duration=$(awk -v e="$BENCH_EVENT_S" -v f="$fault_s" -v s="$BENCH_SETTLE_S" \
    'BEGIN { print e + f + s }')
  # split: the link between A and B cut (bridge port isolation: the client reaches both) for
  # BENCH_SPLIT_S, then healed; A (priority 150) is master again at the end in both.
  [[ $scenario == split ]] && verify=$(bench_addr $A):6379
  # The newer scenarios check the acknowledged writes on whichever node holds the VIP once the
  # writer is done (the final master), not on a node named in advance: where a return ends is
  # part of what they measure.
  local acked="" wargs=(--duration "$duration" --timeout-ms "$BENCH_WRITER_TIMEOUT_MS")
  case $scenario in
    master_isolated|backup_isolated|short_cuts|redis_hang|link_down|three_nodes)
      # --events: each gap's end, to tell the failover's gap from the return's.
      acked=$TOPO_TMP/acked-$IMPL-$scenario; wargs+=(--events --acked-file "$acked") ;;
    *) wargs+=(--verify "$verify") ;;
  esac
  writer_start c "${wargs[@]}"
  sleep $BENCH_EVENT_S
  local promoted0=0 fault_end=""
  [[ $scenario == three_nodes ]] && promoted0=$(bench_redis_promotions)
  case $scenario in
    redis_killed) bench_redis_server_kill $A ;;
    node_crash|three_nodes)
      topo_cut $A
      bench_redis_daemon_kill $A
      bench_redis_server_kill $A ;;
    handover) bench_redis_daemon_term $A ;;
    switchover) bench_redis_switchover $A ;;
    split)
      split_on $A; split_on $B
      sleep "$BENCH_SPLIT_S"
      split_off $A; split_off $B ;;
    master_isolated|backup_isolated)
      # The node's port leaves the bridge (its carrier stays up, as behind a dead switch
      # uplink): it reaches no one and no one, the client included, reaches it.
      local cut=$A; [[ $scenario == backup_isolated ]] && cut=$B
      topo_isolate $cut
      sleep "$BENCH_SPLIT_S"
      topo_join $cut
      fault_end=$(clock_ms_of_day) ;;
    short_cuts) bench_redis_short_cuts ;;
    redis_hang)
      # As tests/integration/redis_hang.sh: the master's Redis frozen, its node and link fine.
      kill -STOP "$(redis_pid $A)"
      sleep "$BENCH_HANG_S"
      kill -CONT "$(redis_pid $A)"
      fault_end=$(clock_ms_of_day) ;;
    link_down)
      # As tests/integration/redis_link_return.sh: A's veth on the bridge down, A sees its
      # carrier go; then back up.
      topo_cut $A
      sleep "$BENCH_LINK_DOWN_S"
      topo_heal $A
      fault_end=$(clock_ms_of_day) ;;
    empty_return)
      bench_redis_server_start $A
      local t0 now; t0=$(now_ms)
      bench_redis_daemon_start $A $PRIO_A
      # When A holds the VIP again, and how many keys its Redis has then (0: it served empty).
      BR_BACK_MS=-1 BR_BACK_KEYS=-1
      while (( (now = $(now_ms)) - t0 < 5000 )); do
        if has_vip $A $VIP; then BR_BACK_MS=$(( now - t0 )) BR_BACK_KEYS=$(redis_keys $A); break; fi
        sleep 0.01
      done ;;
  esac
  writer_wait >/dev/null
  # The crashed A of three_nodes may keep its VIP (a crash removes nothing): only the others
  # count.
  local survivors=$NODES final=""
  [[ $scenario == three_nodes ]] && survivors="$B $C"
  if [[ -n $acked ]]; then
    local check=""
    wait_until 10 one_holder $survivors && final=$(vip_holders $VIP $survivors)
    [[ -z $final ]] || check=$(topo_exec c "$VIP_WRITER" --verify-only "$(bench_addr $final):6379" \
      --acked-file "$acked" 2>&1) || true
    # Its "verify: N ... missing (first seq S)" line: S is about ms since the writer started.
    grep '^verify:' <<<"$check" | sed "s/^/   $IMPL $scenario: /" || true
    W_LOST=$(tail -1 <<<"$check" | sed -n 's/.* lost=\([0-9-]*\).*/\1/p')
    [[ $W_LOST =~ ^[0-9]+$ ]] || {
      echo "   $IMPL $scenario: cannot verify (VIP on '$(vip_holders $VIP $survivors)'): $check" >&2
      W_LOST=-1
    }
  fi
  BR_OUTAGE=$W_OUTAGE BR_LOST=$W_LOST BR_ACKED=$W_ACKED
  local holders; holders=$(vip_holders $VIP $NODES)
  local extra=""
  [[ $scenario == empty_return ]] && extra=" back_ms=$BR_BACK_MS keys_when_back=$BR_BACK_KEYS"
  [[ -n $acked ]] && extra+=" lost_on_final_master($final)=$W_LOST"
  [[ $scenario == short_cuts ]] && extra+=" cuts_ms='${BR_CUTS# }'"
  [[ -z $fault_end ]] || extra+=" failover_gap_ms=$(max_outage_between 0 "$fault_end")\
 return_gap_ms=$(max_outage_between "$fault_end")"
  if [[ $scenario == three_nodes ]]; then
    BR_PROMOTED=$(( $(bench_redis_promotions) - promoted0 ))
    extra+=" redis_promoted=$BR_PROMOTED"
  fi
  # (the writer's own lost=-1 there: it verified nothing, the check above did)
  [[ -z $acked ]] || W_RESULT=${W_RESULT/ lost=-1 / }
  echo "   $IMPL $scenario: $W_RESULT holders='$holders'$extra"
  if [[ -n ${BENCH_REDIS_LOGS:-} ]]; then
    local tag h; tag="$BENCH_REDIS_LOGS/$IMPL-$scenario-$(now_ms)"
    mkdir -p "$BENCH_REDIS_LOGS"
    cp "$W_LOG" "$tag-writer.out"
    [[ -z $acked ]] || cp "$acked" "$tag-acked"
    for h in $NODES; do
      cp "$TOPO_TMP/$h.log" "$tag-$h.log"
      cp "$TOPO_TMP/redis-$h.log" "$tag-redis-$h.log" 2>/dev/null || true
    done
  fi
  if [[ $scenario == handover || ($scenario == switchover && $IMPL == keepalived) ]]; then
    local pid_var=PID_$A; wait "${!pid_var}" 2>/dev/null || true; eval "PID_$A="
  fi
  bench_redis_down
}

# bench_redis_promotions: how many times the Redis of B and C went from replica to master so
# far (Redis logs each REPLICAOF NO ONE that does so, whoever sent it: redvipd or a
# notify_master script).
bench_redis_promotions() {
  local h c n=0
  for h in $B $C; do
    c=$(grep -c "MASTER MODE enabled" "$TOPO_TMP/redis-$h.log" 2>/dev/null || true)
    n=$(( n + ${c:-0} ))
  done
  echo "$n"
}

# bench_redis_short_cuts: the link between A and B cut (both ports isolated; the client reaches
# both) for each of BENCH_SHORT_CUTS_MS, healed BENCH_SHORT_CUTS_GAP_S before the next. A
# `bridge` call costs tens of ms here, as much as the cuts differ by: as in
# split_brain_short_cuts.sh the heal starts as early as isolating a port just took. Sets BR_CUTS
# (the cuts as made, ms).
bench_redis_short_cuts() {
  local ms t cut heal_at left
  BR_CUTS=""
  for ms in $BENCH_SHORT_CUTS_MS; do
    split_on $A
    t=${EPOCHREALTIME/./}
    split_on $B  # the link is cut once both ports are isolated
    cut=${EPOCHREALTIME/./}
    heal_at=$(( cut + ms * 1000 - (cut - t) ))
    left=$(( heal_at - ${EPOCHREALTIME/./} ))
    (( left <= 0 )) || sleep "$(printf '%d.%06d' $(( left / 1000000 )) $(( left % 1000000 )))"
    split_off $A  # isolated ports reach no isolated port: one side off heals the link
    BR_CUTS+=" $(( (${EPOCHREALTIME/./} - cut) / 1000 ))"
    split_off $B
    sleep "$BENCH_SHORT_CUTS_GAP_S"
  done
}

# bench_redis_scenario SCENARIO RUNS: both implementations, runs interleaved; fills
# BR_RESULT["SCENARIO IMPL outage|lost|acked"] (empty_return also back_ms|back_keys,
# three_nodes also promoted).
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
      [[ $scenario == three_nodes ]] && BR_RESULT["$scenario $impl promoted"]+=" $BR_PROMOTED"
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
