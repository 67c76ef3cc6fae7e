#include "vrrp/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace redvip::vrrp {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  IpAddress a;
  if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::ipv4;
    return a;
  }
  if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::ipv6;
    return a;
  }
  return std::nullopt;
}

IpAddress IpAddress::from_bytes(Family family, std::span<const std::uint8_t> raw) {
  IpAddress a;
  a.family = family;
  std::copy_n(raw.begin(), std::min(raw.size(), address_size(family)), a.bytes.begin());
  return a;
}

IpAddress IpAddress::v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family == Family::ipv4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

bool IpAddress::is_multicast() const {
  return family == Family::ipv4 ? (bytes[0] & 0xf0) == 0xe0 : bytes[0] == 0xff;
}

bool IpAddress::is_link_local() const {
  if (family == Family::ipv4) return bytes[0] == 169 && bytes[1] == 254;
  return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
}

}  // namespace redvip::vrrp
