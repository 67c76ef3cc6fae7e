# The 10 ms case for scripts/bench: VRRPv3 at advert_int 0.01 (master-down 36 ms at priority 100).
#  - client-seen node crash: bench_failover (bench_lib.sh) at 0.01, RUNS runs, both implementations;
#  - false takeovers under load: a redvipd pair (r1 150 / r2 100) and a keepalived pair (k1 / k2)
#    run side by side at 0.01 while BENCH_FAST_LOOPS busy loops (default 8) spin on the machine's
#    cores, for SECONDS; then again with memory pressure added: a process holding all the memory
#    the kernel says is available but BENCH_FAST_RESERVE_MB (default 2048), handing chunks back
#    whenever less than that is left (and the OOM killer's first choice), so that the page cache
#    (the daemons' code included) is squeezed without starving anyone. A false takeover is a
#    backup that enters MASTER while its master runs (counted in the backup's log; the master's
#    falls back to BACKUP are counted too).
#    Each load runs twice: as packaged (the normal scheduler, memory unlocked) and with both
#    pairs configured vrrp_rt_priority 50 + vrrp_no_swap (keepalived's own options, the same in
#    both configs). BENCH_FAST_LOADS picks a subset of "busy memory busy_rt memory_rt" (all by
#    default).
# Needs lib/topology.sh, lib/redvipd.sh, lib/keepalived.sh and bench_lib.sh sourced, and hosts
# r1 r2 k1 k2 made with topo_host.
BENCH_FAST_LOOPS=${BENCH_FAST_LOOPS:-8}
BENCH_FAST_RESERVE_MB=${BENCH_FAST_RESERVE_MB:-2048}
BENCH_FAST_LOADS=${BENCH_FAST_LOADS:-"busy memory busy_rt memory_rt"}

# A process we reaped leaves topo_cleanup's list: its number may be someone else's by the end
# (PIDs wrap on a busy machine), and the cleanup SIGKILLs every number listed.
fast_forget_pid() {
  local p keep=()
  for p in "${TOPO_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  TOPO_PIDS=("${keep[@]}")
}

# busy_loops_start N: N shell loops spinning; BUSY_PIDS
busy_loops_start() {
  local i
  BUSY_PIDS=()
  for (( i = 0; i < $1; i++ )); do
    sh -c 'while :; do :; done' &
    BUSY_PIDS+=($!); TOPO_PIDS+=($!)
  done
}
busy_loops_stop() {
  local p
  for p in "${BUSY_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; fast_forget_pid "$p"; done
  BUSY_PIDS=()
}

# mem_pressure_start RESERVE_MB: HOG_PID; its log says how much it holds (mem_pressure_held_mb)
mem_pressure_start() {
  local py=/usr/bin/python3; [[ -x $py ]] || py=python3
  "$py" - "$1" >"$TOPO_TMP/mem_pressure.log" 2>&1 <<'PY' &
import mmap, sys, time
with open("/proc/self/oom_score_adj", "w") as f:
    f.write("1000")
reserve, chunk = int(sys.argv[1]) << 20, 64 << 20
ones = b"\1" * chunk
held, peak, full = [], 0, False
def available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) << 10
while True:
    a = available()
    if a > reserve + chunk:
        m = mmap.mmap(-1, chunk)
        m.write(ones)  # touched: resident, not merely reserved
        held.append(m)
        if len(held) > peak:
            peak = len(held)
            print(f"held_mb={peak * 64}", flush=True)
    elif a < reserve:
        for _ in range(min(4, len(held))):
            held.pop().close()
    else:
        if not full:
            full = True
            print("full", flush=True)
        time.sleep(0.1)
PY
  HOG_PID=$!; TOPO_PIDS+=($!)
}
mem_pressure_stop() { kill -KILL "$HOG_PID" 2>/dev/null; wait "$HOG_PID" 2>/dev/null || true; fast_forget_pid "$HOG_PID"; }
mem_pressure_held_mb() { sed -n 's/^held_mb=//p' "$TOPO_TMP/mem_pressure.log" | tail -1; }

# The count of a backup's entries into MASTER and of a master's falls to BACKUP in a log.
# (grep -c prints 0 and fails when nothing matches: a count, not an error here.)
fast_masters() {  # IMPL LOG
  if [[ $1 == keepalived ]]; then grep -c "Entering MASTER STATE" "$2"; else grep -c "BACKUP -> MASTER\|INIT -> MASTER" "$2"; fi || true
}
fast_backups() {  # IMPL LOG
  if [[ $1 == keepalived ]]; then grep -c "Entering BACKUP STATE" "$2"; else grep -c "MASTER -> " "$2"; fi || true
}

# fast_realtime FILE IMPL: the real-time options into a config written by write_vrrp_conf.
fast_realtime() {
  if [[ $2 == keepalived ]]; then
    sed -i 's/^    router_id .*/&\n    vrrp_rt_priority 50\n    vrrp_no_swap/' "$1"
  else
    sed -i '1i global_defs {\n    vrrp_rt_priority 50\n    vrrp_no_swap\n}' "$1"
  fi
  grep -q '^    vrrp_no_swap' "$1" || fail "fast_realtime: $1 has no real-time options"
}

# bench_fast_takeovers SECONDS PRESSURE(0|1) REALTIME(0|1): both pairs at 0.01 under load; sets
# FAST_TAKEOVERS["redvipd|keepalived"] = "takeovers falls" and FAST_HELD_MB.
declare -A FAST_TAKEOVERS
bench_fast_takeovers() {
  local seconds=$1 pressure=$2 realtime=$3 h impl pid_var p
  write_vrrp_conf "$TOPO_TMP/r1.fast.conf" redvipd r1 150 3 0.01 95 $BENCH_NET.205
  write_vrrp_conf "$TOPO_TMP/r2.fast.conf" redvipd r2 100 3 0.01 95 $BENCH_NET.205
  write_vrrp_conf "$TOPO_TMP/k1.fast.conf" keepalived k1 150 3 0.01 96 $BENCH_NET.206
  write_vrrp_conf "$TOPO_TMP/k2.fast.conf" keepalived k2 100 3 0.01 96 $BENCH_NET.206
  if (( realtime )); then
    for h in r1 r2; do fast_realtime "$TOPO_TMP/$h.fast.conf" redvipd; done
    for h in k1 k2; do fast_realtime "$TOPO_TMP/$h.fast.conf" keepalived; done
  fi
  for h in r2 r1; do
    # Info, as packaged (debug logs every advert timer: 100 lines a second here).
    topo_spawn "$h" "$TOPO_TMP/$h.fast.log" "$REDVIPD" -f "$TOPO_TMP/$h.fast.conf" -l info
    eval "PID_$h=$TOPO_LAST_PID"
  done
  for h in k2 k1; do
    # As start_keepalived, without -D (detailed logs): as packaged.
    mkdir -p "$(keepalived_dir $h)"
    rm -f "$(keepalived_dir $h)"/*.pid
    topo_spawn "$h" "$TOPO_TMP/$h.fast.log" "$KEEPALIVED" -n -l --vrrp -f "$TOPO_TMP/$h.fast.conf" \
      -p "$(keepalived_dir $h)/keepalived.pid" -r "$(keepalived_dir $h)/vrrp.pid" -c "$(keepalived_dir $h)/checkers.pid"
    eval "PID_$h=$TOPO_LAST_PID"
  done
  wait_until 10 has_vip r1 $BENCH_NET.205 || fail "redvipd r1 not master at 0.01"
  wait_until 10 has_vip k1 $BENCH_NET.206 || fail "keepalived k1 not master at 0.01"
  sleep 2
  local m0r m0k f0r f0k
  m0r=$(fast_masters redvipd "$TOPO_TMP/r2.fast.log"); f0r=$(fast_backups redvipd "$TOPO_TMP/r1.fast.log")
  m0k=$(fast_masters keepalived "$TOPO_TMP/k2.fast.log"); f0k=$(fast_backups keepalived "$TOPO_TMP/k1.fast.log")
  if (( pressure )); then  # filled before the loops start (at most 120 s)
    mem_pressure_start "$BENCH_FAST_RESERVE_MB"
    wait_until 120 grep -q '^full' "$TOPO_TMP/mem_pressure.log" || echo "   (memory pressure: not full after 120 s)"
  fi
  busy_loops_start "$BENCH_FAST_LOOPS"
  echo "-- 10 ms: $BENCH_FAST_LOOPS busy loops on $(nproc) cores$( (( pressure )) && echo " + memory pressure (held $(mem_pressure_held_mb) MB so far)")$( (( realtime )) && echo ", both pairs vrrp_rt_priority 50 + vrrp_no_swap") for $seconds s"
  if (( realtime )); then  # the options took: the backups' loops run SCHED_RR
    for h in r2 k2; do
      # keepalived respawns its VRRP child when RLIMIT_RTTIME kills it: wait for the new one.
      for _ in $(seq 50); do
        pid_var=PID_$h; [[ $h == k2 ]] && p=$(keepalived_vrrp_pid $h) || p=${!pid_var}
        [[ -n $p && -r /proc/$p/stat ]] && break
        sleep 0.1
      done
      [[ $(awk '{ print $41 }' "/proc/$p/stat") == 2 ]] || fail "$h (pid $p) does not run SCHED_RR"
    done
  fi
  sleep "$seconds"
  # How often redvipd's backup saw this host frozen just before its master-down ran out, and
  # gave the master its interval to speak (vrrp::HostResumed): those are takeovers avoided.
  FAST_DEFERRED=$(ctl r2 status --json 2>/dev/null | grep -o '"master_down_deferred":[0-9]*' | cut -d: -f2 || true)
  busy_loops_stop
  FAST_HELD_MB=""
  (( pressure )) && { FAST_HELD_MB=$(mem_pressure_held_mb); mem_pressure_stop; }
  FAST_TAKEOVERS[redvipd]="$(( $(fast_masters redvipd "$TOPO_TMP/r2.fast.log") - m0r )) $(( $(fast_backups redvipd "$TOPO_TMP/r1.fast.log") - f0r ))"
  FAST_TAKEOVERS[keepalived]="$(( $(fast_masters keepalived "$TOPO_TMP/k2.fast.log") - m0k )) $(( $(fast_backups keepalived "$TOPO_TMP/k1.fast.log") - f0k ))"
  # A real-time VRRP child that runs past its RLIMIT_RTTIME without sleeping is killed and
  # respawned by keepalived's parent (memory pressure: time in the kernel's reclaim counts).
  local deaths
  deaths=$(cat "$TOPO_TMP/k1.fast.log" "$TOPO_TMP/k2.fast.log" | grep -c "VRRP child process(.*) died") || true
  (( deaths == 0 )) || echo "   keepalived: its VRRP child was killed and respawned $deaths times (has rlimit_rttime been exceeded?)"
  echo "   redvipd: ${FAST_TAKEOVERS[redvipd]% *} takeovers by the backup, ${FAST_TAKEOVERS[redvipd]#* } falls of the master" \
    "(master-down deferred after a stall of the host: ${FAST_DEFERRED:-?});" \
    "keepalived: ${FAST_TAKEOVERS[keepalived]% *} takeovers, ${FAST_TAKEOVERS[keepalived]#* } falls"
  for h in r1 r2 k1 k2; do bench_stop $h; pid_var=PID_$h; fast_forget_pid "${!pid_var}"; done
  for h in r1 k1; do topo_exec $h ip addr flush dev eth0 to $BENCH_NET.204/30 2>/dev/null || true; done
}

# bench_fast RUNS SECONDS: the whole case; fills FAST_RESULT.
declare -A FAST_RESULT
bench_fast() {
  local runs=$1 seconds=$2 impl
  local out h attempt ok failed
  for impl in redvipd keepalived; do
    # One run per bench_failover, in a subshell: at 10 ms a loaded machine may not give the probe
    # a steady master to start from (the backup takes over before the crash), and bench_failover
    # then fails; such an attempt is counted and another one made, up to 2 * RUNS attempts.
    FAST_RESULT["$impl crash"]="" FAST_RESULT["$impl gap"]="" FAST_RESULT["$impl crash failed"]=0
    ok=0
    for (( attempt = 1; attempt <= 2 * runs && ok < runs; attempt++ )); do
      out=$( (bench_failover "$impl" 3 0.01 1; echo "OUTAGES $BENCH_OUTAGES"; echo "GAPS $BENCH_GAPS") 2>&1) || true
      grep -E '^(--|   run|FAIL)' <<<"$out" || true
      if grep -q '^OUTAGES *[0-9]' <<<"$out"; then
        ok=$(( ok + 1 ))
        FAST_RESULT["$impl crash"]+=" $(sed -n 's/^OUTAGES //p' <<<"$out")"
        FAST_RESULT["$impl gap"]+=" $(sed -n 's/^GAPS //p' <<<"$out")"
      else
        failed=${FAST_RESULT["$impl crash failed"]}
        FAST_RESULT["$impl crash failed"]=$(( failed + 1 ))
        # What the failed subshell started is not in our list: stop it before the next attempt.
        for h in r1 r2 k1 k2; do
          for p in $(ip netns pids "$(topo_ns $h)" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
          topo_heal $h
          topo_exec $h ip addr del "$BENCH_VIP/24" dev eth0 2>/dev/null || true
        done
      fi
    done
  done
  local load pressure realtime
  for load in $BENCH_FAST_LOADS; do
    case $load in
      busy) pressure=0 realtime=0 ;;
      memory) pressure=1 realtime=0 ;;
      busy_rt) pressure=0 realtime=1 ;;
      memory_rt) pressure=1 realtime=1 ;;
      *) fail "BENCH_FAST_LOADS: unknown load $load (busy memory busy_rt memory_rt)" ;;
    esac
    bench_fast_takeovers "$seconds" $pressure $realtime
    for impl in redvipd keepalived; do FAST_RESULT["$impl $load"]=${FAST_TAKEOVERS[$impl]}; done
    if (( pressure )); then FAST_RESULT["$load held"]=$FAST_HELD_MB; fi
  done
}

bench_fast_report() {
  local runs=$1 seconds=$2 md rv ka
  md=$(bench_master_down_ms 0.01 100)
  fast_cell() {  # IMPL: "median (min..max) [gaps] n runs, f failed to start"
    local cell="none"
    [[ -n ${FAST_RESULT["$1 crash"]// } ]] &&
      cell="$(bench_fmt "$(bench_stats ${FAST_RESULT["$1 crash"]})") [$(bench_fmt "$(bench_stats ${FAST_RESULT["$1 gap"]})")]"
    echo "$cell $(wc -w <<<"${FAST_RESULT["$1 crash"]}") runs, ${FAST_RESULT["$1 crash failed"]} failed"
  }
  rv=$(bench_stats ${FAST_RESULT["redvipd crash"]:-99999})
  echo
  echo "== 10 ms adverts (VRRPv3 advert_int 0.01, master-down $md ms at priority 100)"
  echo "   node crash (SIGKILL + cable cut right after a master advert), client outage in ms, median (min..max)"
  echo "   of up to $runs runs, longest gap between answered pings in []; an attempt fails when the VIP does not"
  echo "   answer steadily before the crash (a false takeover, or the probe starved); target: redvipd <= 50 ms"
  printf '   %-56s %-56s %s\n' redvipd keepalived "redvipd <= 50?"
  printf '   %-56s %-56s %s\n' "$(fast_cell redvipd)" "$(fast_cell keepalived)" "$( (( ${rv%% *} <= 50 )) && echo yes || echo NO)"
  echo "   false takeovers (backup -> MASTER while the master runs; the master's falls to BACKUP after /),"
  echo "   both pairs side by side for $seconds s each; target: redvipd 0"
  printf '   %-66s %-10s %-10s\n' load redvipd keepalived
  local load what
  for load in $BENCH_FAST_LOADS; do
    what="$BENCH_FAST_LOOPS busy loops on $(nproc) cores"
    [[ $load == memory* ]] && what="$BENCH_FAST_LOOPS busy loops + memory pressure (${FAST_RESULT["$load held"]:-?} MB held)"
    [[ $load == *_rt ]] && what+=", rt + no_swap"
    printf '   %-66s %-10s %-10s\n' "$what" "${FAST_RESULT["redvipd $load"]/ //}" "${FAST_RESULT["keepalived $load"]/ //}"
  done
}
