#!/bin/bash
# Authenticated Redis: first requirepass/masterauth (password only), then an ACL user with the
# default user disabled (`user NAME` + `password_file`). The checks must authenticate (n1 becomes
# master, n2 follows) and a failover (n1's Redis killed) must work with little loss.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rft
PASSFILE="$TOPO_TMP/redis.pass"
echo "s3cret-$$" >"$PASSFILE"
chmod 600 "$PASSFILE"
PW=$(cat "$PASSFILE")

# auth_case NAME (redis-server args) -- (redvipd redis-block lines) -- (writer args)
run_case() {
  local name=$1
  two_nodes_up "${SERVER_ARGS[@]}"
  pass "$name: n1 master, n2 follows it (checks authenticated)"
  # Without credentials a client is refused: the auth is real.
  local anon; anon=$(topo_exec c redis-cli -h 10.77.0.1 -p 6379 SET x 1 2>&1 || true)
  [[ "$anon" == *NOAUTH* || "$anon" == *WRONGPASS* || "$anon" == *"NOPERM"* || "$anon" == *"Authentication required"* ]] ||
    fail "$name: an unauthenticated SET was not refused: $anon"
  writer_start c --duration 4 --verify 10.77.0.2:6379 "${WRITER_ARGS[@]}"
  sleep 1.5
  echo "  before the kill: n1 master_repl_offset=$(redis_info_field n1 master_repl_offset) keys=$(redis_keys n1); n2 slave_repl_offset=$(redis_info_field n2 slave_repl_offset) keys=$(redis_keys n2) link=$(redis_info_field n2 master_link_status)"
  local t0; t0=$(now_ms)
  redis_kill n1
  wait_until 5 has_vip n2 $VIP || fail "$name: n2 did not take over"
  local took=$(( $(now_ms) - t0 ))
  writer_wait
  figures "redis_auth_$name" "vip_moved_ms=$took"
  (( W_LOST >= 0 && W_LOST <= 50 )) || fail "$name: lost $W_LOST"
  if grep -qiE "NOAUTH|WRONGPASS|auth.*fail" "$TOPO_TMP/n1.log" "$TOPO_TMP/n2.log"; then
    grep -iE "NOAUTH|WRONGPASS|auth.*fail" "$TOPO_TMP/n1.log" "$TOPO_TMP/n2.log" | head -5
    fail "$name: authentication errors in the redvipd logs"
  fi
  pass "$name: failover with authentication, outage ${W_OUTAGE} ms, lost $W_LOST"
  kill -KILL "$PID_n1" "$PID_n2" 2>/dev/null || true
  redis_kill n2
  for h in n1 n2 c; do
    for pid in $(ip netns pids "$(topo_ns $h)"); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$(topo_ns $h)"
  done
  TOPO_HOSTS=()
  ip -n "$TOPO_LAN" link del pn1 2>/dev/null || true
  ip -n "$TOPO_LAN" link del pn2 2>/dev/null || true
  ip -n "$TOPO_LAN" link del pc 2>/dev/null || true
  mv "$TOPO_TMP/n1.log" "$TOPO_TMP/n1-$name.log"; mv "$TOPO_TMP/n2.log" "$TOPO_TMP/n2-$name.log"
  rm -rf "$TOPO_TMP"/redis-n1 "$TOPO_TMP"/redis-n2
}

SERVER_ARGS=(--requirepass "$PW" --masterauth "$PW")
RVD_REDIS_EXTRA="password_file $PASSFILE"
REDIS_CLI_AUTH=(--pass "$PW")
WRITER_ARGS=(--password-file "$PASSFILE")
run_case requirepass

SERVER_ARGS=(--user default off --user redvip on ">$PW" '~*' '&*' '+@all' --masteruser redvip --masterauth "$PW")
RVD_REDIS_EXTRA="user redvip
        password_file $PASSFILE"
REDIS_CLI_AUTH=(--user redvip --pass "$PW")
WRITER_ARGS=(--user redvip --password-file "$PASSFILE")
run_case acl_user
echo "redis_auth: all passed"
