#!/usr/bin/env bash
# Gratuitous ARP and unsolicited NA move a VIP in a neighbour's cache from an old MAC to ours,
# whatever state (STALE, REACHABLE) the neighbour's entry is in, and they follow the
# burst / delay / refresh schedule.
set -euo pipefail
source "$(dirname "$0")/lib/topology.sh"
topo_init agn
require_cmd tcpdump

A=$(topo_ns a)  # us: the new VIP holder
N=$(topo_ns n)  # a neighbour (a client) that still has the old holder's MAC cached
topo_netns a
topo_netns n
ip -n "$A" link add a0 type veth peer name n0 netns "$N"
ip -n "$A" addr add 10.77.0.1/24 dev a0
ip -n "$A" addr add fd77::1/64 dev a0
ip -n "$N" addr add 10.77.0.2/24 dev n0
ip -n "$N" addr add fd77::2/64 dev n0
ip -n "$A" link set a0 up
ip -n "$N" link set n0 up

VIP4=10.77.0.100
VIP6=fd77::100
OLD_MAC=02:00:00:00:00:99
OUR_MAC=$(mac_of "$A" a0)
ip -n "$A" addr add $VIP4/32 dev a0
ip -n "$A" addr add $VIP6/128 dev a0 nodad

neigh_mac() {  # neigh_mac FAMILY ADDRESS: the MAC the neighbour holds for ADDRESS, or nothing
  ip -n "$N" "$1" neigh show "$2" dev n0 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'
}

announce() { ip netns exec "$A" "$TOPO_TOOLS/announce_tool" --interface a0 "$@"; }

for state in stale reachable; do
  ip -n "$N" neigh replace $VIP4 lladdr $OLD_MAC dev n0 nud $state
  ip -n "$N" -6 neigh replace $VIP6 lladdr $OLD_MAC dev n0 nud $state
  [[ $(neigh_mac -4 $VIP4) == "$OLD_MAC" ]] || fail "setup: neighbour IPv4 entry not $OLD_MAC"
  [[ $(neigh_mac -6 $VIP6) == "$OLD_MAC" ]] || fail "setup: neighbour IPv6 entry not $OLD_MAC"
  sleep 1.1  # past the ARP lock time, so the test also holds without the gratuitous exemption

  out=$(announce --vip $VIP4 --vip $VIP6 --repeat 1 --delay-ms 0 --run-ms 300)
  [[ $out == "sent=2 send_errors=0" ]] || fail "announcer reported: $out"
  sleep 0.2
  got4=$(neigh_mac -4 $VIP4)
  got6=$(neigh_mac -6 $VIP6)
  [[ $got4 == "$OUR_MAC" ]] || fail "$state: IPv4 entry is '$got4' after GARP, want $OUR_MAC"
  [[ $got6 == "$OUR_MAC" ]] || fail "$state: IPv6 entry is '$got6' after NA, want $OUR_MAC"
  pass "$state entries for $VIP4 and $VIP6 moved from $OLD_MAC to $OUR_MAC"
done

# An explicit MAC (a VRRP virtual MAC) is what the neighbours learn, not the interface's.
VMAC=00:00:5e:00:01:33
out=$(announce --vip $VIP4 --vip $VIP6 --mac $VMAC --repeat 1 --delay-ms 0 --run-ms 300)
[[ $out == "sent=2 send_errors=0" ]] || fail "announcer reported: $out"
sleep 0.2
[[ $(neigh_mac -4 $VIP4) == "$VMAC" ]] || fail "IPv4 entry is '$(neigh_mac -4 $VIP4)', want $VMAC"
[[ $(neigh_mac -6 $VIP6) == "$VMAC" ]] || fail "IPv6 entry is '$(neigh_mac -6 $VIP6)', want $VMAC"
pass "explicit MAC $VMAC learnt for both VIPs"

# What a capture sees: Wireshark's own verdict on the ARP (gratuitous) and the NA (flags, hop
# limit 255, a valid ICMPv6 checksum).
PCAP=$TOPO_TMP/announce.pcap
netns_capture "$N" n0 "$PCAP" "arp or icmp6"
out=$(announce --vip $VIP4 --vip $VIP6 --repeat 1 --delay-ms 0 --run-ms 300)
sleep 0.3
proc_stop "$TOPO_LAST_PID"
arp=$(tshark -r "$PCAP" -Y arp -T fields -e arp.isgratuitous -e arp.opcode -e arp.src.proto_ipv4 -e arp.src.hw_mac -e eth.dst)
[[ $arp == $'1\t1\t'"$VIP4"$'\t'"$OUR_MAC"$'\tff:ff:ff:ff:ff:ff' ]] || fail "tshark ARP: '$arp'"
na=$(tshark -r "$PCAP" -Y "icmpv6.type == 136" -T fields \
  -e ipv6.hlim -e ipv6.dst -e icmpv6.nd.na.flag.o -e icmpv6.nd.na.flag.s -e icmpv6.nd.na.target_address -e icmpv6.opt.linkaddr -e icmpv6.checksum.status)
[[ $na == $'255\tff02::1\t1\t0\t'"$VIP6"$'\t'"$OUR_MAC"$'\t1' ]] || fail "tshark NA: '$na'"
pass "tshark: gratuitous ARP request; NA hop limit 255, O=1 S=0, target option, good checksum"

# The schedule: 3 now, 3 after the 400 ms delay, then 2 every 300 ms. (Each timer starts when
# the previous burst went out, so on a loaded machine lateness adds up: hence the +120 ms.)
PCAP=$TOPO_TMP/schedule.pcap
netns_capture "$N" n0 "$PCAP" "arp"
out=$(announce --vip $VIP4 --repeat 3 --delay-ms 400 --refresh-ms 300 --refresh-repeat 2 --run-ms 1150)
sleep 0.2
proc_stop "$TOPO_LAST_PID"
[[ $out == "sent=10 send_errors=0" ]] || fail "announcer reported: $out"
# Group frames closer than 100 ms into bursts: "size@start" per burst, start relative to the first.
bursts=$(tshark -r "$PCAP" -T fields -e frame.time_relative | awk '
  { t = $1 * 1000
    if (NR == 1 || t - last > 100) { if (NR > 1) printf "%d@%d ", n, start; n = 0; start = t }
    n++; last = t }
  END { printf "%d@%d\n", n, start }')
echo "bursts (frames@ms): $bursts"
read -r -a parts <<<"$bursts"
[[ ${#parts[@]} -eq 4 ]] || fail "want 4 bursts, got: $bursts"
want_sizes=(3 3 2 2)
want_starts=(0 400 700 1000)
for i in 0 1 2 3; do
  size=${parts[$i]%@*}
  start=${parts[$i]#*@}
  [[ $size -eq ${want_sizes[$i]} ]] || fail "burst $i has $size frames, want ${want_sizes[$i]}: $bursts"
  ((start >= want_starts[i] - 20 && start <= want_starts[i] + 120)) ||
    fail "burst $i at ${start} ms, want ~${want_starts[$i]} ms: $bursts"
done
pass "schedule: bursts $bursts"

# A gap inside a burst (garp_interval): 3 frames 100 ms apart, no second burst when delay is 0.
PCAP=$TOPO_TMP/interval.pcap
netns_capture "$N" n0 "$PCAP" "arp"
out=$(announce --vip $VIP4 --repeat 3 --interval-ms 100 --delay-ms 0 --run-ms 500)
sleep 0.2
proc_stop "$TOPO_LAST_PID"
[[ $out == "sent=3 send_errors=0" ]] || fail "announcer reported: $out"
times=$(tshark -r "$PCAP" -T fields -e frame.time_relative | awk '{printf "%d ", $1 * 1000}')
read -r -a t <<<"$times"
[[ ${#t[@]} -eq 3 ]] || fail "want 3 frames, got times: $times"
for i in 1 2; do
  gap=$((t[i] - t[i - 1]))
  ((gap >= 90 && gap <= 200)) || fail "gap $gap ms between frames, want ~100: $times"
done
pass "interval: frames at $times ms"
