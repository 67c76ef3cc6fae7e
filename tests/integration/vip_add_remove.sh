#!/bin/bash
# AddressManager against the kernel: VIPs added and removed are what `ip addr` shows in a
# namespace of our own; repeats are harmless; errors name the address and the interface;
# remove_stale() takes off what a crashed run left behind.
set -eu  # no pipefail: `... | grep -q` may end the writer with SIGPIPE
source "$(dirname "$0")/lib/topology.sh"
topo_init var
topo_netns v
ns=$(topo_ns v)
tools=$TOPO_TOOLS
in_ns() { ip netns exec "$ns" "$@"; }
vip() { in_ns "$tools/vip_tool" "$@"; }

ip -n "$ns" link add nla0 type veth peer name nla1
ip -n "$ns" link set nla0 up
ip -n "$ns" link set nla1 up
ip -n "$ns" addr add 10.0.0.1/24 dev nla0   # the node's own address: the VIP is a secondary

# IPv4 with a label
vip add 10.0.0.100/24 nla0 nla0:vip || fail "adding 10.0.0.100/24"
ip -n "$ns" -4 addr show dev nla0 | grep -q "inet 10.0.0.100/24 .*nla0:vip" ||
  fail "10.0.0.100/24 with label nla0:vip not on nla0: $(ip -n "$ns" -4 addr show dev nla0)"
vip add 10.0.0.100/24 nla0 nla0:vip || fail "a second add of the same VIP must succeed"
[ "$(ip -n "$ns" -4 addr show dev nla0 | grep -c 'inet 10.0.0.100/24')" = 1 ] ||
  fail "the VIP appears more than once"
[ "$(vip present 10.0.0.100/24 nla0)" = present ] || fail "present() does not see the VIP"
[ "$(vip present 10.0.0.100/32 nla0 || true)" = absent ] || fail "present() ignores the prefix"
vip remove 10.0.0.100/24 nla0 || fail "removing 10.0.0.100/24"
! ip -n "$ns" -4 addr show dev nla0 | grep -q 10.0.0.100 || fail "10.0.0.100 still on nla0"
ip -n "$ns" -4 addr show dev nla0 | grep -q "inet 10.0.0.1/24" || fail "the node's own address went too"
vip remove 10.0.0.100/24 nla0 || fail "removing an absent VIP must succeed"
[ "$(vip present 10.0.0.100/24 nla0 || true)" = absent ] || fail "present() after remove"
echo "ok: IPv4 add/re-add/remove/re-remove, label kept"

# IPv6: usable at once, no duplicate address detection
vip add fd00::100/64 nla0 || fail "adding fd00::100/64"
line=$(ip -n "$ns" -6 addr show dev nla0 | grep "inet6 fd00::100/64") || fail "fd00::100/64 not on nla0"
case "$line" in *tentative*) fail "fd00::100 is tentative (DAD not skipped): $line" ;; esac
case "$line" in *nodad*) ;; *) fail "fd00::100 lacks the nodad flag: $line" ;; esac
vip add fd00::100/64 nla0 || fail "a second IPv6 add must succeed"
vip remove fd00::100/64 nla0 || fail "removing fd00::100/64"
! ip -n "$ns" -6 addr show dev nla0 | grep -q fd00::100 || fail "fd00::100 still on nla0"
vip remove fd00::100/64 nla0 || fail "removing an absent IPv6 VIP must succeed"
echo "ok: IPv6 add with nodad (not tentative), remove, idempotent"

# Errors name the address and the interface
if msg=$(vip add 10.0.0.100/24 nla9 2>&1); then fail "adding to a missing interface succeeded"; fi
case "$msg" in *"cannot add 10.0.0.100/24 to nla9: No such device"*) ;;
  *) fail "unexpected error text: $msg" ;; esac
if msg=$(vip add 10.0.0.100/33 nla0 2>&1); then fail "a /33 was accepted"; fi
case "$msg" in *"10.0.0.100/33"*nla0*) ;; *) fail "unexpected error text: $msg" ;; esac
echo "ok: errors: $msg"
vip remove 10.0.0.100/24 nla9 || fail "removing from a vanished interface must succeed"

# A crashed run left two of the three configured VIPs behind (and someone's address we keep)
ip -n "$ns" addr add 10.0.0.100/24 dev nla0 label nla0:vip
ip -n "$ns" addr add fd00::100/64 dev nla0 nodad
ip -n "$ns" addr add 10.0.0.200/24 dev nla0
out=$(vip stale nla0 10.0.0.100/24 fd00::100/64 10.0.0.101/24) || fail "remove_stale failed: $out"
echo "$out"
[ "$(echo "$out" | sort)" = "$(printf 'removed 10.0.0.100/24\nremoved fd00::100/64')" ] ||
  fail "remove_stale reported: $out"
! ip -n "$ns" addr show dev nla0 | grep -qE "10.0.0.100|fd00::100" || fail "stale VIPs left on nla0"
ip -n "$ns" addr show dev nla0 | grep -q "10.0.0.200/24" || fail "remove_stale took an unconfigured address"
echo "ok: remove_stale removed exactly the configured VIPs left behind"
echo PASS
