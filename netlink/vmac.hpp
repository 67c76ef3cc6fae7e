#pragma once
// keepalived's use_vmac: a macvlan interface carrying the VRRP virtual MAC (RFC 5798 §7.3,
// 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6) on top of a parent interface, so
// the VIP keeps its MAC across failovers and switches need no gratuitous ARP to re-learn it.
#include <array>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>

#include "netlink/mac_address.hpp"
#include "vrrp/ip_address.hpp"

namespace redvip::netlink {

MacAddress vmac_address(std::uint8_t vrid, vrrp::Family family);
std::string to_string(const MacAddress& mac);  // "00:00:5e:00:01:33"

enum class VmacError {
  name_taken = 1,   // an interface of that name exists and is not this VRRP MAC's macvlan
  not_macvlan = 2,  // asked to delete an interface that is not a macvlan
};
std::error_code make_error_code(VmacError error);

enum class MacvlanMode { private_mode, bridge };

struct VmacOptions {
  // private (keepalived's default): the vmac exchanges nothing with sibling macvlans.
  MacvlanMode mode = MacvlanMode::private_mode;
  // IPv4: make the parent answer ARP only for its own addresses (arp_ignore=1, arp_filter=1),
  // or it would answer for the VIP with its own MAC. As keepalived does; not undone on removal.
  bool quiet_parent_arp = true;
};

// Creates `name` as a macvlan of `parent` with the virtual MAC for `vrid`, brings it up with
// no automatic IPv6 link-local (every router's vmac has the same MAC, so their EUI-64
// link-locals would collide), and — IPv4 — arp_ignore=1, accept_local=1, rp_filter=0 on it.
// An existing interface of that name is success if it is a macvlan of `parent` with that MAC
// (it is then re-configured and brought up); otherwise VmacError::name_taken. A missing parent
// is std::errc::no_such_device.
std::error_code create_vmac(const std::string& parent, const std::string& name, std::uint8_t vrid,
                            vrrp::Family family, const VmacOptions& options = {});

// Deletes the macvlan `name`. No such interface is success; an interface that is not a macvlan
// is refused (VmacError::not_macvlan) rather than deleted.
std::error_code remove_vmac(const std::string& name);

}  // namespace redvip::netlink

template <>
struct std::is_error_code_enum<redvip::netlink::VmacError> : std::true_type {};
