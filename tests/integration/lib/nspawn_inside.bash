# Sourced first by the checks that run inside a test container (/redvip-test/run, written by
# lib/nspawn.sh's callers): the namespace helpers of the other integration tests, plus a view of
# redvip.service as systemd sees it. On exit it saves the journal and writes /redvip-test/result
# (PASS, or the failure), which the host reads after the container powered off. Nothing here
# needs cleaning: the whole container goes away at poweroff.
set -euo pipefail
T=/redvip-test
export REDVIP_BUILD_DIR=$T/build   # tests/integration/vip_writer, copied in by the host
source "$T/lib/topology.sh"
source "$T/lib/redvipd.sh"
source "$T/lib/redis.sh"

inside_finish() {
  local rc=$?
  set +e
  journalctl -b --no-pager -o short-monotonic >"$T/journal.txt" 2>&1
  if ((rc == 0)); then
    echo PASS >"$T/result"
  else
    [[ -n ${TOPO_TMP:-} && -d $TOPO_TMP ]] && cp -a "$TOPO_TMP" "$T/logs"
    echo "exit $rc: $(grep '^FAIL' "$T/run.log" | tail -1)" >"$T/result"
  fi
}
trap inside_finish EXIT

# topology.sh's topo_init, without its cleanup trap: the container's poweroff is the cleanup.
inside_topo_init() {
  topo_init "$1"
  trap inside_finish EXIT
  trap - INT TERM
}

step() { echo; echo "== $* ($(date +%T.%3N))"; }

unit_prop() { systemctl show -p "$2" --value "$1"; }
main_pid() { unit_prop redvip MainPID; }
# For wait_until, which runs a command again and again (a $(...) argument is read only once).
restarts_above() { (( $(unit_prop redvip NRestarts) > $1 )); }
substate_is() { [[ $(unit_prop redvip SubState) == "$1" ]]; }
# The journal of redvip.service from a mark on: journal_mark, then journal_since_mark / _has.
journal_mark() { J_MARK=$(journalctl -b -u redvip -o cat --no-pager | wc -l); }
journal_since_mark() { journalctl -b -u redvip -o cat --no-pager | tail -n +$((J_MARK + 1)); }
journal_has() { journal_since_mark | grep -qE "$1"; }
# wait_journal SECONDS REGEX: journald may take a moment to store a line.
wait_journal() { wait_until "$1" journal_has "$2" || { journal_since_mark | tail -20; fail "no journal line /$2/"; }; }
proc_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
local_vip() { ip -o addr show dev eth0 | grep -q " $1/"; }
no_local_vip() { ! local_vip "$1"; }
ms_since() { echo $(( $(now_ms) - $1 )); }

# The checks of a running redvip.service: its user, capabilities and no_new_privs.
check_privileges() {
  local pid=$1 key value uid
  uid=$(id -u redvip)
  [[ $(proc_field "$pid" Uid | awk '{print $1}') == "$uid" ]] || fail "redvipd runs as uid $(proc_field "$pid" Uid), not redvip ($uid)"
  for key in CapEff CapPrm CapBnd; do
    value=$(proc_field "$pid" "$key")
    [[ $value == 0000000000003000 ]] || fail "$key is $value, want 0000000000003000 (CAP_NET_ADMIN, CAP_NET_RAW)"
  done
  [[ $(proc_field "$pid" CapInh) == 0000000000000000 ]] || fail "CapInh is $(proc_field "$pid" CapInh)"
  [[ $(proc_field "$pid" NoNewPrivs) == 1 ]] || fail "no_new_privs is not set"
  pass "pid $pid: user redvip, CapEff=CapPrm=CapBnd 0x3000, NoNewPrivs 1"
}
