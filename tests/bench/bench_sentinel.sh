# Redis Sentinel's planned switchover for scripts/bench, measured as the Redis scenario
# `switchover` measures redvipd's `redvipctl handover` and keepalived's planned stop: a client
# (tests/integration/tools/vip_writer, here as a Sentinel client: --sentinel, asking a Sentinel
# for the master on every (re)connect, as Sentinel has no VIP) writes one SET per ms; after
# BENCH_EVENT_S `SENTINEL FAILOVER mymaster` is sent to one Sentinel; outage = the writer's
# longest gap between acknowledged writes, lost = acknowledged writes missing on the final master
# (the one the three Sentinels name once the writer is done).
#
# Layout: two Redis servers, s1 (master at the start) and s2 (its replica), each with a Sentinel
# beside it, and a third Sentinel on the client host c: three Sentinels on three hosts, quorum 2,
# Sentinel's documented layout for two Redis servers (a Sentinel on each Redis box and one on the
# application's box), and no host beyond the one Redis server each that the other scenarios use.
# The writer asks the Sentinel on c (its own host; one round trip on the LAN per connect).
# SENTINEL FAILOVER needs no quorum nor vote; the quorum matters only for a real failure.
#
# Needs lib/topology.sh, lib/redvipd.sh, lib/redis.sh, bench_lib.sh and bench_redis.sh sourced
# (BENCH_WRITE_S, BENCH_EVENT_S, BENCH_WRITER_TIMEOUT_MS, BR_RESULT) and host c made with
# topo_host; hosts s1 and s2 are made here on first use, at $BENCH_NET.31 and .32 (bench_addr
# names only scripts/bench's own hosts). Sentinel runs as `redis-server CONF --sentinel` (what the
# redis-sentinel binary is), so no package beyond redis-server is needed.
#
# Two kinds of Sentinel client, runs interleaved (BENCH_SENTINEL_CLIENTS, default both):
#   plain:  moves only when a write fails (a -READONLY, a reset), then asks again (redis-py);
#   events: also subscribed to the Sentinel's +switch-master, reconnects on it (Jedis, Lettuce,
#           go-redis): vip_writer --sentinel-events.
#
#   bench_sentinel_switchover RUNS  # fills BR_RESULT["switchover sentinel outage|lost|acked"]
#                                   # (plain) and ["switchover sentinel_events ..."] (events)
#   bench_sentinel_report           # a line per client: outage and lost, median (min..max)
BENCH_SENTINEL_NAME=mymaster
BENCH_SENTINEL_PORT=26379
# down-after-milliseconds: when a Sentinel calls a silent master subjectively down (default 30 s).
# SENTINEL FAILOVER does not wait for it; 1000 ms is a common aggressive production value and
# keeps an unplanned failover from starting by mistake during the run. failover-timeout (default
# 3 min): the failover's deadline for promotion and replica reconfiguration and twice it the delay
# before the same master is failed over again; fresh Sentinels each run, so only the deadline
# matters here, and 10 s is far above what a two-node switchover takes.
BENCH_SENTINEL_DOWN_AFTER_MS=1000
BENCH_SENTINEL_FAILOVER_TIMEOUT_MS=10000
BENCH_SENTINEL_CLIENTS=${BENCH_SENTINEL_CLIENTS:-"plain events"}
declare -gA BR_RESULT

bench_sentinel_addr() {
  case $1 in s1) echo $BENCH_NET.31 ;; s2) echo $BENCH_NET.32 ;; c) echo $BENCH_NET.100 ;; esac
}

# bench_sentinel_hosts: s1 and s2, unless they exist already (a second call).
bench_sentinel_hosts() {
  local h
  for h in s1 s2; do
    [[ " ${TOPO_HOSTS[*]} " == *" $h "* ]] || topo_host $h "$(bench_sentinel_addr $h)"
  done
}

# scli HOST ARGS...: redis-cli to the Sentinel on HOST.
scli() { local host=$1; shift; topo_exec "$host" redis-cli -h 127.0.0.1 -p $BENCH_SENTINEL_PORT "$@"; }

# bench_sentinel_start HOST: a Sentinel in HOST from a fresh config (Sentinel rewrites its config
# file with what it learns: replicas, other Sentinels, epochs; none of that may carry over).
bench_sentinel_start() {
  local host=$1 conf="$TOPO_TMP/sentinel-$1.conf"
  cat >"$conf" <<CONF
port $BENCH_SENTINEL_PORT
bind 0.0.0.0
protected-mode no
daemonize no
dir $TOPO_TMP
logfile $TOPO_TMP/sentinel-$host.log
sentinel announce-ip $(bench_sentinel_addr "$host")
sentinel monitor $BENCH_SENTINEL_NAME $(bench_sentinel_addr s1) 6379 2
sentinel down-after-milliseconds $BENCH_SENTINEL_NAME $BENCH_SENTINEL_DOWN_AFTER_MS
sentinel failover-timeout $BENCH_SENTINEL_NAME $BENCH_SENTINEL_FAILOVER_TIMEOUT_MS
sentinel parallel-syncs $BENCH_SENTINEL_NAME 1
CONF
  topo_spawn "$host" "$TOPO_TMP/sentinel-$host.out" redis-server "$conf" --sentinel
  eval "SPID_$host=$TOPO_LAST_PID"
}
bench_sentinel_stop() {  # HOST
  local v=SPID_$1
  [[ -n ${!v:-} ]] || return 0
  kill -KILL "${!v}" 2>/dev/null || true; wait "${!v}" 2>/dev/null || true
  eval "SPID_$1="
}

# A field of `SENTINEL master mymaster` as HOST's Sentinel reports it.
bench_sentinel_field() {
  scli "$1" SENTINEL master $BENCH_SENTINEL_NAME 2>/dev/null |
    awk -v f="$2" 'prev == f { print; exit } { prev = $0 }'
}
# The master's address as HOST's Sentinel names it ("IP:PORT"), empty when it cannot say.
bench_sentinel_master() {
  scli "$1" SENTINEL get-master-addr-by-name $BENCH_SENTINEL_NAME 2>/dev/null | paste -sd: -
}
# Ready for a switchover: every Sentinel knows the replica (its link to the master up, as
# Sentinel sees it) and the two other Sentinels, and names s1 the master.
bench_sentinel_ready() {
  local h
  for h in s1 s2 c; do
    [[ "$(bench_sentinel_master $h)" == "$(bench_sentinel_addr s1):6379" &&
       "$(bench_sentinel_field $h num-slaves)" == 1 &&
       "$(bench_sentinel_field $h num-other-sentinels)" == 2 &&
       "$(bench_sentinel_field $h flags)" == master ]] || return 1
    scli $h SENTINEL replicas $BENCH_SENTINEL_NAME 2>/dev/null | tr -d '\r' |
      awk 'prev == "flags" { f = $0 } prev == "master-link-status" { l = $0 } { prev = $0 }
           END { exit !(f == "slave" && l == "ok") }' || return 1
  done
}
# The three Sentinels agree on the master (after the switchover): prints it, else fails.
bench_sentinel_agreed() {
  local a b c
  a=$(bench_sentinel_master s1) b=$(bench_sentinel_master s2) c=$(bench_sentinel_master c)
  [[ -n $a && $a == "$b" && $a == "$c" ]] || return 1
  echo "$a"
}

bench_sentinel_up() {
  local h
  for h in s1 s2; do topo_heal $h; redis_wipe $h; done
  redis_start s1
  redis_start s2 --replicaof "$(bench_sentinel_addr s1)" 6379
  wait_until 10 redis_follows s2 "$(bench_sentinel_addr s1)" ||
    fail "sentinel: s2's Redis does not follow s1: $(rcli s2 ROLE | tr '\n' ' ')"
  for h in s1 s2 c; do bench_sentinel_start $h; done
  # Hellos every 2 s, replica discovery from the master's INFO: a few seconds.
  wait_until 20 bench_sentinel_ready ||
    fail "sentinel: not ready: $(for h in s1 s2 c; do echo "$h: master=$(bench_sentinel_master $h) \
replicas=$(bench_sentinel_field $h num-slaves) sentinels=$(bench_sentinel_field $h num-other-sentinels) \
flags=$(bench_sentinel_field $h flags);"; done)"
  rcli s1 SET bench:probe 1 >/dev/null
  replica_keeps_up s2 s1 2 || fail "sentinel: s2's Redis does not apply s1's stream"
}
bench_sentinel_down() {
  local h p
  for h in s1 s2 c; do bench_sentinel_stop $h; done
  for h in s1 s2; do
    p=$(redis_pid $h)
    [[ -n $p ]] || continue
    kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
    eval "RPID_$h="
  done
}

# bench_sentinel_once CLIENT (plain|events): one run; sets BR_OUTAGE BR_LOST BR_ACKED.
bench_sentinel_once() {
  local client=$1 extra=()
  [[ $client == events ]] && extra=(--sentinel-events)
  bench_sentinel_up
  local acked; acked=$TOPO_TMP/acked-sentinel-$(now_ms)
  W_LOG="$TOPO_TMP/writer-sentinel-$(now_ms).out"
  topo_spawn c "$W_LOG" "$VIP_WRITER" \
    --sentinel "$(bench_sentinel_addr c):$BENCH_SENTINEL_PORT" --master-name $BENCH_SENTINEL_NAME "${extra[@]}" \
    --duration "$BENCH_WRITE_S" --timeout-ms "$BENCH_WRITER_TIMEOUT_MS" --events --acked-file "$acked"
  W_PID=$TOPO_LAST_PID
  sleep $BENCH_EVENT_S
  local reply; reply=$(scli c SENTINEL FAILOVER $BENCH_SENTINEL_NAME 2>&1) || true
  [[ $reply == OK ]] || echo "   SENTINEL FAILOVER on c: $reply" >&2
  writer_wait >/dev/null
  # The final master: the one all three Sentinels name once the writer is done.
  local final="" check=""
  wait_until 10 bench_sentinel_agreed && final=$(bench_sentinel_agreed)
  [[ -z $final ]] || check=$(topo_exec c "$VIP_WRITER" --verify-only "$final" \
    --acked-file "$acked" 2>&1 | tail -1) || true
  W_LOST=$(sed -n 's/.* lost=\([0-9-]*\).*/\1/p' <<<"$check")
  [[ $W_LOST =~ ^[0-9]+$ ]] || {
    echo "   sentinel switchover: cannot verify (Sentinels name '$(bench_sentinel_master s1)'" \
      "'$(bench_sentinel_master s2)' '$(bench_sentinel_master c)'): $check" >&2
    W_LOST=-1
  }
  BR_OUTAGE=$W_OUTAGE BR_LOST=$W_LOST BR_ACKED=$W_ACKED
  W_RESULT=${W_RESULT/ lost=-1 / }  # the writer verified nothing; the check above did
  echo "   sentinel ($client client) switchover: $W_RESULT lost_on_final_master($final)=$W_LOST" \
    "roles: s1=$(redis_role s1) s2=$(redis_role s2)"
  grep '^sentinel:' "$W_LOG" | sed 's/^/     writer /' || true
  if [[ -n ${BENCH_REDIS_LOGS:-} ]]; then
    local tag h; tag="$BENCH_REDIS_LOGS/sentinel-$client-switchover-$(now_ms)"
    mkdir -p "$BENCH_REDIS_LOGS"
    cp "$W_LOG" "$tag-writer.out"
    for h in s1 s2 c; do cp "$TOPO_TMP/sentinel-$h.log" "$tag-sentinel-$h.log" 2>/dev/null || true; done
    for h in s1 s2; do cp "$TOPO_TMP/redis-$h.log" "$tag-redis-$h.log" 2>/dev/null || true; done
  fi
  bench_sentinel_down
}

# bench_sentinel_switchover RUNS: fills BR_RESULT["switchover sentinel outage|lost|acked"].
bench_sentinel_switchover() {
  local runs=$1 run client key
  require_cmd redis-server redis-cli
  bench_sentinel_hosts
  echo "-- redis scenario switchover, Sentinel (SENTINEL FAILOVER; the client asks Sentinel)"
  for (( run = 1; run <= runs; run++ )); do
    for client in $BENCH_SENTINEL_CLIENTS; do
      key=sentinel; [[ $client == plain ]] || key=sentinel_$client
      bench_sentinel_once "$client"
      BR_RESULT["switchover $key outage"]+=" $BR_OUTAGE"
      BR_RESULT["switchover $key lost"]+=" $BR_LOST"
      BR_RESULT["switchover $key acked"]+=" $BR_ACKED"
    done
  done
}

bench_sentinel_report() {
  local client key
  for client in $BENCH_SENTINEL_CLIENTS; do
    key=sentinel; [[ $client == plain ]] || key=sentinel_$client
    echo "switchover $key: outage $(bench_fmt "$(bench_stats ${BR_RESULT["switchover $key outage"]})") ms," \
      "lost $(bench_fmt "$(bench_stats ${BR_RESULT["switchover $key lost"]})")"
  done
}
