#pragma once
// The VRRP packet codec: bytes in, an Advert or exactly one rejection reason out. Never throws;
// the caller counts rejections per reason.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vrrp/advert.hpp"

namespace redvip::vrrp {

// One value per check, in the order decode() applies them; the first failing check is the
// one reported. The order follows RFC 5798 7.1 / RFC 3768 7.1: what the IP layer says, then
// what can be read without trusting the packet (version, type, length), then the checksum, and
// only then the content of a packet known to be intact (VRID, interval, authentication). So a
// corrupted packet counts as bad_checksum, and vrid_mismatch counts only intact adverts of
// other groups on the link.
enum class Reject : std::uint8_t {
  too_short,          // shorter than the 8-byte fixed header
  bad_ttl,            // TTL / hop limit not 255 (RFC 5798 7.1: the packet may come from off-link)
  bad_version,        // version field neither 2 nor 3
  version_mismatch,   // DecodeOptions::version is set and differs
  family_mismatch,    // v2 over IPv6, or source and destination of different families
  bad_type,           // type field not 1 (advertisement)
  bad_address_count,  // count is zero, or the length is not exactly what count implies
  bad_checksum,
  vrid_mismatch,       // DecodeOptions::vrid is set and differs
  interval_zero,       // v2 advert int or v3 max advert int is zero
  auth_type_mismatch,  // v2: auth type is not PASS with a password, not 0 without one
  auth_mismatch,       // v2 PASS: the 8 auth-data bytes are not the zero padded password
  count_               // keep last: the number of reasons
};

inline constexpr std::size_t kRejectCount = static_cast<std::size_t>(Reject::count_);
// A stable snake_case name ("bad_checksum"), fit for a metrics label.
std::string_view to_string(Reject reason);

// What the IP layer told us about the packet (from the raw socket's ancillary data).
struct IpMeta {
  IpAddress source;
  IpAddress destination;            // needed for the v3 pseudo-header checksum
  std::uint8_t ttl = kRequiredTtl;  // TTL or hop limit
};

// RFC 5798 is ambiguous about the IPv4 pseudo-header for v3; RFC 9568 settles on including it,
// and so does keepalived 2.2.7 (tests/fixtures/keepalived shows it, unicast included).
// without_pseudo_header is the v2-style sum over the VRRP message alone.
enum class Ipv4V3Checksum : std::uint8_t { with_pseudo_header, without_pseudo_header };

struct DecodeOptions {
  std::optional<Version> version;    // reject anything else
  std::optional<std::uint8_t> vrid;  // reject anything else
  // v2 PASS: the first 8 bytes, zero padded (as keepalived truncates longer ones).
  // nullopt = expect auth type 0. v3 has no authentication: ignored for v3 packets.
  std::optional<std::string> password;
  Ipv4V3Checksum ipv4_v3_checksum = Ipv4V3Checksum::with_pseudo_header;
};

using DecodeResult = std::variant<Advert, Reject>;

// packet is the VRRP part (no IP header). The Advert's family is the IP layer's; v2 auth data
// is kept as received (8 bytes, also when the auth type is 0 and they are only ignored); v3
// reserved bits are ignored and v3 adverts carry AuthType::none and zero auth data.
// decode() is decode_shared() then check_for_instance(), except that a version_mismatch is
// reported as early as in the order above.
DecodeResult decode(std::span<const std::uint8_t> packet, const IpMeta& meta,
                    const DecodeOptions& options);

// The checks that do not depend on who reads the packet (too_short .. bad_checksum), once per
// packet for every instance on a link. The Advert keeps the v2 auth type as received, and an
// interval that may be zero.
DecodeResult decode_shared(std::span<const std::uint8_t> packet, const IpMeta& meta,
                           Ipv4V3Checksum ipv4_v3_checksum = Ipv4V3Checksum::with_pseudo_header);
// The rest, for one instance: version_mismatch, vrid_mismatch, interval_zero,
// auth_type_mismatch, auth_mismatch (options.ipv4_v3_checksum is not used). nullopt: accepted.
std::optional<Reject> check_for_instance(const Advert& advert, const DecodeOptions& options);

// v2 simple text authentication data: the first 8 bytes of the password, zero padded (keepalived
// truncates longer ones the same way).
std::array<std::uint8_t, 8> password_auth_data(const std::string& password);

// True when encode() represents the advert exactly, i.e. decode(encode(a)) == a: 1..255
// addresses all of the advert's family, v2 only over IPv4 with an interval of 1..255 whole
// seconds, v3 with an interval of 1..4095 centiseconds, AuthType::none and zero auth data.
bool can_encode(const Advert& advert);

// Encodes the VRRP part (no IP header). source/destination feed the checksum. Never fails: an
// advert can_encode() refuses is clamped (interval into range, rounded up to whole seconds for
// v2; at most 255 addresses, each written in the advert's family).
std::vector<std::uint8_t> encode(
    const Advert& advert, const IpAddress& source, const IpAddress& destination,
    Ipv4V3Checksum ipv4_v3_checksum = Ipv4V3Checksum::with_pseudo_header);

}  // namespace redvip::vrrp
