# The scale case for scripts/bench: two nodes, N instances each (VRIDs 1..N, one /32 VIP each, so
# that no VIP is a secondary that the kernel deletes with its primary) at VRRPv3 advert_int 0.1,
# node a (priority 150) master of all, node b (100) backup of all. Over SECONDS: CPU (utime +
# stime, % of one core) and VmRSS of each node's daemon (keepalived: its parent + VRRP child).
# redvipd and keepalived pairs run one after the other on the same LAN (the VRIDs would collide),
# alternating, RUNS times per N. Needs lib/topology.sh, lib/redvipd.sh, lib/keepalived.sh and
# bench_lib.sh sourced, and hosts r1 r2 k1 k2 made with topo_host.

# write_scale_conf FILE KIND NAME PRIORITY COUNT
write_scale_conf() {
  local file=$1 kind=$2 name=$3 prio=$4 count=$5 i
  {
    if [[ $kind == redvipd ]]; then
      printf 'redvip_defs {\n    control_socket %s\n}\n' "$(node_sock "$name")"
    else
      printf 'global_defs {\n    router_id %s\n}\n' "$name"
    fi
    for (( i = 1; i <= count; i++ )); do
      cat <<CONF
vrrp_instance VI_$i {
    state BACKUP
    interface eth0
    virtual_router_id $i
    priority $prio
    version 3
    advert_int 0.1
    virtual_ipaddress {
        10.83.$(( i / 256 )).$(( i % 256 ))/32
    }
}
CONF
    done
  } >"$file"
}

scale_vips() {  # HOST: how many 10.83/16 VIPs the host holds
  topo_exec "$1" ip -o -4 addr show dev eth0 to 10.83.0.0/16 2>/dev/null | wc -l
}
scale_settled() {  # A B COUNT: A holds every VIP, B none
  [[ $(scale_vips "$1") -eq $3 && $(scale_vips "$2") -eq 0 ]]
}

# bench_scale_once IMPL COUNT SECONDS: prints "a_cpu a_rss b_cpu b_rss" (% of a core, MB), or
# "unsettled" when node a did not end up master of all and b backup of all within 60 s.
bench_scale_once() {
  local impl=$1 count=$2 seconds=$3 a b h
  [[ $impl == redvipd ]] && { a=r1; b=r2; } || { a=k1; b=k2; }
  write_scale_conf "$TOPO_TMP/$a.scale.conf" "$impl" $a 150 "$count"
  write_scale_conf "$TOPO_TMP/$b.scale.conf" "$impl" $b 100 "$count"
  for h in $b $a; do
    if [[ $impl == keepalived ]]; then
      # As start_keepalived, without -D (detailed logs): as packaged.
      mkdir -p "$(keepalived_dir $h)"
      rm -f "$(keepalived_dir $h)"/*.pid
      topo_spawn "$h" "$TOPO_TMP/$h.log" "$KEEPALIVED" -n -l --vrrp -f "$TOPO_TMP/$h.scale.conf" \
        -p "$(keepalived_dir $h)/keepalived.pid" -r "$(keepalived_dir $h)/vrrp.pid" \
        -c "$(keepalived_dir $h)/checkers.pid"
      eval "PID_$h=$TOPO_LAST_PID"
      wait_until 10 test -s "$(keepalived_dir $h)/vrrp.pid" || fail "keepalived on $h did not start"
    else
      # Info, as packaged: debug logs every advert timer.
      topo_spawn "$h" "$TOPO_TMP/$h.log" "$REDVIPD" -f "$TOPO_TMP/$h.scale.conf" -l info
      eval "PID_$h=$TOPO_LAST_PID"
    fi
  done
  if ! wait_until 60 scale_settled $a $b "$count"; then
    echo "unsettled ($a holds $(scale_vips $a), $b holds $(scale_vips $b))"
    bench_stop $a; bench_stop $b
    for h in $a $b; do topo_exec $h ip addr flush dev eth0 to 10.83.0.0/16 2>/dev/null || true; done
    return 0
  fi
  sleep 2
  local pids_a pids_b pid_var
  if [[ $impl == keepalived ]]; then
    pids_a=$(keepalived_pids $a) pids_b=$(keepalived_pids $b)
  else
    pid_var=PID_$a; pids_a=${!pid_var}
    pid_var=PID_$b; pids_b=${!pid_var}
  fi
  local p ta0=0 tb0=0 ta1=0 tb1=0 ra=0 rb=0
  for p in $pids_a; do ta0=$(( ta0 + $(proc_ticks $p) )); done
  for p in $pids_b; do tb0=$(( tb0 + $(proc_ticks $p) )); done
  local start_ns end_ns; start_ns=$(date +%s%N)
  sleep "$seconds"
  end_ns=$(date +%s%N)
  for p in $pids_a; do ta1=$(( ta1 + $(proc_ticks $p) )); ra=$(( ra + $(proc_kb $p VmRSS) )); done
  for p in $pids_b; do tb1=$(( tb1 + $(proc_ticks $p) )); rb=$(( rb + $(proc_kb $p VmRSS) )); done
  local hz; hz=$(getconf CLK_TCK)
  awk -v ta=$(( ta1 - ta0 )) -v tb=$(( tb1 - tb0 )) -v ra=$ra -v rb=$rb -v hz="$hz" \
    -v s=$(( end_ns - start_ns )) 'BEGIN {
      printf "%.2f %.1f %.2f %.1f\n", ta / hz / (s / 1e9) * 100, ra / 1024, tb / hz / (s / 1e9) * 100, rb / 1024 }'
  bench_stop $a
  bench_stop $b
  for h in $a $b; do topo_exec $h ip addr flush dev eth0 to 10.83.0.0/16 2>/dev/null || true; done
}

# bench_scale RUNS SECONDS COUNTS...: fills SCALE_RESULT["COUNT IMPL a_cpu|a_rss|b_cpu|b_rss"].
declare -A SCALE_RESULT
bench_scale() {
  local runs=$1 seconds=$2; shift 2
  local count impl run out a_cpu a_rss b_cpu b_rss
  for count in "$@"; do
    echo "-- scale: $count instances at VRRPv3 advert_int 0.1, $seconds s, $runs runs"
    for (( run = 1; run <= runs; run++ )); do
      for impl in redvipd keepalived; do
        out=$(bench_scale_once $impl "$count" "$seconds")
        if [[ $out == unsettled* ]]; then
          echo "   run $run $impl: $out: not counted"
          continue
        fi
        read -r a_cpu a_rss b_cpu b_rss <<<"$out"
        echo "   run $run $impl: master cpu ${a_cpu}% rss ${a_rss} MB, backup cpu ${b_cpu}% rss ${b_rss} MB"
        SCALE_RESULT["$count $impl a_cpu"]+=" $a_cpu"
        SCALE_RESULT["$count $impl a_rss"]+=" $a_rss"
        SCALE_RESULT["$count $impl b_cpu"]+=" $b_cpu"
        SCALE_RESULT["$count $impl b_rss"]+=" $b_rss"
      done
    done
  done
}

# scale_median VALUES...: the median, keeping two decimals.
scale_median() {
  (( $# )) || { echo "-"; return; }
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    printf "%.2f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bench_scale_report() {
  local runs=$1 seconds=$2; shift 2
  local count rb kb
  echo
  echo "== scale: N instances at VRRPv3 advert_int 0.1, node a master of all, node b backup of all,"
  echo "   CPU (% of a core) and VmRSS (MB) over $seconds s, median of $runs runs"
  echo "   (target: backup of 255: redvipd CPU <= 1 % and <= 1/2 of keepalived's, RSS <= keepalived's)"
  printf '%6s  %-28s %-28s %-28s %-28s\n' N "backup redvipd cpu/rss" "backup keepalived cpu/rss" \
    "master redvipd cpu/rss" "master keepalived cpu/rss"
  for count in "$@"; do
    local cells=()
    for role in b a; do
      for impl in redvipd keepalived; do
        cells+=("$(scale_median ${SCALE_RESULT["$count $impl ${role}_cpu"]:-}) % / $(scale_median ${SCALE_RESULT["$count $impl ${role}_rss"]:-}) MB")
      done
    done
    printf '%6s  %-28s %-28s %-28s %-28s\n' "$count" "${cells[@]}"
  done
}
