#!/bin/bash
# redvipd and Debian's keepalived as the two nodes of one virtual router, both ways (keepalived
# master / redvipd backup, and the reverse), for VRRPv2 with PASS authentication at advert_int 1
# and VRRPv3 at advert_int 0.1, each over multicast and over unicast (unicast_src_ip /
# unicast_peer). In each case:
#   - the higher priority takes the VIP, and while things are stable exactly one node holds it
#     (sampled every ~50 ms; two holders or none fails);
#   - the master crashes (SIGKILL and cable cut): the other takes over, alone;
#   - the old master comes back and preempts; then SIGTERM on it: it releases with priority 0
#     and the other takes over within about one skew time, much sooner than master-down.
# Times are printed; the limits asserted only separate "worked" from "broken protocol".
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/keepalived.sh"

NET=10.79.0
VIP=$NET.200
topo_init kpi
topo_host k $NET.1   # keepalived
topo_host r $NET.2   # redvipd
declare -A ADDR=([k]=$NET.1 [r]=$NET.2)
declare -A KIND=([k]=keepalived [r]=redvipd)

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
only_holder() { [[ "$(vip_holders $VIP "${@:2}")" == "$1" ]]; }

# expect_holder SECONDS WANT HOSTS...: sample the holders every 50 ms; anything but WANT fails.
expect_holder() {
  local seconds=$1 want=$2 out; shift 2
  out=$(sample_vip_holders "$seconds" 50 $VIP "$want" "$@") || fail "$CASE: $out"
  echo "  $out over ${seconds}s: '$want' alone holds $VIP"
}

start_node() {  # start_node HOST
  local host=$1
  topo_exec "$host" ip addr del $VIP/24 dev eth0 2>/dev/null || true  # left by a crash
  if [[ ${KIND[$host]} == keepalived ]]; then start_keepalived "$host" "$TOPO_TMP/$host.conf"
  else start_redvipd "$host" "$TOPO_TMP/$host.conf"; fi
}
crash_node() {  # crash_node HOST: cable first, so not even a last advert leaves
  topo_cut "$1"
  if [[ ${KIND[$1]} == keepalived ]]; then crash_keepalived "$1"
  else kill -KILL "$PID_r"; wait "$PID_r" 2>/dev/null || true; fi
}
term_node() { local pid_var=PID_$1; kill -TERM "${!pid_var}"; }
wait_node() {  # wait_node HOST: the exit status of a SIGTERMed node
  local pid_var=PID_$1 rc=0
  wait "${!pid_var}" || rc=$?
  [[ $rc -eq 0 ]] || fail "$CASE: ${KIND[$1]} on $1 exited $rc on SIGTERM"
}

# capture_start HOST: VRRP on the LAN side of the host's cable (both directions, unicast too).
capture_start() {
  CAP_FILE=$TOPO_TMP/vrrp.pcap
  : >"$TOPO_TMP/tcpdump.err"
  ip netns exec "$TOPO_LAN" tcpdump -i "p$1" -nn --immediate-mode -U -w "$CAP_FILE" ip proto 112 \
    2>"$TOPO_TMP/tcpdump.err" &
  CAP_PID=$!
  TOPO_PIDS+=("$CAP_PID")
  wait_until 5 grep -q "listening on" "$TOPO_TMP/tcpdump.err" || fail "tcpdump did not start"
}
capture_stop() { kill -INT "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true; }
# capture_release_to_takeover_ms OLD NEW: from OLD's first priority 0 advert to NEW's next advert.
capture_release_to_takeover_ms() {
  tcpdump -r "$CAP_FILE" -tt -nn 2>/dev/null | awk -v old="$1" -v new="$2" '
    $3 == old && / prio 0,/ && !t0 { t0 = $1; next }
    t0 && $3 == new { printf "%d\n", ($1 - t0) * 1000; exit }'
}

# run_case VERSION ADVERT_INT CAST MASTER_HOST VRID
run_case() {
  local version=$1 advert=$2 cast=$3 hi=$4 vrid=$5
  local lo; [[ $hi == k ]] && lo=r || lo=k
  CASE="v$version advert $advert $cast, ${KIND[$hi]} master / ${KIND[$lo]} backup"
  echo "== $CASE"
  local case_t0; case_t0=$(now_ms)
  # Master-down and skew of the backup (priority 100), in ms; generous limits derive from them.
  local adv_ms md_ms skew_ms
  adv_ms=$(awk -v a="$advert" 'BEGIN { printf "%d", a * 1000 }')
  skew_ms=$(( (256 - 100) * adv_ms / 256 ))
  md_ms=$(( 3 * adv_ms + skew_ms ))

  local h other src peer
  for h in k r; do
    [[ $h == k ]] && other=r || other=k
    src=""; peer=""
    [[ $cast == unicast ]] && { src=${ADDR[$h]}; peer=${ADDR[$other]}; }
    local prio=100; [[ $h == "$hi" ]] && prio=150
    write_vrrp_conf "$TOPO_TMP/$h.conf" "${KIND[$h]}" "$h" $prio "$version" "$advert" "$vrid" \
      $VIP $src $peer
    : >"$TOPO_TMP/$h.log"
  done

  # --- election
  local t0 took
  t0=$(now_ms)
  start_node "$hi"; start_node "$lo"
  wait_until $(( md_ms / 1000 + 5 )) only_holder "$hi" k r ||
    fail "$CASE: ${KIND[$hi]} (priority 150) did not become the only holder: '$(vip_holders $VIP k r)'"
  echo "  election: ${KIND[$hi]} holds the VIP after $(( $(now_ms) - t0 )) ms"
  expect_holder 2 "$hi" k r

  # --- the master crashes
  t0=$(now_ms)
  crash_node "$hi"
  wait_until $(( md_ms / 1000 + 5 )) has_vip "$lo" $VIP ||
    fail "$CASE: ${KIND[$lo]} did not take over after the master crashed"
  took=$(( $(now_ms) - t0 ))
  echo "  crash: ${KIND[$lo]} holds the VIP after $took ms (master-down $md_ms ms)"
  (( took < md_ms + 2000 )) || fail "$CASE: takeover after the crash took $took ms"
  expect_holder 1 "$lo" "$lo"

  # --- the old master returns and preempts
  topo_heal "$hi"
  t0=$(now_ms)
  start_node "$hi"
  wait_until $(( md_ms / 1000 + 5 )) only_holder "$hi" k r ||
    fail "$CASE: returning ${KIND[$hi]} did not preempt: holders '$(vip_holders $VIP k r)'"
  echo "  return: ${KIND[$hi]} preempts after $(( $(now_ms) - t0 )) ms"
  expect_holder 1 "$hi" k r

  # --- SIGTERM on the master: it sends priority 0 and the backup takes over after its skew
  # time. A backup ignoring the release would wait until master-down after the master's last
  # regular advert: at least master-down minus one advert interval after the priority 0 advert.
  # The wire says which: the capture on the backup's port has both packets.
  capture_start "$lo"
  t0=$(now_ms)
  term_node "$hi"
  wait_until 5 has_vip "$lo" $VIP || fail "$CASE: ${KIND[$lo]} did not take over after SIGTERM"
  took=$(( $(now_ms) - t0 ))
  wait_node "$hi"
  has_vip "$hi" $VIP && fail "$CASE: ${KIND[$hi]} kept the VIP after SIGTERM"
  sleep 0.2  # the new master's first adverts
  capture_stop
  local release
  release=$(capture_release_to_takeover_ms "${ADDR[$hi]}" "${ADDR[$lo]}")
  echo "  SIGTERM: ${KIND[$lo]} holds the VIP after $took ms; its first advert ${release} ms after" \
    "the priority 0 advert (skew $skew_ms ms, master-down $md_ms ms)"
  [[ $release =~ ^[0-9]+$ ]] || fail "$CASE: no priority 0 advert followed by a takeover in the capture"
  (( release < skew_ms + (md_ms - adv_ms - skew_ms) / 2 )) ||
    fail "$CASE: ${KIND[$lo]} took over $release ms after the priority 0 advert: release not honoured"
  expect_holder 1 "$lo" k r

  term_node "$lo"; wait_node "$lo"
  has_vip "$lo" $VIP && fail "$CASE: ${KIND[$lo]} kept the VIP after SIGTERM"
  pass "$CASE ($(( $(now_ms) - case_t0 )) ms)"
}

vrid=60
for spec in "3 0.1 multicast" "3 0.1 unicast" "2 1 multicast" "2 1 unicast"; do
  for hi in k r; do
    vrid=$(( vrid + 1 ))
    # shellcheck disable=SC2086
    run_case $spec $hi $vrid
  done
done
echo "interop_keepalived: all passed"
