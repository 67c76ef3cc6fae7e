#!/bin/bash
# create_vmac/remove_vmac against the kernel: the macvlan appears on its parent with the VRRP
# virtual MAC, up, in the requested mode, without a generated link-local; a VIP can be put on
# it; creating twice is harmless; a foreign interface of that name is neither taken over nor
# deleted; remove cleans up and removing twice is harmless.
set -eu  # no pipefail: `... | grep -q` may end the writer with SIGPIPE
source "$(dirname "$0")/lib/topology.sh"
topo_init vmc
topo_netns m
ns=$(topo_ns m)
tools=$TOPO_TOOLS
in_ns() { ip netns exec "$ns" "$@"; }
vmac() { in_ns "$tools/vmac_tool" "$@"; }
fail() { echo "FAIL: $*" >&2; ip -n "$ns" -d link >&2 || true; exit 1; }
sysctl_of() { in_ns cat "/proc/sys/net/$1"; }

ip -n "$ns" link add nla0 type veth peer name nla1
ip -n "$ns" link set nla0 up
ip -n "$ns" link set nla1 up

# IPv4, VRID 51 = 0x33
vmac create nla0 vrrp.51 51 4 >/dev/null || fail "create vrrp.51"
details=$(ip -n "$ns" -d link show vrrp.51) || fail "vrrp.51 does not exist"
echo "$details" | grep -q "vrrp.51@nla0" || fail "vrrp.51 is not on nla0: $details"
echo "$details" | grep -q "link/ether 00:00:5e:00:01:33 " || fail "wrong MAC: $details"
echo "$details" | grep -q "macvlan mode private" || fail "not a private macvlan: $details"
echo "$details" | grep -q "addrgenmode none" || fail "an IPv6 link-local would be generated: $details"
echo "$details" | grep -q "state UP\|,UP" || fail "vrrp.51 is not up: $details"
[ "$(sysctl_of ipv4/conf/vrrp.51/arp_ignore)" = 1 ] || fail "arp_ignore on vrrp.51"
[ "$(sysctl_of ipv4/conf/vrrp.51/accept_local)" = 1 ] || fail "accept_local on vrrp.51"
[ "$(sysctl_of ipv4/conf/nla0/arp_ignore)" = 1 ] || fail "the parent would answer ARP for the VIP"
[ "$(sysctl_of ipv4/conf/nla0/arp_filter)" = 1 ] || fail "arp_filter on the parent"
! ip -n "$ns" -6 addr show dev vrrp.51 | grep -q inet6 || fail "vrrp.51 got an IPv6 address"
echo "ok: $(echo "$details" | head -2 | tr -s ' ' | tr '\n' ' ')"

vmac create nla0 vrrp.51 51 4 >/dev/null || fail "a second create must succeed"
[ "$(ip -n "$ns" -o link show | grep -c 'vrrp.51@')" = 1 ] || fail "two vrrp.51?"

# A VIP on it
in_ns "$tools/vip_tool" add 10.0.0.100/24 vrrp.51 || fail "VIP on vrrp.51"
ip -n "$ns" -4 addr show dev vrrp.51 | grep -q "inet 10.0.0.100/24" || fail "VIP not on vrrp.51"
echo "ok: VIP 10.0.0.100/24 on vrrp.51"

# IPv6, VRID 52 = 0x34, bridge mode
vmac create nla0 vrrp6.52 52 6 bridge >/dev/null || fail "create vrrp6.52"
details=$(ip -n "$ns" -d link show vrrp6.52) || fail "vrrp6.52 does not exist"
echo "$details" | grep -q "link/ether 00:00:5e:00:02:34 " || fail "wrong IPv6 VMAC: $details"
echo "$details" | grep -q "macvlan mode bridge" || fail "not a bridge macvlan: $details"
in_ns "$tools/vip_tool" add fd00::100/64 vrrp6.52 || fail "IPv6 VIP on vrrp6.52"
ip -n "$ns" -6 addr show dev vrrp6.52 | grep "fd00::100/64" | grep -vq tentative ||
  fail "IPv6 VIP missing or tentative on vrrp6.52"
echo "ok: IPv6 VMAC 00:00:5e:00:02:34 with fd00::100/64"

# Same name, different VRID or parent: not ours
if msg=$(vmac create nla0 vrrp.51 52 4 2>&1); then fail "took over vrrp.51 with another VRID"; fi
echo "ok: refused: $msg"
if msg=$(vmac create nla0 nla1 51 4 2>&1); then fail "took over the veth nla1"; fi
if msg=$(vmac remove nla1 2>&1); then fail "deleted the veth nla1"; fi
ip -n "$ns" link show nla1 >/dev/null || fail "nla1 is gone"
echo "ok: refused: $msg"
if msg=$(vmac create nla9 vrrp.60 60 4 2>&1); then fail "created on a missing parent"; fi
echo "ok: refused: $msg"

# Remove
vmac remove vrrp.51 || fail "remove vrrp.51"
! ip -n "$ns" link show vrrp.51 >/dev/null 2>&1 || fail "vrrp.51 still exists"
vmac remove vrrp.51 || fail "a second remove must succeed"
vmac remove vrrp6.52 || fail "remove vrrp6.52"
[ "$(ip -n "$ns" -o -d link show type macvlan | wc -l)" = 0 ] || fail "a macvlan is left"
echo PASS
