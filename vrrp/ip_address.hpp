#pragma once
// An IPv4 or IPv6 address as raw network-order bytes: what the wire carries and what the
// election compares ("higher primary address wins" is a byte-wise comparison).
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace redvip::vrrp {

enum class Family : std::uint8_t { ipv4, ipv6 };

struct IpAddress {
  Family family = Family::ipv4;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4, the rest stay zero

  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress from_bytes(Family family, std::span<const std::uint8_t> raw);
  static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);

  std::size_t size() const { return family == Family::ipv4 ? 4 : 16; }
  std::span<const std::uint8_t> view() const { return {bytes.data(), size()}; }
  std::string to_string() const;
  bool is_multicast() const;
  bool is_link_local() const;  // fe80::/10 (IPv6) or 169.254/16 (IPv4)

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

constexpr std::size_t address_size(Family family) { return family == Family::ipv4 ? 4 : 16; }

}  // namespace redvip::vrrp
