#!/bin/bash
# The agent's Redis client against real redis-server processes on loopback: a SIGSTOPped
# server (timer lateness, detection time), AUTH with requirepass and an ACL user, role
# changes between two servers, pause + caught up, a real LOADING state, the cold-start
# peer data check, and the CPU cost of checks every 50 ms.
set -euo pipefail

BUILD=${REDVIP_BUILD_DIR:?}
TOOL=$BUILD/tests/integration/rds_redis_tool
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
[ -x "$TOOL" ] || { echo "missing $TOOL"; exit 1; }

DIR=$(mktemp -d /tmp/rds-redis.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  sleep 0.2
  rm -rf "$DIR"
}
trap cleanup EXIT

# start_redis PORT [extra redis-server args...]; sets REDIS_PID.
start_redis() {
  local port=$1; shift
  mkdir -p "$DIR/$port"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$DIR/$port" --pidfile "$DIR/$port.pid" \
    --logfile "$DIR/$port.log" --save "" --appendonly no --daemonize no "$@" &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  for _ in $(seq 100); do
    redis-cli -p "$port" --no-auth-warning ${RDS_CLI_AUTH:-} ping 2>/dev/null | grep -q -e PONG -e NOAUTH -e LOADING && return 0
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
"$TOOL" hang 21711 "$REDIS_PID"
stop_redis "$REDIS_PID"

echo "== AUTH: requirepass (default user) and an ACL user"
PW=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export RDS_REDIS_PASSWORD=$PW
# The password goes to redis through a config file, never a command line.
printf 'requirepass %s\nuser alice on >%s ~* &* +@all\n' "$PW" "$PW" > "$DIR/auth.conf"
chmod 600 "$DIR/auth.conf"
mkdir -p "$DIR/21712"
redis-server "$DIR/auth.conf" --port 21712 --bind 127.0.0.1 --dir "$DIR/21712" --save "" \
  --logfile "$DIR/21712.log" &
AUTH_PID=$!; PIDS+=("$AUTH_PID")
for _ in $(seq 100); do redis-cli -p 21712 ping 2>/dev/null | grep -q NOAUTH && break; sleep 0.05; done
"$TOOL" auth 21712 -
"$TOOL" auth 21712 alice
stop_redis "$AUTH_PID"
unset RDS_REDIS_PASSWORD

echo "== roles: follow, sync judged complete, pause + caught up, kill clients, promote"
start_redis 21713 --repl-diskless-sync-delay 0; M_PID=$REDIS_PID
start_redis 21714; R_PID=$REDIS_PID
redis-cli -p 21713 mset a 1 b 2 c 3 >/dev/null
"$TOOL" roles 21713 21714

echo "== cold-start peer data check"
"$TOOL" peer 21714 data      # the promoted one holds rds:key and more
start_redis 21715; E_PID=$REDIS_PID
"$TOOL" peer 21715 empty
redis-cli -p 21715 -n 3 set only-in-db3 1 >/dev/null
"$TOOL" peer 21715 data      # keys in db 3 count too
stop_redis "$E_PID"
"$TOOL" peer 21715 unreachable
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
redis-server --port 21717 --bind 127.0.0.1 --dir "$DIR/21717" --save "" --logfile "$DIR/21717.log" \
  --key-load-delay 1000 --loading-process-events-interval-bytes 1024 &
L_PID=$!; PIDS+=("$L_PID")
"$TOOL" loading 21717
stop_redis "$L_PID"

echo "== CPU cost of checks every 50 ms"
start_redis 21718
"$TOOL" cpu 21718 10
stop_redis "$REDIS_PID"
echo "rds_redis: all passed"
