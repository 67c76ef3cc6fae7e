#!/bin/bash
# keepalived's scripts under redvipd: keepalived sample files start unchanged; notify scripts
# run after each transition, one at a time and in order, with keepalived's arguments; the
# notify fifo gets keepalived's lines; a hanging notify script is killed at notify_timeout
# without holding up the failover; track_script with weight 0 puts the node in FAULT, a track
# file's weight moves the priority (and the VIP); notify_stop runs on SIGTERM; `redvipd -t`
# names the lines of the old Redis recipe to change.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
SAMPLES="$HERE/../fixtures/keepalived_samples"

VIP=10.81.0.200
topo_init rvs
topo_host n1 10.81.0.1
topo_host n2 10.81.0.2

# --- keepalived's samples start unchanged
# (keepalived.conf.vrrp lists an address twice, keepalived.conf.vrrp.localcheck weighs
# track_interface entries: both copied unchanged from keepalived 2.2.7.)
for sample in vrrp_scripts.conf vrrp_localcheck.conf keepalived.conf.vrrp keepalived.conf.vrrp.localcheck; do
  out=$(topo_exec n1 "$REDVIPD" -t -f "$SAMPLES/$sample" 2>&1) || fail "-t refused $sample: $out"
done
[[ "$(topo_exec n1 "$REDVIPD" -t -f "$SAMPLES/keepalived.conf.vrrp" 2>&1)" == *'keepalived.conf.vrrp:32: '*'"192.168.200.18" is listed twice'* ]] ||
  fail "-t does not name the duplicate address"
topo_spawn n1 "$TOPO_TMP/sample.log" "$REDVIPD" -f "$SAMPLES/vrrp_scripts.conf" -l debug
sample_pid=$TOPO_LAST_PID
wait_until 6 has_vip n1 192.168.200.16 || fail "the vrrp_scripts sample did not take its VIPs: $(tail -5 "$TOPO_TMP/sample.log")"
# Its notify scripts do not exist here: the exit status is logged, nothing else happens.
wait_for_line "$TOPO_TMP/sample.log" 'notify_master (.*vrrp_scripts.conf:23): exit 127'
kill -TERM "$sample_pid"; wait "$sample_pid" || true
topo_spawn n1 "$TOPO_TMP/localcheck.log" "$REDVIPD" -f "$SAMPLES/vrrp_localcheck.conf" -l debug
localcheck_pid=$TOPO_LAST_PID
wait_until 6 has_vip n1 192.168.200.18 || fail "the localcheck sample did not take its VIP: $(tail -5 "$TOPO_TMP/localcheck.log")"
# Its checks fail here (no sshd, no haproxy, no web server): weights lower the priority to 90.
wait_for_line "$TOPO_TMP/localcheck.log" 'tracked priority 90' 8
kill -TERM "$localcheck_pid"; wait "$localcheck_pid" || true
pass "keepalived's samples start unchanged (notify scripts, smtp_alert, vrrp_script/track_script with weights)"

# --- a weighted track_interface moves the priority (keepalived's rule) instead of a FAULT
# A veth pair: the dummy module may be missing here.
topo_exec n1 ip link add trk0 type veth peer name trk1
topo_exec n1 ip link set trk0 up
topo_exec n1 ip link set trk1 up
cat >"$TOPO_TMP/weighted.conf" <<CONF
vrrp_instance VI_W {
    interface eth0
    virtual_router_id 82
    priority 100
    virtual_ipaddress {
        10.81.0.201/24
    }
    track_interface {
        trk0 weight -10
    }
}
CONF
topo_spawn n1 "$TOPO_TMP/weighted.log" "$REDVIPD" -f "$TOPO_TMP/weighted.conf" -l debug
weighted_pid=$TOPO_LAST_PID
wait_until 6 has_vip n1 10.81.0.201 || fail "the weighted instance did not take its VIP: $(tail -5 "$TOPO_TMP/weighted.log")"
topo_exec n1 ip link set trk0 down
wait_for_line "$TOPO_TMP/weighted.log" 'tracked priority 90' 5
sleep 1
has_vip n1 10.81.0.201 || fail "a weighted interface going down cost the VIP: $(tail -5 "$TOPO_TMP/weighted.log")"
topo_exec n1 ip link set trk0 up
wait_for_line "$TOPO_TMP/weighted.log" 'tracked priority 100' 5
kill -TERM "$weighted_pid"; wait "$weighted_pid" || true
pass "track_interface with a weight: down lowers the priority by 10 and up restores it, no FAULT"

# --- the old Redis recipe: -t names each line and what to write instead
out=$(topo_exec n1 "$REDVIPD" -t -f "$SAMPLES/redis_recipe.conf" 2>&1) || fail "-t refused the recipe: $out"
for line in 21 23 24; do
  [[ "$out" == *"redis_recipe.conf:$line: "* ]] || fail "-t does not name line $line: $out"
done
[[ "$out" == *"with redis { peers { 192.0.2.2 } address 127.0.0.1 6379 }"* ]] || fail "-t does not say what to write: $out"
# Beside a redis block a role-changing notify script is refused, at -t and at start, naming its line.
sed 's|^    notify_fault .*|    redis {\n        address 127.0.0.1 6379\n    }|' "$SAMPLES/redis_recipe.conf" >"$TOPO_TMP/recipe_redis.conf"
if out=$(topo_exec n1 "$REDVIPD" -t -f "$TOPO_TMP/recipe_redis.conf" 2>&1); then fail "-t accepted SLAVEOF scripts beside a redis block: $out"; fi
[[ "$out" == *"recipe_redis.conf:23: vrrp_instance redis_vip: notify_master runs SLAVEOF/REPLICAOF, which would fight"* ]] ||
  fail "the refusal does not name the line: $out"
if topo_exec n1 timeout 5 "$REDVIPD" -f "$TOPO_TMP/recipe_redis.conf" >"$TOPO_TMP/refused.log" 2>&1; then fail "redvipd started with SLAVEOF scripts beside a redis block"; fi
grep -q "recipe_redis.conf:24: .*notify_backup runs SLAVEOF/REPLICAOF" "$TOPO_TMP/refused.log" || fail "start: $(cat "$TOPO_TMP/refused.log")"
pass "-t names each line of the old Redis recipe to change; beside a redis block they are refused"

# --- two nodes with notify scripts, a fifo, a tracked script and a tracked file
conf() {
  local host=$1 prio=$2
  local dir="$TOPO_TMP/$host"
  mkdir -p "$dir"
  # Each notification appends "start <what>" then, after a pause, "end <what>": overlapping runs
  # would interleave.
  cat >"$dir/note.sh" <<SH
#!/bin/sh
echo "start \$*" >>"$dir/notes"
sleep 0.1
echo "end \$*" >>"$dir/notes"
SH
  chmod +x "$dir/note.sh"
  echo 0 >"$dir/prio"
  cat <<CONF
global_defs {
    notify_fifo $dir/fifo
}
redvip_defs {
    control_socket $(node_sock "$host")
    notify_timeout 2
}
vrrp_script chk_flag {
    script "/bin/sh -c 'test ! -e $dir/down'"
    interval 0.1
    timeout 3
}
vrrp_track_file prio {
    file $dir/prio
    weight 1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 81
    priority $prio
    version 3
    advert_int 0.1
    virtual_ipaddress {
        $VIP/24
    }
    track_script {
        chk_flag
    }
    track_file {
        prio
    }
    notify "$dir/note.sh"
    notify_master "$dir/note.sh master-only"
    notify_fault "/bin/sh -c 'echo hang >>$dir/notes; echo \$\$ >$dir/hang.pid; exec sleep 60'"
    notify_stop "$dir/note.sh stop-only"
}
CONF
}
conf n1 150 >"$TOPO_TMP/n1.conf"
conf n2 100 >"$TOPO_TMP/n2.conf"
mkfifo "$TOPO_TMP/n1/fifo"
cat "$TOPO_TMP/n1/fifo" >"$TOPO_TMP/n1/fifo.lines" &
TOPO_PIDS+=($!)
start_redvipd n1 "$TOPO_TMP/n1.conf"
start_redvipd n2 "$TOPO_TMP/n2.conf"
wait_until 5 has_vip n1 "$VIP" || fail "n1 did not become master"
wait_for_line "$TOPO_TMP/n1/notes" '^end INSTANCE VI_1 MASTER 150$'
expected=$'start INSTANCE VI_1 BACKUP 150\nend INSTANCE VI_1 BACKUP 150\nstart master-only\nend master-only\nstart INSTANCE VI_1 MASTER 150\nend INSTANCE VI_1 MASTER 150'
[[ "$(cat "$TOPO_TMP/n1/notes")" == "$expected" ]] || fail "n1's notifications out of order: $(cat "$TOPO_TMP/n1/notes")"
wait_for_line "$TOPO_TMP/n1/fifo.lines" '^INSTANCE "VI_1" MASTER 150$'
[[ "$(head -1 "$TOPO_TMP/n1/fifo.lines")" == 'INSTANCE "VI_1" BACKUP 150' ]] || fail "fifo: $(cat "$TOPO_TMP/n1/fifo.lines")"
pass "notify_master, then notify with keepalived's arguments, one at a time, after the VIP; the fifo's lines"

# --- weight 0 script fails: FAULT at once; the fault script hangs and is killed at 2 s,
# the failover does not wait for it.
: >"$TOPO_TMP/n1/notes"
t0=$(date +%s%N)
touch "$TOPO_TMP/n1/down"
wait_until 4 has_vip n2 "$VIP" || fail "n2 did not take over when n1's check failed"
t1=$(date +%s%N)
# A check runs every 0.1 s; starting a shell takes ~0.2 s on a loaded 2-core machine.
(( (t1 - t0) / 1000000 < 3000 )) || fail "the takeover took $(( (t1 - t0) / 1000000 )) ms"
[[ "$(state_of n1)" == FAULT ]] || fail "n1 is $(state_of n1), not FAULT"
"$REDVIPCTL" -s "$(node_sock n1)" status | grep -q "not eligible: script chk_flag: failing" ||
  fail "status does not name the failing script: $("$REDVIPCTL" -s "$(node_sock n1)" status)"
wait_for_line "$TOPO_TMP/n1.log" 'notify_fault (.*): killed at its 2000 ms timeout' 5
wait_for_line "$TOPO_TMP/n1/notes" '^end INSTANCE VI_1 FAULT 150$' 5
[[ "$(head -1 "$TOPO_TMP/n1/notes")" == hang ]] || fail "the fault script did not run first: $(cat "$TOPO_TMP/n1/notes")"
hang_pid=$(cat "$TOPO_TMP/n1/hang.pid")
wait_until 2 bash -c "! kill -0 $hang_pid" || fail "the hanging script $hang_pid still runs"
pass "a failing weight-0 check: FAULT and failover in $(( (t1 - t0) / 1000000 )) ms; the hanging notify_fault killed at 2 s, the next script ran"

rm "$TOPO_TMP/n1/down"
wait_until 5 has_vip n1 "$VIP" || fail "n1 did not take the VIP back"
# --- a track file lowers n1's priority below n2's: n2 preempts; back to 0: n1 preempts again
echo -60 >"$TOPO_TMP/n1/prio"
wait_until 4 has_vip n2 "$VIP" || fail "n2 did not preempt when n1's priority went to 90"
"$REDVIPCTL" -s "$(node_sock n1)" status | grep -q "BACKUP priority 90" || fail "n1: $("$REDVIPCTL" -s "$(node_sock n1)" status)"
echo 0 >"$TOPO_TMP/n1/prio"
wait_until 4 has_vip n1 "$VIP" || fail "n1 did not preempt back at 150"
pass "a track file's weight moves the priority and the VIP with it"

# --- status shows the last transition's timeline; SIGTERM runs notify_stop before exiting
out=$("$REDVIPCTL" -s "$(node_sock n1)" status)
[[ "$out" == *"last transition "*"-> MASTER"*"cause seen +0.0 ms, decision +"*"VIP added +"*"announced +"* ]] ||
  fail "no timeline in status: $out"
: >"$TOPO_TMP/n1/notes"
kill -TERM "$PID_n1"
wait "$PID_n1" || fail "n1 exited with an error"
grep -q '^end stop-only$' "$TOPO_TMP/n1/notes" || fail "notify_stop did not run before the exit: $(cat "$TOPO_TMP/n1/notes")"
grep -q '^end INSTANCE VI_1 STOP 150$' "$TOPO_TMP/n1/notes" || fail "notify STOP: $(cat "$TOPO_TMP/n1/notes")"
pass "the timeline in status; notify_stop and notify STOP run before redvipd exits"
