#pragma once
// The VRRP packet codec: bytes in, an Advert or exactly one rejection reason out. Never throws;
// the caller counts rejections per reason.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vrrp/advert.hpp"

namespace redvip::vrrp {

// One value per check, in the order decode() applies them.
enum class Reject : std::uint8_t {
  too_short,
  bad_ttl,
  bad_version,
  version_mismatch,
  bad_type,
  vrid_mismatch,
  bad_address_count,  // count field disagrees with the packet length, or is zero
  family_mismatch,     // v2 over IPv6
  bad_checksum,
  interval_zero,
  auth_type_mismatch,
  auth_mismatch,
  count_  // keep last: the number of reasons
};

inline constexpr std::size_t kRejectCount = static_cast<std::size_t>(Reject::count_);
std::string_view to_string(Reject reason);

// What the IP layer told us about the packet (from the raw socket's ancillary data).
struct IpMeta {
  IpAddress source;
  IpAddress destination;  // needed for the v3 pseudo-header checksum
  std::uint8_t ttl = kRequiredTtl;  // TTL or hop limit
};

// RFC 5798 is ambiguous about the IPv4 pseudo-header for v3; RFC 9568 settles on including it.
enum class Ipv4V3Checksum : std::uint8_t { with_pseudo_header, without_pseudo_header };

struct DecodeOptions {
  std::optional<Version> version;            // reject anything else
  std::optional<std::uint8_t> vrid;          // reject anything else
  std::optional<std::string> password;       // v2 PASS; nullopt = expect no authentication
  Ipv4V3Checksum ipv4_v3_checksum = Ipv4V3Checksum::with_pseudo_header;
};

using DecodeResult = std::variant<Advert, Reject>;

DecodeResult decode(std::span<const std::uint8_t> packet, const IpMeta& meta,
                    const DecodeOptions& options);

// Encodes the VRRP part (no IP header). source/destination feed the checksum.
std::vector<std::uint8_t> encode(const Advert& advert, const IpAddress& source,
                                 const IpAddress& destination,
                                 Ipv4V3Checksum ipv4_v3_checksum = Ipv4V3Checksum::with_pseudo_header);

}  // namespace redvip::vrrp
