#pragma once
// Options shared by vrrp_send and vrrp_recv: the socket configuration and the advert.
#include <algorithm>

#include "netlink/vrrp_socket.hpp"
#include "tool_args.hpp"
#include "vrrp/codec.hpp"

namespace nls {

inline redvip::vrrp::Family family_option(const Args& args) {
  const auto text = args.text("family");
  if (text == "4") return redvip::vrrp::Family::ipv4;
  if (text == "6") return redvip::vrrp::Family::ipv6;
  Args::fail("--family is 4 or 6");
}

// --family 4|6 --interface IF [--source A] [--peer P]... [--group G]
inline redvip::netlink::VrrpSocketConfig socket_config(const Args& args) {
  redvip::netlink::VrrpSocketConfig config;
  config.family = family_option(args);
  config.interface = args.text("interface");
  if (auto source = args.get("source")) config.source = Args::address(*source);
  config.unicast_peers = args.addresses("peer");
  if (auto group = args.get("group")) config.multicast_group = Args::address(*group);
  return config;
}

inline redvip::vrrp::Version version_option(const Args& args) {
  return args.number("version", 3) == 2 ? redvip::vrrp::Version::v2 : redvip::vrrp::Version::v3;
}

// --checksum-v4v3 with|without (default with: RFC 9568, keepalived)
inline redvip::vrrp::Ipv4V3Checksum checksum_option(const Args& args) {
  const auto text = args.get("checksum-v4v3").value_or("with");
  return text == "without" ? redvip::vrrp::Ipv4V3Checksum::without_pseudo_header
                           : redvip::vrrp::Ipv4V3Checksum::with_pseudo_header;
}

inline std::array<std::uint8_t, 8> auth_data(const std::string& password) {
  std::array<std::uint8_t, 8> data{};
  std::copy_n(password.begin(), std::min<std::size_t>(password.size(), 8), data.begin());
  return data;
}

}  // namespace nls
