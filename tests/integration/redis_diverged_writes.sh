#!/bin/bash
# Split brain, reconciled by data (issue 10's building blocks, driven by tools/diverge_tool the
# way the role controller will): two redis-server 7.0 diverge as in a network split (b replica
# of a; b's cable cut; b promoted; both take writes, some on the same keys), then after the heal
#  - the verdict from both INFOs: by bytes, and with each side's writes counted from its stream
#    (a's keep-alive PINGs to its lost replica are no writes);
#  - the yielder's writes since the fork are saved (PSYNC from its backlog) to a private file
#    that `redis-cli --pipe` replays onto a fresh server to exactly those writes, in the
#    database they were made in (learnt from the bytes before the fork);
#  - the merge replays onto the keeper what does not conflict; the conflicts file holds the rest;
#  - the yielder then resyncs from the keeper;
#  - with a backlog too small to reach the fork, the saver falls back to the RDB;
#  - figures: saving and merging N writes (DIVERGE_N, default 50000).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib/topology.sh"
source "$HERE/lib/redvipd.sh"
source "$HERE/lib/redis.sh"
require_cmd redis-check-rdb redis-benchmark

topo_init rdw
TOOL=$TOPO_TOOLS/diverge_tool
[[ -x "$TOOL" ]] || skip "diverge_tool not built"
N=${DIVERGE_N:-50000}
SAVED=$TOPO_TMP/saved
topo_host a 10.77.0.1
topo_host b 10.77.0.2
topo_host c 10.77.0.9
topo_host f 10.77.0.5
topo_host g 10.77.0.6
A=10.77.0.1:6379
B=10.77.0.2:6379

tool() { topo_exec c "$TOOL" "$@" 2>>"$TOPO_TMP/tool.log"; }
field() { sed -n "s/^$1=//p" <<<"$2" | head -1; }
# pipe_to ADDRESS FILE: replays FILE with redis-cli --pipe from c; prints its summary line.
pipe_to() {
  local out
  out=$(topo_exec c redis-cli -h "$1" -p 6379 --pipe <"$2" 2>&1)
  grep -q 'errors: 0' <<<"$out" || fail "redis-cli --pipe of $2 into $1 reported errors: $out"
  tail -1 <<<"$out"
}
# keys HOST DB: the sorted key names in that database.
keys_of() { rcli "$1" -n "$2" --scan | sort | tr '\n' ' '; }
same_value() { [[ "$(rcli "$1" -n "$3" GET "$4")" == "$(rcli "$2" -n "$3" GET "$4")" ]]; }
synced() { [[ "$(redis_info_field "$1" master_repl_offset)" == "$(redis_info_field "$2" master_repl_offset)" ]]; }

echo "== two servers, one history: b replicates a"
redis_start a --repl-ping-replica-period 1
redis_start b
rcli b REPLICAOF 10.77.0.1 6379 >/dev/null
wait_until 10 redis_follows b 10.77.0.1 || fail "b does not follow a"
rcli a SET pre:0 v0 >/dev/null
rcli a -n 3 SET pre:3 v3 >/dev/null  # the last write before the fork is in database 3
wait_until 5 synced b a || fail "b did not catch up with a"

echo "== the split: b's cable is cut and b is promoted; both take writes"
topo_isolate b
rcli b REPLICAOF NO ONE >/dev/null
big=$(head -c 3000 /dev/zero | tr '\0' A)
# a: 11 commands, large values, all but the last in database 3 without a SELECT of their own.
rcli a -n 3 SET both:1 "a-$big" >/dev/null
rcli a -n 3 SET a:only:1 "a1-$big" >/dev/null
printf 'SELECT 3\nMULTI\nSET a:tx:1 x\nSET both:2 a\nEXEC\nMULTI\nSET a:tx:2 y\nSET a:tx:3 z\nEXEC\n' | rcli a >/dev/null
rcli a -n 3 SET both:3 a3 >/dev/null
rcli a -n 3 RENAME both:3 a:renamed >/dev/null
rcli a -n 3 SET a:renamed z2 >/dev/null
rcli a PUBLISH news hello >/dev/null
rcli a -n 0 SET a:only:db0 v >/dev/null
# b: 16 small commands, some on a's keys.
for k in both:1 both:2 both:3; do rcli b -n 3 SET "$k" "b-$k" >/dev/null; done
for i in $(seq 12); do rcli b -n 3 SET "b:only:$i" "$i" >/dev/null; done
rcli b -n 0 SET b:only:db0 x >/dev/null
sleep 2.5  # a keeps PINGing the replica it lost (repl-ping-replica-period 1)
topo_join b
pass "diverged"

echo "== the verdict"
v=$(tool verdict $A $B)
[[ "$(field fork_kind "$v")" == diverged ]] || fail "not diverged: $v"
fork=$(field fork "$v")
[[ "$(field keeper "$v")" == a ]] || fail "by bytes a (large values, PINGs) should keep: $v"
vc=$(tool verdict $A $B count)
echo "$vc" | grep -E '^(count_|keeper|reason)' | sed 's/^/  /'
[[ "$(field keeper "$vc")" == b ]] || fail "counted, b (16 writes) should keep over a (11): $vc"
grep -q '^count_a=ok commands=11 keepalives=[1-9]' <<<"$vc" || fail "a's writes not counted as 11 plus keep-alives: $vc"
grep -q '^count_b=ok commands=16 ' <<<"$vc" || fail "b's writes not counted as 16: $vc"
[[ "$(field save_from "$vc")" == $((fork + 1)) ]] || fail "save_from is not fork + 1: $vc"
pass "fork at $fork; by bytes a keeps, by commands b keeps"

echo "== save a's writes since the fork"
s=$(tool save $A $B "$SAVED" count) || fail "save failed: $s $(cat "$TOPO_TMP/tool.log")"
echo "$s" | grep -E '^(result|kind|path|commands|bytes|db_at_fork|save_ms)=' | sed 's/^/  /'
file=$(field path "$s")
[[ "$(field kind "$s")" == stream && -f "$file" ]] || fail "no stream file: $s"
[[ "$(field commands "$s")" == 11 ]] || fail "saved $(field commands "$s") commands, a took 11"
[[ "$(field db_at_fork "$s")" == 3 ]] || fail "the database at the fork is 3, the save says $(field db_at_fork "$s")"
[[ "$(stat -c %a "$file")" == 600 && "$(stat -c %a "$SAVED")" == 700 ]] ||
  fail "file/directory modes $(stat -c %a "$file")/$(stat -c %a "$SAVED"), want 600/700"
pass "saved to $(basename "$file") (0600 in a 0700 directory)"

echo "== the file replays onto a fresh server to exactly a's writes since the fork"
redis_start f
pipe_to 10.77.0.5 "$file" | sed 's/^/  /'
want3="a:only:1 a:renamed a:tx:1 a:tx:2 a:tx:3 both:1 both:2 "
[[ "$(keys_of f 3)" == "$want3" ]] || fail "db 3 of the replay: '$(keys_of f 3)', want '$want3'"
[[ "$(keys_of f 0)" == "a:only:db0 " ]] || fail "db 0 of the replay: '$(keys_of f 0)'"
for k in a:only:1 a:renamed a:tx:1 a:tx:2 a:tx:3 both:1 both:2; do
  same_value f a 3 "$k" || fail "replayed $k differs from a's"
done
pass "replayed: exactly a's 8 keys, with a's values, in a's databases; nothing from before the fork"

echo "== merge a's writes onto b"
m=$(tool merge $A $B "$file") || fail "merge failed: $m $(cat "$TOPO_TMP/tool.log")"
echo "$m" | grep -E '^(result|replayed|kept|refused|keeper_commands|conflicts|merge_ms|sample)=' | sed 's/^/  /'
[[ "$(field replayed "$m")" == 4 && "$(field kept "$m")" == 7 ]] ||
  fail "replayed $(field replayed "$m") / kept $(field kept "$m"), want 4 / 7"
for k in both:1 both:2 both:3; do
  [[ "$(rcli b -n 3 GET "$k")" == "b-$k" ]] || fail "b lost its own $k"
done
for k in a:only:1 a:tx:2 a:tx:3; do same_value b a 3 "$k" || fail "b lacks a's $k"; done
same_value b a 0 a:only:db0 || fail "b lacks a's a:only:db0"
[[ "$(rcli b -n 3 EXISTS a:tx:1)" == 0 ]] || fail "a:tx:1 (a transaction with a conflicting key) was replayed"
[[ "$(rcli b -n 3 EXISTS a:renamed)" == 0 ]] || fail "a:renamed (follows a conflicting RENAME) was replayed"
[[ "$(rcli b -n 3 DBSIZE)" == 19 ]] || fail "b db 3 holds $(rcli b -n 3 DBSIZE) keys, want 15 own + 1 pre + 3 merged"
conflicts=$(field conflicts "$m")
[[ -f "$conflicts" && "$(stat -c %a "$conflicts")" == 600 ]] || fail "no private conflicts file: $m"
redis_start g
pipe_to 10.77.0.6 "$conflicts" | sed 's/^/  /'
want_c="a:renamed a:tx:1 both:1 both:2 "
[[ "$(keys_of g 3)" == "$want_c" ]] || fail "the conflicts replay holds '$(keys_of g 3)', want '$want_c'"
for k in a:renamed a:tx:1 both:1 both:2; do same_value g a 3 "$k" || fail "conflict $k differs from a's"; done
pass "b keeps its writes plus a's 4 non-conflicting ones; the 7 others are in the conflicts file"

echo "== a yields: it resyncs from b"
rcli a REPLICAOF 10.77.0.2 6379 >/dev/null
wait_until 10 redis_follows a 10.77.0.2 || fail "a does not follow b"
wait_until 5 synced a b || fail "a did not catch up with b"
[[ "$(rcli a -n 3 DBSIZE)" == 19 && "$(rcli a -n 3 GET both:1)" == b-both:1 ]] || fail "a's data after the resync"
pass "a follows b with b's data"

echo "== RDB fallback: the yielder's backlog no longer reaches the fork"
topo_host p 10.77.0.3
topo_host q 10.77.0.4
redis_start p
redis_start q --repl-backlog-size 16kb
rcli p SET pre v >/dev/null
rcli q REPLICAOF 10.77.0.3 6379 >/dev/null
wait_until 10 redis_follows q 10.77.0.3 || fail "q does not follow p"
wait_until 5 synced q p || fail "q did not catch up with p"
topo_isolate q
rcli q REPLICAOF NO ONE >/dev/null
v10k=$(head -c 10000 /dev/zero | tr '\0' q)
# 60 KB past a 16 KB backlog (Redis trims whole 16 KB blocks, keeping at least its size).
for i in 1 2 3 4 5 6; do rcli q SET "q:$i" "$v10k" >/dev/null; done
for i in 1 2 3 4 5 6; do rcli p SET "p:$i" "$v10k$v10k" >/dev/null; done  # more bytes: p keeps
(( $(redis_info_field q repl_backlog_first_byte_offset) > 1 )) || fail "q's backlog still starts at the fork"
topo_join q
s=$(tool save 10.77.0.3:6379 10.77.0.4:6379 "$SAVED") || fail "rdb save failed: $s $(cat "$TOPO_TMP/tool.log")"
echo "$s" | grep -E '^(save_from_backlog|result|kind|path|bytes|save_ms)=' | sed 's/^/  /'
[[ "$(field keeper "$s")" == a && "$(field save_from_backlog "$s")" == 0 ]] || fail "q should yield with a backlog short of the fork: $s"
rdb=$(field path "$s")
[[ "$(field kind "$s")" == rdb && "$rdb" == *.rdb && "$(stat -c %a "$rdb")" == 600 ]] || fail "no private .rdb file: $s"
redis-check-rdb "$rdb" | grep -q 'RDB looks OK' || fail "$rdb is not a valid RDB: $(redis-check-rdb "$rdb" | tail -3)"
mkdir -p "$TOPO_TMP/redis-g2"
cp "$rdb" "$TOPO_TMP/redis-g2/dump.rdb"
topo_spawn g "$TOPO_TMP/redis-g2.out" redis-server --port 6380 --save '' --dir "$TOPO_TMP/redis-g2" \
  --logfile "$TOPO_TMP/redis-g2.log"
wait_until 5 topo_exec g redis-cli -p 6380 PING || fail "redis-server did not load $rdb"
[[ "$(topo_exec g redis-cli -p 6380 DBSIZE)" == "$(rcli q DBSIZE)" && "$(topo_exec g redis-cli -p 6380 STRLEN q:6)" == 10000 ]] ||
  fail "the RDB does not hold q's data set"
pass "the whole data set of q saved as an RDB ($(field bytes "$s") bytes) and loadable"

# split_pair N_A N_B KEYSPACE: fresh a and b, b a replica of a, then split (b cut and promoted),
# a writes N_A SETs on a:<random < KEYSPACE>, b N_B on b:<random>; healed.
split_pair() {
  redis_kill a; redis_kill b; redis_wipe a; redis_wipe b
  sleep 0.2
  # Backlogs that hold the split's writes on both sides: the save reads the yielder's, the
  # merge the keeper's (a backlog short of the fork means an RDB save and no merge).
  redis_start a --repl-backlog-size 64mb
  redis_start b --repl-backlog-size 64mb
  rcli b REPLICAOF 10.77.0.1 6379 >/dev/null
  wait_until 10 redis_follows b 10.77.0.1 || fail "b does not follow a (fresh pair)"
  topo_isolate b
  rcli b REPLICAOF NO ONE >/dev/null
  topo_exec a redis-benchmark -p 6379 -n "$1" -r "$3" -P 50 -q SET 'a:__rand_int__' 'value-of-a-write' >/dev/null
  topo_exec b redis-benchmark -p 6379 -n "$2" -r 100000000 -P 50 -q SET 'b:__rand_int__' 'value-of-b' >/dev/null
  topo_join b
}
# merge_timed SAVED_FILE: the merge tool's output; its peak RSS in $TOPO_TMP/merge.rss.
merge_timed() {
  local timed=()
  [[ -x /usr/bin/time ]] && timed=(/usr/bin/time -f %M -o "$TOPO_TMP/merge.rss")
  topo_exec c "${timed[@]}" "$TOOL" merge $A $B "$1" 2>>"$TOPO_TMP/tool.log"
}

echo "== merge while clients keep writing to the keeper: no write of theirs is overwritten"
split_pair 20000 22000 30000
s=$(tool save $A $B "$SAVED" count) || fail "save failed: $s $(cat "$TOPO_TMP/tool.log")"
file=$(field path "$s")
rcli a --scan --pattern 'a:*' | shuf -n 20000 >"$TOPO_TMP/live.keys"
# A client on b writes a's keys, one every 0.5 ms, each after the previous reply, from before
# the merge starts until 0.5 s after it ends (then it is stopped: a merge under ASan takes
# seconds, more than any fixed number of keys written in a default build's merge time).
# (ip netns exec execs the tool: $! is the writer itself, which the kill below reaches.)
ip netns exec "$(topo_ns c)" "$TOOL" write $B "$TOPO_TMP/live.keys" live 500 >"$TOPO_TMP/live.written" 2>>"$TOPO_TMP/tool.log" &
live_pid=$!
sleep 0.3
m=$(merge_timed "$file") || fail "merge under writes failed: $m $(cat "$TOPO_TMP/tool.log")"
echo "$m" | grep -E '^(replayed|kept|aborted_execs|merge_ms)=' | sed 's/^/  /'
during=$(wc -l <"$TOPO_TMP/live.written")
sleep 0.5
kill "$live_pid" 2>/dev/null || true
live_rc=0; wait "$live_pid" || live_rc=$?
(( live_rc == 0 || live_rc == 143 )) || fail "the live writer failed (exit $live_rc)"
written=$(wc -l <"$TOPO_TMP/live.written")
(( during > 100 && during < written )) || fail "the live writer did not span the merge ($during of $written keys when it ended)"
(( $(field replayed "$m") + $(field kept "$m") == 20000 && $(field kept "$m") > 0 )) ||
  fail "replayed $(field replayed "$m") + kept $(field kept "$m") of 20000"
overwritten=$(sed 's/^/GET /' "$TOPO_TMP/live.written" | rcli b | grep -vc '^live$' || true)
(( overwritten == 0 )) || fail "$overwritten of the $written keys a client wrote on b during the merge were overwritten"
[[ "$(rcli b DBSIZE)" -ge $(( $(rcli b --scan --pattern 'b:*' | wc -l) + $(rcli a DBSIZE) )) ]] ||
  fail "b lacks some of a's keys after the merge"
pass "$written keys written by a client around the merge ($during before it ended) all kept their value; $(field kept "$m") saved writes kept back"

echo "== figures: saving and merging $N writes"
split_pair "$N" $((N + N / 10)) 100000000
s=$(tool save $A $B "$SAVED" count) || fail "save of $N failed: $s $(cat "$TOPO_TMP/tool.log")"
[[ "$(field commands "$s")" == "$N" ]] || fail "saved $(field commands "$s") of $N writes: $s"
file=$(field path "$s")
echo "  saved $N writes in $(field save_ms "$s") ms, $(field bytes "$s") bytes"
before=$(rcli b DBSIZE)
m=$(merge_timed "$file") || fail "merge of $N failed: $m $(cat "$TOPO_TMP/tool.log")"
[[ "$(field replayed "$m")" == "$N" && "$(field kept "$m")" == 0 ]] || fail "merge of $N: $m"
[[ "$(rcli b DBSIZE)" == $((before + $(rcli a DBSIZE))) ]] || fail "b holds $(rcli b DBSIZE) keys after the merge"
echo "FIGURES redis_diverged_writes: n=$N save_ms=$(field save_ms "$s") file_bytes=$(field bytes "$s") merge_ms=$(field merge_ms "$m") keeper_commands=$(field keeper_commands "$m") merge_maxrss_kb=$(cat "$TOPO_TMP/merge.rss" 2>/dev/null || echo -)"
echo "redis_diverged_writes: all passed"
