#pragma once
// The gratuitous ARP frame that moves a VIP to a new MAC in the neighbours' caches.
#include <array>
#include <cstdint>

#include "netlink/mac_address.hpp"
#include "vrrp/ip_address.hpp"

namespace redvip::netlink {

inline constexpr std::size_t kGratuitousArpFrameSize = 42;  // Ethernet header + ARP for IPv4

// A whole Ethernet frame to the broadcast address: an ARP request whose sender and target IP
// are both the VIP. Linux neighbours overwrite an entry they already hold for that IP on a
// request like this (it counts as gratuitous, so the lock time does not apply) without
// needing arp_accept; a request is also what keepalived sends, so switches treat us alike.
std::array<std::uint8_t, kGratuitousArpFrameSize> gratuitous_arp_frame(const MacAddress& mac,
                                                                       const vrrp::IpAddress& vip);

}  // namespace redvip::netlink
