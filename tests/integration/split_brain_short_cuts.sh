#!/bin/bash
# Split brain, many short ones (issue 10), diverged_writes_merge on: the link between the nodes is
# cut ten times for 200-500 ms while the client reaches both and writes through the VIP, each cut
# healed 1.5 s before the next. At advert_int 0.1 the master-down interval is ~360 ms (341 ms for
# n1, 361 ms for n2) after the last advert heard, which came up to 100 ms before the cut: cuts
# under ~260 ms end before the backup can take over, cuts over ~360 ms always let it (a split
# brain of a few adverts), and between the two it depends on where the cut fell in the interval.
# The promise is split_brain_merge's: after the last heal, one VIP holder, consistent roles, and
# every acknowledged write on the final master, however the cuts fell.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"
source "$HERE/lib/split_brain.sh"

topo_init rsc
# Deterministic durations in ms, 5 under the master-down interval and 5 over it, short and long
# alternating: a short cut then comes right after a long cut's heal, while a merge may still be
# settling, as on a flapping link.
read -ra CUTS_MS <<<"${SHORT_CUTS_MS:-200 500 230 470 270 430 300 400 330 370}"
SETTLE_S=${SHORT_CUTS_SETTLE_S:-1.5}

# The first time writes resumed at or after ms-of-day $1 and before $2, in ms after $1; empty
# when they did not (they never failed, or are still failing).
resumed_between() {
  local since=$1 until=$2 t rest at
  while read -r t _ rest; do
    [[ "$rest" == "writes resumed"* ]] || continue
    at=$(ms_of_day "$t")
    if (( at >= since && at < until )); then echo $(( at - since )); return; fi
  done < <(grep 'writer: ' "$W_LOG")
}
# A wall-clock µs from ${EPOCHREALTIME/./} (no fork) as ms of day, as the writer's events print.
us_of_day() { local hms; printf -v hms '%(%H:%M:%S)T.%03d' $(( $1 / 1000000 )) $(( $1 / 1000 % 1000 )); ms_of_day "$hms"; }
log_size() { stat -c %s "$TOPO_TMP/$1.log"; }
# since_cut I FILE: what node FILE logged from the start of cut I to the start of the next one.
since_cut() { head -c "${OFF[$2:$(( $1 + 1 ))]}" "$TOPO_TMP/$2.log" | tail -c +"$(( ${OFF[$2:$1]} + 1 ))"; }

# As split_brain_run: merge on, a backlog that keeps every fork's history for the comparison.
RVD_REDIS_EXTRA="diverged_writes_dir $TOPO_TMP/diverged
        diverged_writes_merge on" two_nodes_up --repl-backlog-size 64mb --repl-backlog-ttl 0
pass "n1 master, n2's Redis follows it"
# No duration: the writer runs until it is stopped after the last heal has settled.
writer_start c --events --acked-file "$TOPO_TMP/acked"
sleep 1.5

declare -A OFF
CUT_AT=() HEAL_AT=() REAL_MS=() AFTER=()
n=${#CUTS_MS[@]}
for (( i = 0; i < n; i++ )); do
  OFF[n1:$i]=$(log_size n1) OFF[n2:$i]=$(log_size n2)
  split_on n1
  t=${EPOCHREALTIME/./}
  split_on n2  # the link is cut once both ports are isolated
  cut=${EPOCHREALTIME/./}
  # A fork costs tens of ms here, as much as the cuts differ by: the heal is started as early as
  # isolating a port just took, and the last few ms are waited for without one.
  heal_start=$(( cut + CUTS_MS[i] * 1000 - (cut - t) ))
  left=$(( heal_start - 30000 - ${EPOCHREALTIME/./} ))
  (( left <= 0 )) || sleep "$(printf '%d.%06d' $(( left / 1000000 )) $(( left % 1000000 )))"
  while (( ${EPOCHREALTIME/./} < heal_start )); do :; done
  split_off n1  # isolated ports reach no isolated port: one side off heals the link
  heal=${EPOCHREALTIME/./}
  split_off n2
  CUT_AT[i]=$(us_of_day "$cut") HEAL_AT[i]=$(us_of_day "$heal")
  REAL_MS[i]=$(( (heal - cut) / 1000 ))
  sleep "$SETTLE_S"
  # What the settle left (shown, not asserted: only the end state is promised).
  AFTER[i]="VIP on '$(vip_holders "$VIP" n1 n2)', redis n1 $(redis_info_field n1 role) n2 $(redis_info_field n2 role)"
done
OFF[n1:$n]=$(log_size n1) OFF[n2:$n]=$(log_size n2)

wait_until 10 one_holder n1 n2 || fail "VIP holders after the last heal: '$(vip_holders "$VIP" n1 n2)'"
wait_until 15 final_master >/dev/null || fail "no consistent master/replica pair after the last heal: n1 $(redis_info_field n1 role) n2 $(redis_info_field n2 role), VIP on '$(vip_holders "$VIP" n1 n2)'"
m=$(final_master)
# A second of writes to the settled master, then the writer's acknowledged keys are final.
sleep 1
END_AT=$(clock_ms_of_day)
kill -TERM "$W_PID"
writer_wait
{ one_holder n1 n2 && [[ "$(final_master)" == "$m" ]]; } ||
  fail "the pair did not stay settled: VIP on '$(vip_holders "$VIP" n1 n2)', n1 $(redis_info_field n1 role) n2 $(redis_info_field n2 role)"

# Per cut: a split brain is one node hearing the other as master too (logged by both, once the
# link is back); the client's outage is the one that ended after the heal, before the next cut.
splits=0 merges=0 max_resume=0 max_outage=0
for (( i = 0; i < n; i++ )); do
  next=$(( i + 1 < n ? CUT_AT[i + 1] : END_AT ))
  logs=$(since_cut "$i" n1; since_cut "$i" n2)
  sb=no
  grep -q "is master too" <<<"$logs" && { sb=yes; splits=$(( splits + 1 )); }
  merges=$(( merges + $(grep -c "split brain: merged .* onto" <<<"$logs" || true) ))
  takeover=$(grep -c -- " -> MASTER: " <<<"$logs" || true)
  resumed=$(resumed_between "${HEAL_AT[i]}" "$next")
  outage=$(max_outage_between "${HEAL_AT[i]}" "$next")
  [[ -n $resumed ]] && (( resumed > max_resume )) && max_resume=$resumed
  (( outage > max_outage )) && max_outage=$outage
  echo "cut $(( i + 1 )): ${CUTS_MS[i]} ms (measured ${REAL_MS[i]}), takeovers $takeover, split brain $sb, writes resumed ${resumed:-(never stopped)}${resumed:+ ms after the heal}, gap ${outage} ms; settled: ${AFTER[i]}"
done
grep -h "split brain" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log | sed 's/^/  /' | tail -20

# (verify-only exits 1 when it cannot read the master: checked below, with what it printed)
check=$(topo_exec c "$VIP_WRITER" --verify-only "$(topo_exec "$m" ip -4 -o addr show dev eth0 | awk '{sub("/.*","",$4); print $4; exit}'):6379" --acked-file "$TOPO_TMP/acked" 2>&1 | tail -1) || true
lost=$(sed -n 's/.* lost=\([0-9-]*\).*/\1/p' <<<"$check")
acked=$(sed -n 's/.*acked=\([0-9]*\).*/\1/p' <<<"$check")
# A takeover whose old master advertised again during the catch-up is refused (promotion.cpp).
back=$(cat "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log | grep -c "advertises again (it was only cut off" || true)
echo "FIGURES split_brain_short_cuts: cuts=$n acked=$acked lost=$lost split_brains=$splits merges=$merges refused_old_master_back=$back final_master=$m max_resume_after_heal_ms=$max_resume max_heal_outage_ms=$max_outage writer_outage_ms=$W_OUTAGE"
# The writer's last event: writes to the settled master must succeed, not still be failing.
[[ "$(grep 'writer: ' "$W_LOG" | tail -1)" != *"write failed"* ]] ||
  fail "writes through the VIP were still failing when the writer stopped: $(grep 'writer: ' "$W_LOG" | tail -1)"
# Cuts of 370-500 ms outlast the master-down interval: without a split brain the test tested nothing.
(( splits >= 1 )) || fail "none of the $n cuts made a split brain (no 'is master too' logged)"
[[ $lost =~ ^[0-9]+$ ]] || fail "could not verify the acknowledged writes on $m: $check"
(( acked > 0 )) || fail "no write was acknowledged: nothing was tested ($check)"
# Here the old master is never gone: it advertises within 100 ms of every heal, inside the
# 200 ms catch-up, so no takeover may promote over it without its writes (promotion.cpp).
! grep -h "promoting all the same" "$TOPO_TMP"/n1.log "$TOPO_TMP"/n2.log ||
  fail "a node promoted over an old master it had not caught up with, although it was alive"
(( lost == 0 )) || fail "$lost of $acked acknowledged writes are not on the final master $m"
pass "$n short cuts ($splits split brains, $merges merges): one VIP holder $m, its Redis master, the other's its replica, all $acked acknowledged writes on it"
