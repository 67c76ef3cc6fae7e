#!/usr/bin/env bash
# What VrrpSocket hands to the codec: the VRRP part with source, destination and TTL / hop
# limit, in multicast and unicast mode, IPv4 and IPv6. Packets that must not count are dropped
# and counted: TTL / hop limit 254 (by the codec, Reject::bad_ttl), a sender that is not a
# configured unicast peer (by the socket), and our own multicast (never looped back).
set -euo pipefail
source "$(dirname "$0")/lib/topology.sh"
topo_init vsr

A=$(topo_ns a) B=$(topo_ns b) C=$(topo_ns c)
topo_lan 80 a b c
LL_A=$(netns_link_local "$A" eth0)

# receive NS NAME ARGS...: start a receiver in NS writing $TOPO_TMP/NAME.out; waits until ready.
receive() {
  local ns=$1 name=$2
  shift 2
  netns_bg "$ns" "$TOPO_TOOLS/vrrp_recv" --interface eth0 --duration-ms 5000 "$@" >"$TOPO_TMP/$name.out"
  eval "PID_$name=$TOPO_LAST_PID"
  wait_for_line "$TOPO_TMP/$name.out" '^ready'
}
# finish NAME: wait for the receiver (in this shell: a subshell cannot wait for it)
finish() {
  local pid_var=PID_$1
  wait "${!pid_var}" || fail "receiver $1 failed: $(cat "$TOPO_TMP/$1.out")"
}
send() {  # send NS ARGS...
  local ns=$1 out
  shift
  out=$(ip netns exec "$ns" "$TOPO_TOOLS/vrrp_send" --interface eth0 --gap-ms 10 "$@")
  [[ $out == "sent="*" send_errors=0 "* ]] || fail "vrrp_send in $ns $*: $out"
}
expect_summary() {  # expect_summary NAME WANT
  local got
  finish "$1"
  got=$(grep '^summary' "$TOPO_TMP/$1.out")
  [[ $got == "$2" ]] || fail "$1: got '$got', want '$2'"
}
expect_advert() {  # expect_advert NAME WANT: the receiver's advert lines, all alike
  local got
  got=$(grep '^advert' "$TOPO_TMP/$1.out" | sort -u)
  [[ $got == "$2" ]] || fail "$1: got advert lines '$got', want '$2'"
}

# --- IPv4 multicast: TTL 254 rejected and counted; our own adverts do not come back ---------
receive "$B" b4 --family 4 --version 3 --vrid 31 --expect 1
receive "$A" a4 --family 4 --version 3 --vrid 31 --duration-ms 1500
send "$A" --family 4 --version 3 --vrid 31 --vip 10.80.0.100 --ttl 254 --count 2
send "$A" --family 4 --version 3 --vrid 31 --vip 10.80.0.100 --priority 150
expect_summary b4 "summary accepted=1 received=3 dropped_non_peer=0 dropped_short_ip=0 reject.bad_ttl=2"
expect_advert b4 "advert src=10.80.0.1 dst=224.0.0.18 ttl=255 version=3 vrid=31 priority=150 interval_cs=100 auth=0 addresses=10.80.0.100"
expect_summary a4 "summary accepted=0 received=0 dropped_non_peer=0 dropped_short_ip=0"
pass "IPv4 multicast: TTL 254 dropped (bad_ttl=2), TTL 255 accepted, no loopback to ourselves"

# --- IPv6 multicast: hop limit 254 likewise --------------------------------------------------
receive "$B" b6 --family 6 --version 3 --vrid 32 --expect 1
receive "$A" a6 --family 6 --version 3 --vrid 32 --duration-ms 1500
send "$A" --family 6 --version 3 --vrid 32 --vip fd80::100 --ttl 254 --count 2
send "$A" --family 6 --version 3 --vrid 32 --vip fd80::100 --priority 150
expect_summary b6 "summary accepted=1 received=3 dropped_non_peer=0 dropped_short_ip=0 reject.bad_ttl=2"
expect_advert b6 "advert src=$LL_A dst=ff02::12 ttl=255 version=3 vrid=32 priority=150 interval_cs=100 auth=0 addresses=fd80::100"
expect_summary a6 "summary accepted=0 received=0 dropped_non_peer=0 dropped_short_ip=0"
pass "IPv6 multicast: hop limit 254 dropped (bad_ttl=2), 255 accepted, no loopback"

# --- v2 over IPv4 multicast with a password -------------------------------------------------
receive "$B" b2 --family 4 --version 2 --vrid 33 --password secret1 --expect 1
send "$A" --family 4 --version 2 --vrid 33 --vip 10.80.0.101 --password wrong
send "$A" --family 4 --version 2 --vrid 33 --vip 10.80.0.101 --password secret1
expect_summary b2 "summary accepted=1 received=2 dropped_non_peer=0 dropped_short_ip=0 reject.auth_mismatch=1"
expect_advert b2 "advert src=10.80.0.1 dst=224.0.0.18 ttl=255 version=2 vrid=33 priority=100 interval_cs=100 auth=1 addresses=10.80.0.101"
pass "IPv4 v2 PASS: right password accepted, wrong one rejected"

# --- unicast: only configured peers get through; each peer receives its own copy ------------
for family in 4 6; do
  if [[ $family == 4 ]]; then a=10.80.0.1 b=10.80.0.2 c=10.80.0.3 vip=10.80.0.102
  else a=fd80::1 b=fd80::2 c=fd80::3 vip=fd80::102; fi
  # B and C accept only A; A sends to both. C also sends to B, which B must drop.
  receive "$B" ub$family --family $family --version 3 --vrid 34 --peer $a --expect 2
  receive "$C" uc$family --family $family --version 3 --vrid 34 --peer $a --expect 2
  send "$C" --family $family --version 3 --vrid 34 --vip $vip --source $c --peer $b --count 3
  send "$B" --family $family --version 3 --vrid 34 --vip $vip --source $b --peer $c --count 1
  send "$A" --family $family --version 3 --vrid 34 --vip $vip --source $a --peer $b --peer $c --count 2
  expect_summary ub$family "summary accepted=2 received=2 dropped_non_peer=3 dropped_short_ip=0"
  expect_summary uc$family "summary accepted=2 received=2 dropped_non_peer=1 dropped_short_ip=0"
  expect_advert ub$family "advert src=$a dst=$b ttl=255 version=3 vrid=34 priority=100 interval_cs=100 auth=0 addresses=$vip"
  expect_advert uc$family "advert src=$a dst=$c ttl=255 version=3 vrid=34 priority=100 interval_cs=100 auth=0 addresses=$vip"
  pass "IPv$family unicast: A reaches both peers (checksum good at each), non-peers dropped and counted"
done

# --- a unicast-mode socket does not listen to the group --------------------------------------
receive "$B" um --family 4 --version 3 --vrid 35 --peer 10.80.0.1 --duration-ms 800
send "$A" --family 4 --version 3 --vrid 35 --vip 10.80.0.103 --count 2
expect_summary um "summary accepted=0 received=0 dropped_non_peer=0 dropped_short_ip=0"
pass "unicast mode ignores multicast adverts"
