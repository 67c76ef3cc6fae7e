#!/bin/bash
# The agent's Redis client against real redis-server processes on loopback: a SIGSTOPped
# server (timer lateness, detection time), AUTH with requirepass and an ACL user, role
# changes between two servers, pause + caught up, a real LOADING state, the cold-start
# peer data check, and the CPU cost of checks every 50 ms.
set -euo pipefail

source "$(dirname "$0")/lib/topology.sh"
topo_init rcl
require_cmd redis-server redis-cli
# Everything on the loopback of a namespace of our own: fixed ports never meet another test's.
topo_netns r
NS=$(topo_ns r)
in_ns() { ip netns exec "$NS" "$@"; }
TOOL=$TOPO_TOOLS/redis_client_tool
DIR=$TOPO_TMP
redis-cli() { in_ns redis-cli "$@"; }  # ip netns exec runs the program, not this function
tool() { in_ns "$TOOL" "$@"; }

# start_redis PORT [extra redis-server args...]; sets REDIS_PID.
start_redis() {
  local port=$1; shift
  mkdir -p "$DIR/$port"
  netns_bg "$NS" redis-server --port "$port" --bind 127.0.0.1 --dir "$DIR/$port" --pidfile "$DIR/$port.pid" \
    --logfile "$DIR/$port.log" --save "" --appendonly no --daemonize no "$@"
  REDIS_PID=$TOPO_LAST_PID
  for _ in $(seq 100); do
    redis-cli -p "$port" --no-auth-warning ${REDVIP_TEST_CLI_AUTH:-} ping 2>/dev/null | grep -q -e PONG -e NOAUTH -e LOADING && return 0
    sleep 0.05
  done
  echo "redis-server on $port did not start"; cat "$DIR/$port.log"; exit 1
}
stop_redis() {  # PID
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

echo "== SIGSTOP: checks time out, timers stay on time"
start_redis 21711
tool hang 21711 "$REDIS_PID"
stop_redis "$REDIS_PID"

echo "== AUTH: requirepass (default user) and an ACL user"
PW=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export REDVIP_TEST_REDIS_PASSWORD=$PW
# The password goes to redis through a config file, never a command line.
printf 'requirepass %s\nuser alice on >%s ~* &* +@all\n' "$PW" "$PW" > "$DIR/auth.conf"
chmod 600 "$DIR/auth.conf"
mkdir -p "$DIR/21712"
netns_bg "$NS" redis-server "$DIR/auth.conf" --port 21712 --bind 127.0.0.1 --dir "$DIR/21712" --save "" \
  --logfile "$DIR/21712.log"
AUTH_PID=$TOPO_LAST_PID
for _ in $(seq 100); do redis-cli -p 21712 ping 2>/dev/null | grep -q NOAUTH && break; sleep 0.05; done
tool auth 21712 -
tool auth 21712 alice
stop_redis "$AUTH_PID"
unset REDVIP_TEST_REDIS_PASSWORD

echo "== roles: follow, sync judged complete, pause + caught up, kill clients, promote"
start_redis 21713 --repl-diskless-sync-delay 0; M_PID=$REDIS_PID
start_redis 21714; R_PID=$REDIS_PID
redis-cli -p 21713 mset a 1 b 2 c 3 >/dev/null
tool roles 21713 21714

echo "== cold-start peer data check"
tool peer 21714 data      # the promoted one holds rds:key and more
start_redis 21715; E_PID=$REDIS_PID
tool peer 21715 empty
redis-cli -p 21715 -n 3 set only-in-db3 1 >/dev/null
tool peer 21715 data      # keys in db 3 count too
stop_redis "$E_PID"
tool peer 21715 unreachable
stop_redis "$M_PID"; stop_redis "$R_PID"

echo "== LOADING: a real RDB load, slowed down"
start_redis 21716
redis-cli -p 21716 eval "for i=1,3000 do redis.call('set','k'..i,i) end" 0 >/dev/null
redis-cli -p 21716 save >/dev/null
cp "$DIR/21716/dump.rdb" "$DIR/loading.rdb"
stop_redis "$REDIS_PID"
mkdir -p "$DIR/21717"; cp "$DIR/loading.rdb" "$DIR/21717/dump.rdb"
# key-load-delay (µs per key) makes the load last ~3 s; the small events interval lets redis
# answer -LOADING meanwhile instead of not reading at all.
netns_bg "$NS" redis-server --port 21717 --bind 127.0.0.1 --dir "$DIR/21717" --save "" --logfile "$DIR/21717.log" \
  --key-load-delay 1000 --loading-process-events-interval-bytes 1024
L_PID=$TOPO_LAST_PID
tool loading 21717
stop_redis "$L_PID"

echo "== CPU cost of checks every 50 ms"
start_redis 21718
tool cpu 21718 10
stop_redis "$REDIS_PID"
echo "redis_client: all passed"
