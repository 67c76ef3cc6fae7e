# Functions for scripts/bench. Needs lib/topology.sh, lib/redvipd.sh, lib/keepalived.sh sourced
# and hosts c (the client), r1 r2 (redvipd), k1 k2 (keepalived) made with topo_host (and r3 k3
# for the Redis scenario three_nodes).
BENCH_NET=10.82.0
BENCH_VIP=$BENCH_NET.200
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bench_addr() {
  case $1 in
    r1) echo $BENCH_NET.1 ;; r2) echo $BENCH_NET.2 ;; r3) echo $BENCH_NET.3 ;;
    k1) echo $BENCH_NET.11 ;; k2) echo $BENCH_NET.12 ;; k3) echo $BENCH_NET.13 ;;
  esac
}

# bench_master_down_ms ADVERT_S PRIORITY: 3 * advert + (256 - priority) * advert / 256
bench_master_down_ms() {
  awk -v a="$1" -v p="$2" 'BEGIN { printf "%d", 3 * a * 1000 + (256 - p) * a * 1000 / 256 }'
}

bench_start() {  # bench_start IMPL HOST CONF
  topo_exec "$2" ip addr del "$BENCH_VIP/24" dev eth0 2>/dev/null || true
  if [[ $1 == keepalived ]]; then start_keepalived "$2" "$3"; else start_redvipd "$2" "$3"; fi
}
bench_stop() {  # bench_stop HOST: SIGTERM and wait
  local pid_var=PID_$1
  kill -TERM "${!pid_var}" 2>/dev/null || true
  wait "${!pid_var}" 2>/dev/null || true
}
# The command the prober runs right after a master advert: the cable first, so nothing leaves.
bench_crash_cmd() {  # IMPL HOST
  local pid_var=PID_$2
  if [[ $1 == keepalived ]]; then
    echo "ip -n $TOPO_LAN link set p$2 down; kill -STOP ${!pid_var}; kill -KILL $(keepalived_vrrp_pid "$2") ${!pid_var}"
  else
    echo "ip -n $TOPO_LAN link set p$2 down; kill -KILL ${!pid_var}"
  fi
}

# bench_failover IMPL VERSION ADVERT RUNS: sets BENCH_OUTAGES and BENCH_GAPS (ms, one per run).
bench_failover() {
  local impl=$1 version=$2 advert=$3 runs=$4 a b
  [[ $impl == redvipd ]] && { a=r1; b=r2; } || { a=k1; b=k2; }
  write_vrrp_conf "$TOPO_TMP/$a.conf" "$impl" $a 150 "$version" "$advert" 90 $BENCH_VIP
  write_vrrp_conf "$TOPO_TMP/$b.conf" "$impl" $b 100 "$version" "$advert" 90 $BENCH_VIP
  local md; md=$(bench_master_down_ms "$advert" 100)
  local wait_s=$(( md / 1000 * 2 + 5 ))
  BENCH_OUTAGES="" BENCH_GAPS=""
  bench_start "$impl" $b "$TOPO_TMP/$b.conf"
  echo "-- $impl, VRRPv$version advert_int $advert (master-down $md ms)"
  local run out
  for (( run = 1; run <= runs; run++ )); do
    topo_heal $a
    bench_start "$impl" $a "$TOPO_TMP/$a.conf"
    wait_until $wait_s only_bench_holder $a || fail "$impl: $a did not become the only VIP holder"
    sleep 0.3
    out=$(topo_exec c python3 "$BENCH_DIR/failover_probe.py" --vip $BENCH_VIP \
      --master "$(bench_addr $a)" --local $BENCH_NET.100 --crash "$(bench_crash_cmd "$impl" $a)" \
      --timeout-s $(( wait_s + 5 ))) || fail "$impl run $run: $out"
    local pid_var=PID_$a
    wait "${!pid_var}" 2>/dev/null || true
    has_vip $b $BENCH_VIP || fail "$impl run $run: the backup does not hold the VIP"
    echo "   run $run: $out"
    BENCH_OUTAGES+=" $(sed -n 's/.*outage=\([0-9.]*\).*/\1/p' <<<"$out")"
    BENCH_GAPS+=" $(sed -n 's/.*max_gap=\([0-9.]*\).*/\1/p' <<<"$out")"
  done
  topo_exec $a ip addr del "$BENCH_VIP/24" dev eth0 2>/dev/null || true  # the crash's leftover
  topo_heal $a
  bench_stop $b
}
only_bench_holder() { [[ "$(vip_holders $BENCH_VIP r1 r2 k1 k2)" == "$1" ]]; }

# bench_stats VALUES...: "median min max"
bench_stats() {
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.0f %.0f %.0f\n", m, v[1], v[NR] }'
}
bench_fmt() { local m lo hi; read -r m lo hi <<<"$1"; echo "$m ($lo..$hi)"; }

# /proc figures: ticks of CPU (utime + stime) and kB of VmRSS / RssAnon.
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# bench_resources SECONDS: both pairs at 0.1 s adverts at once; fills BENCH_RESOURCES
# ("name rss_mb anon_mb cpu_pct" per node).
bench_resources() {
  local seconds=$1 h impl
  echo "-- resources: redvipd and keepalived pairs at VRRPv3 advert_int 0.1 for $seconds s"
  write_vrrp_conf "$TOPO_TMP/r1.conf" redvipd r1 150 3 0.1 91 $BENCH_NET.201
  write_vrrp_conf "$TOPO_TMP/r2.conf" redvipd r2 100 3 0.1 91 $BENCH_NET.201
  write_vrrp_conf "$TOPO_TMP/k1.conf" keepalived k1 150 3 0.1 92 $BENCH_NET.202
  write_vrrp_conf "$TOPO_TMP/k2.conf" keepalived k2 100 3 0.1 92 $BENCH_NET.202
  for h in r1 r2 k1 k2; do
    [[ $h == r* ]] && impl=redvipd || impl=keepalived
    bench_start $impl $h "$TOPO_TMP/$h.conf"
  done
  wait_until 10 has_vip r1 $BENCH_NET.201 || fail "redvipd r1 not master"
  wait_until 10 has_vip k1 $BENCH_NET.202 || fail "keepalived k1 not master"
  sleep 1
  declare -A pids t0
  local pid_var
  for h in r1 r2; do pid_var=PID_$h; pids[$h]=${!pid_var}; done
  for h in k1 k2; do pid_var=PID_$h; pids[$h]="${!pid_var} $(keepalived_vrrp_pid $h)"; done
  local p sum
  for h in r1 r2 k1 k2; do
    sum=0; for p in ${pids[$h]}; do sum=$(( sum + $(proc_ticks $p) )); done; t0[$h]=$sum
  done
  local start_ns end_ns; start_ns=$(date +%s%N)
  sleep "$seconds"
  end_ns=$(date +%s%N)
  local hz; hz=$(getconf CLK_TCK)
  BENCH_RESOURCES=()
  local rss anon role
  for h in r1 r2 k1 k2; do
    sum=0 rss=0 anon=0
    for p in ${pids[$h]}; do
      sum=$(( sum + $(proc_ticks $p) ))
      rss=$(( rss + $(proc_kb $p VmRSS) )); anon=$(( anon + $(proc_kb $p RssAnon) ))
    done
    [[ $h == *1 ]] && role=master || role=backup
    [[ $h == r* ]] && impl=redvipd || impl="keepalived(x$(wc -w <<<"${pids[$h]}"))"
    BENCH_RESOURCES+=("$impl-$role $(awk -v k=$rss 'BEGIN { printf "%.1f", k / 1024 }') \
$(awk -v k=$anon 'BEGIN { printf "%.1f", k / 1024 }') \
$(awk -v t=$(( sum - t0[$h] )) -v hz="$hz" -v ns=$(( end_ns - start_ns )) 'BEGIN { printf "%.2f", t / hz / (ns / 1e9) * 100 }')")
  done
  for h in r1 r2 k1 k2; do bench_stop $h; done
}
