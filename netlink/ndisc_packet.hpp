#pragma once
// The unsolicited Neighbor Advertisement (RFC 4861 4.4) that moves an IPv6 VIP to a new MAC.
#include <array>
#include <cstdint>

#include "netlink/arp_packet.hpp"
#include "vrrp/ip_address.hpp"

namespace redvip::netlink {

inline constexpr std::size_t kUnsolicitedNaSize = 32;  // ICMPv6 NA + target link-layer option

// The ICMPv6 message only, for a raw IPPROTO_ICMPV6 socket: the kernel adds the IPv6 header
// and fills in the checksum (at offset 2), which it always does for ICMPv6 raw sockets.
// Override is set so neighbours replace the MAC they hold; Solicited must stay clear because
// the message goes to all-nodes multicast (receivers drop solicited NAs sent to a group).
std::array<std::uint8_t, kUnsolicitedNaSize> unsolicited_na(const MacAddress& mac,
                                                            const vrrp::IpAddress& vip);

}  // namespace redvip::netlink
