#!/bin/bash
# 255 instances on one pair at 0.1 s adverts (scripts/bench --scale's case, as a test): node a
# master of all, node b backup of all. The master sends its adverts in one burst per interval
# (they share the interval's grid), so the backup's receive path reads bursts of 255 packets,
# past the 64 it reads per turn: over 10 s every instance on b must hear about one advert per interval (none
# lost, none late enough to time out), b must never take a VIP and never defer master-down; then
# a's crash hands all 255 VIPs to b. Bounds are generous: they catch a broken path, not a slow
# machine.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
require_cmd python3

COUNT=255
topo_init rsc
topo_host a 10.86.0.1
topo_host b 10.86.0.2

# The bench's configuration: VRID i with the /32 VIP 10.83.x.y, VRRPv3 at 0.1 s.
source "$REDVIP_SOURCE_DIR/tests/bench/bench_scale.sh"
conf() {  # conf HOST PRIORITY
  write_scale_conf "$TOPO_TMP/$1.conf" redvipd "$1" "$2" "$COUNT"
  echo "$TOPO_TMP/$1.conf"
}
vips() { scale_vips "$1"; }
settled() { scale_settled a b "$COUNT"; }
# received HOST: "name count" per instance, from status --json
received() {
  ctl "$1" status --json | python3 -c '
import json, sys
for i in json.load(sys.stdin)["instances"]:
    print(i["name"], i["adverts_received"], i["state"], i["master_down_deferred"])'
}

# Info logs: debug would log every advert of 255 instances.
topo_spawn b "$TOPO_TMP/b.log" "$REDVIPD" -f "$(conf b 100)" -l info
PID_b=$TOPO_LAST_PID
topo_spawn a "$TOPO_TMP/a.log" "$REDVIPD" -f "$(conf a 150)" -l info
PID_a=$TOPO_LAST_PID
wait_until 60 settled || fail "not settled: a holds $(vips a) VIPs, b $(vips b)"
pass "a master of all $COUNT instances, b backup of all"

before=$(received b)
start_ns=$(date +%s%N)
for (( s = 0; s < 20; s++ )); do
  sleep 0.5
  held=$(vips b)
  [[ $held -eq 0 ]] || fail "b took $held VIPs while a was master"
done
after=$(received b)
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
# Each instance: adverts heard over the window against one per 100 ms; all still BACKUP.
python3 - "$elapsed_ms" "$COUNT" <<PY || fail "adverts missing on b (before/after in the log above)"
import sys
elapsed, count = int(sys.argv[1]), int(sys.argv[2])
before = {l.split()[0]: int(l.split()[1]) for l in """$before""".splitlines()}
rows = [l.split() for l in """$after""".splitlines()]
assert len(rows) == count, f"{len(rows)} instances"
expected = elapsed / 100
worst = min(int(r[1]) - before[r[0]] for r in rows)
print(f"b heard {worst}..{max(int(r[1]) - before[r[0]] for r in rows)} adverts per instance in {elapsed} ms (one per 100 ms: {expected:.0f})")
assert worst >= 0.9 * expected - 2, f"an instance heard only {worst}"
assert all(r[2] == "BACKUP" for r in rows), "an instance left BACKUP"
assert all(r[3] == "0" for r in rows), "master-down deferred without a stall"
PY
pass "every instance on b heard the master's adverts, none lost in the bursts"

kill -KILL "$PID_a"
crash_ns=$(date +%s%N)
all_on_b() { [[ $(vips b) -eq $COUNT ]]; }
wait_until 10 all_on_b || fail "b holds $(vips b) of $COUNT VIPs 10 s after a crashed"
pass "a crashed: b holds all $COUNT VIPs after $(( ($(date +%s%N) - crash_ns) / 1000000 )) ms"
