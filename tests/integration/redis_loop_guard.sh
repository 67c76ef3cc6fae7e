#!/bin/bash
# Our Redis never follows a Redis that replicates from ours. A 60-minute soak ended in such a
# loop with nobody holding the VIP: n1 preempted n2 (made n2's Redis its replica), went to Fault
# in the same millisecond, and n2's last advert as it yielded made n1's Redis follow n2. Both
# Redis servers were replicas of each other, neither could sync (a replica whose own link is
# down refuses PSYNC), both nodes waited in Fault for 30 s, and a restart then wiped the data.
# Here that abandoned preemption is made by hand under a client writing through the VIP:
#  1. n1 in Fault (a track file), n2 master. n2's writes paused, n1's Redis caught up with it,
#     n2's redvipd frozen right after an advert (it yields and reclaims nothing), n1's Redis made
#     master and n2's its replica. n1 hears n2 as master but must not point its Redis at it; once
#     n2 is silent, n1's Redis is a master nobody is heard beside, the cold start finds nothing
#     newer on n2, and n1 takes the VIP when its Fault clears. n2 resumes and follows n1.
#  2. The same while n2's redvipd runs and holds the VIP: n2 serves from a replica of n1's Redis
#     (every write refused) and keeps advertising. n2 must not take its Redis back (that is what
#     a takeover whose advert n2 has not heard looks like too, and two writable masters would
#     diverge); n1, which does not serve, hands n2 its Redis back once n2's holds every write of
#     n1's, and then follows it.
# Throughout: never both Redis servers replicas, one VIP holder at the end, no write lost.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"

topo_init rlg
topo_host n1 10.77.0.1
topo_host n2 10.77.0.2
topo_host c 10.77.0.9
redis_start n1
redis_start n2
# redis_node_conf with a track file that puts the instance in Fault while it holds a non-zero.
conf_with_fault() {
  local f
  f=$(redis_node_conf "$1" "$2" "track_file {
        fault
    }")
  echo 0 >"$TOPO_TMP/$1.fault"
  sed -i "1i vrrp_track_file fault {\n    file $TOPO_TMP/$1.fault\n    weight 0\n}" "$f"
  echo "$f"
}
start_redvipd n1 "$(conf_with_fault n1 150)"
start_redvipd n2 "$(conf_with_fault n2 100)"
wait_until 10 only_holder n1 n1 n2 || fail "n1 did not become the only VIP holder: '$(vip_holders $VIP n1 n2)'"
wait_until 10 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1"
pass "n1 master, n2's Redis follows it"

# Both roles every 20 ms: a loop shows as "slave slave".
( while :; do echo "$(redis_role n1) $(redis_role n2)"; sleep 0.02; done ) >"$TOPO_TMP/roles" 2>/dev/null &
SAMPLER=$!
TOPO_PIDS+=("$SAMPLER")
# One sample reads n1, then n2 tens of ms later (hundreds under ASan): the swap of both roles
# that abandoned_preemption makes by hand shows once as "slave slave" when it falls between the
# two reads (CI, ASan: n1 read before its REPLICAOF NO ONE, n2 after its REPLICAOF). A loop is
# two such samples in a row; the soak's lasted 30 s.
no_loop_seen() {
  ! awk 'prev == "slave slave" && $0 == prev { found = 1 } { prev = $0 } END { exit !found }' \
    "$TOPO_TMP/roles" ||
    fail "$1: both Redis servers were replicas of each other (a loop): $(grep -E 'not following|replicates from|reclaim|promoting ours' "$TOPO_TMP"/n?.log | tail -4 | tr '\n' ' ')"
}
writer_start c --duration 14 --timeout-ms 20 --acked-file "$TOPO_TMP/acked"
sleep 0.5

# n1 to Fault: n2 takes over, n1's Redis follows n2's.
echo 1 >"$TOPO_TMP/n1.fault"
wait_until 5 only_holder n2 n1 n2 || fail "n2 did not take over from n1 in Fault: '$(vip_holders $VIP n1 n2)'"
wait_until 5 redis_follows n1 10.77.0.2 || fail "n1's Redis does not follow n2"
sleep 0.5

# abandoned_preemption: what n1's preemption does to both Redis servers before n1 goes to
# Fault: n2's writes paused, n1's Redis caught up, promoted, n2's made its replica and unpaused.
# n1's redvipd is frozen meanwhile: between the two REPLICAOFs a check of its own would find its
# Redis master beside a master Redis, a state its real preemption never shows anybody.
# With freeze_n2, n2's redvipd is frozen too, just before (so n1 heard its last advert well
# within the 4 advert intervals that keep a master heard).
abandoned_preemption() {
  rcli n2 CLIENT PAUSE 3000 WRITE >/dev/null
  replica_keeps_up n1 n2 1 || fail "n1's Redis did not catch up with n2's paused offset"
  [[ ${1:-} != freeze_n2 ]] || kill -STOP "$PID_n2"
  kill -STOP "$PID_n1"
  rcli n1 REPLICAOF NO ONE >/dev/null
  rcli n2 REPLICAOF 10.77.0.1 6379 >/dev/null
  kill -CONT "$PID_n1"
  rcli n2 CLIENT UNPAUSE >/dev/null
}

# --- 1. nobody serves: n2 frozen right after an advert.
abandoned_preemption freeze_n2
made=$(now_ms)
wait_until 2 grep -q "not following 10.77.0.2: its redis replicates from ours" "$TOPO_TMP/n1.log" ||
  fail "n1 never considered following n2 (the case this test is for): $(grep -E 'replicates|redis' "$TOPO_TMP/n1.log" | tail -3 | tr '\n' ' ')"
pass "n1 heard n2 as master and refused to point its Redis at it"
wait_until 3 grep -q "10.77.0.2 not heard for" "$TOPO_TMP/n1.log" || fail "n1 never forgot the silent n2"
wait_until 5 grep -q "may be promoted: cold start" "$TOPO_TMP/n1.log" ||
  fail "n1's Redis is not promotable after n2 went silent: $(ctl n1 status | tr '\n' ' ')"
echo 0 >"$TOPO_TMP/n1.fault"
wait_until 5 has_vip n1 "$VIP" || fail "n1 did not take the VIP once its Fault cleared: $(ctl n1 status | tr '\n' ' ')"
[[ "$(redis_role n1)" == master ]] || fail "n1 holds the VIP but its Redis is $(redis_role n1)"
pass "n1 took the VIP $(( $(now_ms) - made )) ms after the abandoned preemption, its Redis master"
kill -CONT "$PID_n2"
wait_until 5 only_holder n1 n1 n2 || fail "VIP holders after n2 resumed: '$(vip_holders $VIP n1 n2)'"
wait_until 5 redis_follows n2 10.77.0.1 || fail "n2's Redis does not follow n1 after it resumed"
no_loop_seen "part 1"
pass "n2 resumed and follows n1; no loop"

# --- 2. n2 serves on: n1 hands its Redis back.
echo 1 >"$TOPO_TMP/n1.fault"
wait_until 5 only_holder n2 n1 n2 || fail "n2 did not take over from n1 in Fault again: '$(vip_holders $VIP n1 n2)'"
wait_until 5 redis_follows n1 10.77.0.2 || fail "n1's Redis does not follow n2"
sleep 0.5
abandoned_preemption
made=$(now_ms)
n2_master() { [[ "$(redis_role n2)" == master ]]; }
wait_until 5 n2_master || fail "n2 serves from a replica 5 s on: $(grep -E 'handed|not following|loop' "$TOPO_TMP/n1.log" | tail -3 | tr '\n' ' ')"
taken_back_ms=$(( $(now_ms) - made ))
grep -q "handed it its redis back" "$TOPO_TMP/n1.log" || fail "n2's Redis is master again, but not handed back by n1"
grep -q "promoting ours back" "$TOPO_TMP/n2.log" && fail "n2 took its Redis back itself (two masters if the takeover had been real)"
wait_until 5 redis_follows n1 10.77.0.2 || fail "n1's Redis does not follow n2 after handing it back"
only_holder n2 n1 n2 || fail "VIP holders after the hand-back: '$(vip_holders $VIP n1 n2)'"
no_loop_seen "part 2"
pass "n1 handed n2 its Redis back in about $taken_back_ms ms and follows it; no loop"

writer_wait
kill "$SAMPLER" 2>/dev/null || true
settled_after_return "after both abandoned preemptions" "$TOPO_TMP/acked"
(( W_ACKED > 0 )) || fail "no write was acknowledged"
[[ -n ${REDVIP_KEEP_LOGS:-} ]] && mkdir -p "$REDVIP_KEEP_LOGS" && cp "$TOPO_TMP"/*.log "$W_LOG" "$REDVIP_KEEP_LOGS"/
figures redis_loop_guard "handed_back_ms=$taken_back_ms"
pass "acked $W_ACKED through the VIP, lost 0"
