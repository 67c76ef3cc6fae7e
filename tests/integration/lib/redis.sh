# Redis nodes behind redvipd in topology hosts, and the vip_writer client.
# Source after lib/topology.sh and lib/redvipd.sh.
#
#   redis_start n1 [redis-server args...]   # port 6379 on 0.0.0.0, no persistence, files in $TOPO_TMP
#   redis_kill n1                           # SIGKILL
#   redis_wipe n1                           # delete what a replica's full sync left on disk
#   rcli n1 ROLE                            # redis-cli in the host (REDIS_CLI_AUTH for auth args)
#   redis_node_conf n1 150 [extra instance lines] [extra redis lines]  -> prints the config path
#   writer_start c --duration 8 --verify 10.77.0.2   ;  writer_wait  -> sets W_ACKED W_OUTAGE W_LOST
require_cmd redis-server redis-cli
VIP=${VIP:-10.77.0.200}
VIP_WRITER="$REDVIP_BUILD_DIR/tests/integration/vip_writer"
REDIS_CLI_AUTH=()

redis_start() {
  local host=$1; shift
  local dir="$TOPO_TMP/redis-$host"
  mkdir -p "$dir"
  topo_spawn "$host" "$TOPO_TMP/redis-$host.out" redis-server --port 6379 --bind 0.0.0.0 \
    --save '' --appendonly no --protected-mode no --daemonize no \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$TOPO_TMP/redis-$host.log" \
    --repl-diskless-sync-delay 0 "$@"
  eval "RPID_$host=$TOPO_LAST_PID"
  wait_until 5 rcli "$host" PING || fail "redis-server on $host did not start"
}

redis_pid() { local v="RPID_$1"; echo "${!v}"; }
redis_kill() { kill -KILL "$(redis_pid "$1")" 2>/dev/null || true; }
# A replica saves the RDB of its full sync as dump.rdb even with `save ''`; an empty restart
# needs it gone.
redis_wipe() { rm -f "$TOPO_TMP/redis-$1"/*.rdb; }

rcli() { local host=$1; shift; topo_exec "$host" redis-cli --no-auth-warning "${REDIS_CLI_AUTH[@]}" -h 127.0.0.1 -p 6379 "$@"; }
redis_role() { rcli "$1" ROLE 2>/dev/null | head -1; }
redis_keys() { rcli "$1" DBSIZE 2>/dev/null; }
redis_info_field() { rcli "$1" INFO replication 2>/dev/null | tr -d '\r' | awk -F: -v f="$2" '$1==f {print $2}'; }
# redis_follows HOST MASTER_IP: a replica of MASTER_IP with the link up.
redis_follows() {
  [[ "$(redis_info_field "$1" role)" == slave && "$(redis_info_field "$1" master_host)" == "$2" &&
     "$(redis_info_field "$1" master_link_status)" == up ]]
}

# The redis block's peers of HOST (redvipd follows, asks and catches up with no one else):
# REDIS_PEERS when set ("-": none, the instance's unicast_peer stands for them), else the eth0
# IPv4 address of every other host of the topology but the client c.
redis_peers() {
  if [[ -n ${REDIS_PEERS:-} ]]; then [[ $REDIS_PEERS == - ]] || echo "$REDIS_PEERS"; return; fi
  local h a out=()
  for h in "${TOPO_HOSTS[@]}"; do
    [[ $h == "$1" || $h == c ]] && continue
    a=$(ip -n "$(topo_ns "$h")" -4 -o addr show dev eth0 2>/dev/null | awk '{split($4, p, "/"); print p[1]; exit}')
    [[ -n $a ]] && out+=("$a")
  done
  echo "${out[*]}"
}

# redis_node_conf HOST PRIORITY [extra instance lines] [extra redis-block lines]
redis_node_conf() {
  local host=$1 prio=$2 extra=${3:-} rextra=${4:-} peers
  peers=$(redis_peers "$host")
  # One address a line, as in unicast_peer.
  [[ -z $peers ]] || rextra="peers {
            ${peers// /$'\n'            }
        }
        $rextra"
  cat >"$TOPO_TMP/$host.conf" <<CONF
redvip_defs {
    control_socket $(node_sock "$host")
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $prio
    version 3
    advert_int ${RVD_ADVERT_INT:-0.1}
    $extra
    virtual_ipaddress {
        $VIP/24
    }
    redis {
        address 127.0.0.1 6379
        peer_port 6379
        check_interval 0.05
        check_timeout 0.1
        fall 2
        rise 2
        handover_timeout 2
        $rextra
    }
}
CONF
  echo "$TOPO_TMP/$host.conf"
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
only_holder() { [[ "$(vip_holders $VIP "${@:2}")" == "$1" ]]; }
one_holder() { [[ "$(vip_holders $VIP "$@" | wc -w)" -eq 1 ]]; }

# writer_start HOST [vip_writer args]: writes to the VIP from HOST in the background.
writer_start() {
  local host=$1; shift
  W_LOG="$TOPO_TMP/writer-$host-$(now_ms).out"
  topo_spawn "$host" "$W_LOG" "$VIP_WRITER" --target "$VIP:6379" "$@"
  W_PID=$TOPO_LAST_PID
}

# writer_wait: waits for the writer; W_ACKED, W_OUTAGE, W_LOST, W_RESULT from its RESULT line.
writer_wait() {
  local rc=0
  wait "$W_PID" || rc=$?
  W_RESULT=$(grep '^RESULT' "$W_LOG" | tail -1)
  [[ -n "$W_RESULT" ]] || { cat "$W_LOG" >&2; fail "vip_writer printed no RESULT (exit $rc)"; }
  W_ACKED=$(sed -n 's/.* acked=\([0-9-]*\).*/\1/p' <<<"$W_RESULT")
  W_OUTAGE=$(sed -n 's/.* outage_ms=\([0-9-]*\).*/\1/p' <<<"$W_RESULT")
  W_LOST=$(sed -n 's/.* lost=\([0-9-]*\).*/\1/p' <<<"$W_RESULT")
  grep -v '^RESULT' "$W_LOG" | tail -3 | sed 's/^/  writer: /'
}

# replica_keeps_up REPLICA MASTER_HOST [TIMEOUT_S]: the replica reaches the master's current
# offset quickly (the stream is flowing, not merely "link up": a replica left under CLIENT PAUSE
# keeps its link but applies nothing).
replica_keeps_up() {
  local target; target=$(redis_info_field "$2" master_repl_offset)
  _ahead() { local o; o=$(redis_info_field "$1" slave_repl_offset); [[ -n "$o" ]] && (( o >= $2 )); }
  wait_until "${3:-1}" _ahead "$1" "$target"
}

# Two nodes and a client: n1 10.77.0.1 (priority 150), n2 10.77.0.2 (100), c 10.77.0.9.
# Starts both Redis servers and redvipds and waits until n1 is master and n2 follows it.
two_nodes_up() {
  topo_host n1 10.77.0.1
  topo_host n2 10.77.0.2
  topo_host c 10.77.0.9
  redis_start n1 "$@"
  redis_start n2 "$@"
  start_redvipd n1 "$(redis_node_conf n1 150 "${RVD_INSTANCE_EXTRA:-}" "${RVD_REDIS_EXTRA:-}")"
  start_redvipd n2 "$(redis_node_conf n2 100 "${RVD_INSTANCE_EXTRA:-}" "${RVD_REDIS_EXTRA:-}")"
  wait_until 10 only_holder n1 n1 n2 || fail "n1 did not become the only VIP holder: '$(vip_holders $VIP n1 n2)'"
  wait_until 10 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1: role=$(redis_info_field n2 role) master_host=$(redis_info_field n2 master_host) link=$(redis_info_field n2 master_link_status)"
  [[ "$(redis_info_field n1 role)" == master ]] || fail "n1's Redis is not master"
  rcli n1 SET rft:probe 1 >/dev/null
  replica_keeps_up n2 n1 1 || fail "n2's Redis is linked to n1 but does not apply its stream (offset $(redis_info_field n2 slave_repl_offset) of $(redis_info_field n1 master_repl_offset)); paused? $(grep -E 'caught up|promot' "$TOPO_TMP/n1.log" | tail -2 | tr '\n' ' ')"
}

# Wall-clock milliseconds since midnight, as the writer's --events lines print them.
ms_of_day() { local t=$1; echo $(( (10#${t:0:2} * 3600 + 10#${t:3:2} * 60 + 10#${t:6:2}) * 1000 + 10#${t:9:3} )); }
clock_ms_of_day() { ms_of_day "$(date +%H:%M:%S.%3N)"; }
# settled_after_return WHEN ACKED_FILE: after a fault on n1 and its return: exactly one VIP
# holder ($holders) whose Redis is master, the other ($other) following it; the acknowledged
# writes in ACKED_FILE verified on that master ($W_LOST, must be 0); n1's last promotion lines
# shown. WHEN names the moment in failure messages ("after n1 resumed").
# verify_acked_on HOST ACKED_FILE [PREFIX]: the keys a writer saved with --acked-file (written
# with --prefix PREFIX) looked up on HOST's Redis (n1, n2, ...); sets ACKED (how many), LOST (how
# many are missing there; -1 when it could not be checked) and VERIFIED (the RESULT line).
verify_acked_on() {
  VERIFIED=$(topo_exec c "$VIP_WRITER" --verify-only "10.77.0.${1#n}:6379" --acked-file "$2" \
    ${3:+--prefix "$3"} | tail -1)
  LOST=$(sed -n 's/.* lost=\([0-9-]*\).*/\1/p' <<<"$VERIFIED")
  LOST=${LOST:--1}
  ACKED=$(sed -n 's/.*acked=\([0-9]*\).*/\1/p' <<<"$VERIFIED")
}

settled_after_return() {
  local when=$1 acked=$2
  holders=$(vip_holders $VIP n1 n2)
  [[ "$holders" == n1 || "$holders" == n2 ]] || fail "VIP holders $when: '$holders'"
  other=n1; [[ $holders == n1 ]] && other=n2
  r_m=$(redis_role "$holders"); r_o=$(redis_role "$other")
  [[ "$r_m" == master && "$r_o" == slave ]] || fail "roles $when: $holders=$r_m $other=$r_o"
  redis_follows "$other" "10.77.0.${holders#n}" || fail "$other's Redis does not follow the VIP holder $holders"
  verify_acked_on "$holders" "$acked"
  W_LOST=$LOST
  grep -E "may be promoted|caught up|not close|did not catch up|promotion failed" "$TOPO_TMP/n1.log" |
    tail -4 | sed 's/^/  n1: /'
  (( W_LOST >= 0 )) || fail "could not verify on $holders"
  (( W_LOST == 0 )) || fail "lost $W_LOST acknowledged writes"
}

# max_outage_between FROM [TO]: the longest gap without an acknowledged write (a writer run with
# --events) among those that ended at or after ms-of-day FROM and before TO (default: any time
# after); 0 when none.
max_outage_between() {
  local since=$1 until=${2:-99999999} t rest at g gap=0
  while read -r t _ rest; do
    [[ "$rest" == "writes resumed after "* ]] || continue
    at=$(ms_of_day "$t")
    (( at >= since && at < until )) || continue
    g=$(sed -n 's/writes resumed after \([0-9]*\) ms.*/\1/p' <<<"$rest")
    (( g > gap )) && gap=$g
  done < <(grep 'writer: ' "$W_LOG")
  echo "$gap"
}

# figures NAME: the one line the lead quotes.
figures() { echo "FIGURES $1: outage_ms=$W_OUTAGE acked=$W_ACKED lost=$W_LOST ${2:-}"; }
