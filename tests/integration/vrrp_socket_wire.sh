#!/usr/bin/env bash
# The adverts VrrpSocket sends, as another implementation (Wireshark's dissector) reads them:
# VRRP, TTL / hop limit 255, a good checksum, for v2 and v3, IPv4 and IPv6, multicast and
# unicast (where the v3 checksum differs per peer, because it covers the destination).
set -euo pipefail
source "$(dirname "$0")/lib/topology.sh"
topo_init vsw
require_cmd tcpdump tshark

A=$(topo_ns a) B=$(topo_ns b) C=$(topo_ns c)
topo_lan 79 a b c
LL_A=$(netns_link_local "$A" eth0)

send() {  # send ARGS...: one advert from A
  local out
  out=$(ip netns exec "$A" "$TOPO_TOOLS/vrrp_send" --interface eth0 --count 1 "$@")
  [[ $out == "sent="*" send_errors=0 "* ]] || fail "vrrp_send $*: $out"
}

PCAP_B=$TOPO_TMP/b.pcap PCAP_C=$TOPO_TMP/c.pcap
netns_capture "$B" eth0 "$PCAP_B" "ip proto 112 or ip6 proto 112"
PID_B=$TOPO_LAST_PID
netns_capture "$C" eth0 "$PCAP_C" "ip proto 112 or ip6 proto 112"
PID_C=$TOPO_LAST_PID

send --family 4 --version 2 --vrid 21 --priority 150 --interval-cs 100 --vip 10.79.0.100
send --family 4 --version 2 --vrid 22 --priority 150 --interval-cs 200 --vip 10.79.0.101 --vip 10.79.0.102 --password secret1
send --family 4 --version 3 --vrid 23 --priority 200 --interval-cs 50 --vip 10.79.0.103
send --family 4 --version 3 --vrid 24 --priority 200 --interval-cs 50 --vip 10.79.0.104 --checksum-v4v3 without
send --family 6 --version 3 --vrid 25 --priority 110 --interval-cs 25 --vip fd79::100 --vip fe80::25
send --family 4 --version 3 --vrid 26 --priority 120 --interval-cs 100 --vip 10.79.0.106 --peer 10.79.0.2 --peer 10.79.0.3
send --family 6 --version 3 --vrid 27 --priority 120 --interval-cs 100 --vip fd79::107 --peer fd79::2 --peer fd79::3
sleep 0.3
proc_stop "$PID_B"
proc_stop "$PID_C"

fields() {  # fields PCAP [tshark -o ...]: one line per VRRP packet
  local pcap=$1
  shift
  tshark -r "$pcap" "$@" -Y vrrp -T fields -E separator=' ' -e vrrp.virt_rtr_id -e vrrp.version \
    -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e ip.ttl -e ipv6.hlim -e vrrp.prio \
    -e vrrp.checksum.status 2>/dev/null | tr -s ' ' | sed 's/^ //'
}
got_b=$(fields "$PCAP_B")
got_c=$(fields "$PCAP_C")
echo "B saw (vrid version src dst ttl prio checksum_status):"
echo "$got_b"
echo "C saw:"
echo "$got_c"

# checksum.status 1 = Good. tshark's default (vrrp.v3_checksum_as_in_v2 FALSE) sums the IPv4
# pseudo-header for v3, as RFC 9568 and keepalived do; VRID 24 is the other convention.
want_b="21 2 10.79.0.1 224.0.0.18 255 150 1
22 2 10.79.0.1 224.0.0.18 255 150 1
23 3 10.79.0.1 224.0.0.18 255 200 1
24 3 10.79.0.1 224.0.0.18 255 200 0
25 3 $LL_A ff02::12 255 110 1
26 3 10.79.0.1 10.79.0.2 255 120 1
27 3 $LL_A fd79::2 255 120 1"
[[ $got_b == "$want_b" ]] || fail "B: want
$want_b"
# Unicast reaches each peer with its own checksum; multicast reaches everyone.
want_c=$(echo "$want_b" | sed -e 's/ 10.79.0.2 / 10.79.0.3 /' -e 's/ fd79::2 / fd79::3 /')
[[ $got_c == "$want_c" ]] || fail "C: want
$want_c"
pass "tshark: VRRP TTL 255 and good checksums (v2, v3 IPv4 with pseudo-header, v3 IPv6, unicast per peer)"

# The v2-style IPv4 v3 checksum is what tshark calls good only when told that convention.
v3_as_v2=$(fields "$PCAP_B" -o vrrp.v3_checksum_as_in_v2:TRUE | awk '$1 == 23 || $1 == 24 {print $1, $NF}' | tr '\n' ' ')
[[ $v3_as_v2 == "23 0 24 1 " ]] || fail "with vrrp.v3_checksum_as_in_v2: $v3_as_v2"
pass "tshark with vrrp.v3_checksum_as_in_v2:TRUE: VRID 24 good, VRID 23 bad, as expected"

# The remaining fields tshark reads out match what we asked for.
detail=$(tshark -r "$PCAP_B" -Y "vrrp.virt_rtr_id == 22" -T fields -E separator=' ' \
  -e vrrp.auth_type -e vrrp.auth_string -e vrrp.adver_int -e vrrp.addr_count -e vrrp.ip_addr 2>/dev/null)
[[ $detail == "1 secret1 2 2 10.79.0.101,10.79.0.102" ]] || fail "v2 PASS detail: $detail"
detail=$(tshark -r "$PCAP_B" -Y "vrrp.virt_rtr_id == 25" -T fields -E separator=' ' \
  -e vrrp.short_adver_int -e vrrp.addr_count -e vrrp.ipv6_addr 2>/dev/null)
[[ $detail == "25 2 fd79::100,fe80::25" ]] || fail "v3 IPv6 detail: $detail"
pass "tshark: auth, interval and address fields as sent"
