#pragma once
// What an RTM_NEWADDR / RTM_DELADDR message says, for the dumps of AddressManager and the events
// of LinkMonitor alike.
#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string>

#include "vrrp/ip_address.hpp"

namespace redvip::netlink {

struct AddressMessage {
  unsigned ifindex = 0;
  vrrp::IpAddress address;  // IFA_LOCAL when present (IPv4, IPv6 with a peer), else IFA_ADDRESS
  std::uint8_t prefix_len = 0;
  std::string label;  // IFA_LABEL (IPv4), empty when none
};

// nullopt for a message that is too short, malformed, or of another family than IPv4/IPv6.
std::optional<AddressMessage> parse_address_message(nlmsghdr* hdr);

}  // namespace redvip::netlink
