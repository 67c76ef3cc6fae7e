#include "vrrp/codec.hpp"

#include <algorithm>

#include "vrrp/checksum.hpp"

namespace redvip::vrrp {
namespace {

// Wire layout shared by v2 (RFC 3768 5.1) and v3 (RFC 5798 5.1):
//   0: version (high nibble) | type (low nibble)   1: VRID   2: priority   3: address count
//   v2: 4: auth type  5: advert interval (s)       v3: 4-5: 4 reserved bits | 12-bit interval (cs)
//   6-7: checksum, 8: the addresses; v2 then 8 bytes of authentication data.
constexpr std::size_t kHeaderSize = 8;
constexpr std::size_t kAuthDataSize = 8;
constexpr std::size_t kChecksumOffset = 6;
constexpr std::uint8_t kTypeAdvertisement = 1;
constexpr std::uint16_t kV3IntervalMask = 0x0fff;
constexpr std::size_t kMaxAddresses = 255;

std::size_t expected_size(Version version, Family family, std::size_t count) {
  return kHeaderSize + count * address_size(family) + (version == Version::v2 ? kAuthDataSize : 0);
}

// The v2 checksum and the IPv4 "without" convention cover the VRRP message alone; v3 over
// IPv6 always and over IPv4 by default add the pseudo-header.
OnesComplementSum checksum_sum(std::span<const std::uint8_t> message, Version version,
                               const IpAddress& source, const IpAddress& destination,
                               Ipv4V3Checksum ipv4_v3_checksum) {
  OnesComplementSum sum;
  const bool pseudo =
      version == Version::v3 &&
      (source.family == Family::ipv6 || ipv4_v3_checksum == Ipv4V3Checksum::with_pseudo_header);
  if (pseudo) {
    add_pseudo_header(sum, source, destination, kProtocolNumber,
                      static_cast<std::uint32_t>(message.size()));
  }
  sum.add(message);
  return sum;
}

}  // namespace

std::string_view to_string(Reject reason) {
  switch (reason) {
    case Reject::too_short:
      return "too_short";
    case Reject::bad_ttl:
      return "bad_ttl";
    case Reject::bad_version:
      return "bad_version";
    case Reject::version_mismatch:
      return "version_mismatch";
    case Reject::family_mismatch:
      return "family_mismatch";
    case Reject::bad_type:
      return "bad_type";
    case Reject::bad_address_count:
      return "bad_address_count";
    case Reject::bad_checksum:
      return "bad_checksum";
    case Reject::vrid_mismatch:
      return "vrid_mismatch";
    case Reject::interval_zero:
      return "interval_zero";
    case Reject::auth_type_mismatch:
      return "auth_type_mismatch";
    case Reject::auth_mismatch:
      return "auth_mismatch";
    case Reject::count_:
      break;
  }
  return "unknown";
}

std::array<std::uint8_t, 8> password_auth_data(const std::string& password) {
  std::array<std::uint8_t, kAuthDataSize> padded{};
  std::copy_n(password.begin(), std::min(password.size(), padded.size()), padded.begin());
  return padded;
}

DecodeResult decode_shared(std::span<const std::uint8_t> packet, const IpMeta& meta,
                           Ipv4V3Checksum ipv4_v3_checksum) {
  if (packet.size() < kHeaderSize) return Reject::too_short;
  if (meta.ttl != kRequiredTtl) return Reject::bad_ttl;

  const std::uint8_t version_field = packet[0] >> 4;
  if (version_field != 2 && version_field != 3) return Reject::bad_version;
  const auto version = static_cast<Version>(version_field);

  const Family family = meta.source.family;
  if (meta.destination.family != family) return Reject::family_mismatch;
  if (version == Version::v2 && family != Family::ipv4) return Reject::family_mismatch;

  if ((packet[0] & 0x0f) != kTypeAdvertisement) return Reject::bad_type;

  const std::size_t count = packet[3];
  if (count == 0 || packet.size() != expected_size(version, family, count)) {
    return Reject::bad_address_count;
  }

  if (checksum_sum(packet, version, meta.source, meta.destination, ipv4_v3_checksum).folded() !=
      0xffff) {
    return Reject::bad_checksum;
  }

  Advert advert;
  advert.version = version;
  advert.family = family;
  advert.vrid = packet[1];
  advert.priority = packet[2];
  if (version == Version::v2) {
    advert.interval = std::chrono::seconds(packet[5]);
  } else {
    // The 4 reserved bits "MUST be ignored on receipt" (RFC 5798 5.2.5).
    advert.interval = Centiseconds((packet[4] << 8 | packet[5]) & kV3IntervalMask);
  }
  const std::size_t step = address_size(family);
  advert.addresses.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    advert.addresses.push_back(
        IpAddress::from_bytes(family, packet.subspan(kHeaderSize + i * step, step)));
  }
  if (version == Version::v2) {
    advert.auth_type = static_cast<AuthType>(packet[4]);
    std::copy_n(packet.end() - kAuthDataSize, kAuthDataSize, advert.auth_data.begin());
  }
  return advert;
}

std::optional<Reject> check_for_instance(const Advert& advert, const DecodeOptions& options) {
  if (options.version && *options.version != advert.version) return Reject::version_mismatch;
  if (options.vrid && *options.vrid != advert.vrid) return Reject::vrid_mismatch;
  if (advert.interval.count() == 0) return Reject::interval_zero;
  if (advert.version == Version::v2) {
    const auto expected_type = options.password ? AuthType::simple_text : AuthType::none;
    if (advert.auth_type != expected_type) return Reject::auth_type_mismatch;
    // With auth type 0 the auth data "is ignored on reception" (RFC 3768 5.3.6.1).
    if (options.password && advert.auth_data != password_auth_data(*options.password)) {
      return Reject::auth_mismatch;
    }
  }
  return std::nullopt;
}

DecodeResult decode(std::span<const std::uint8_t> packet, const IpMeta& meta,
                    const DecodeOptions& options) {
  // What decode_shared checks first, so that version_mismatch keeps its place in the order.
  if (packet.size() < kHeaderSize) return Reject::too_short;
  if (meta.ttl != kRequiredTtl) return Reject::bad_ttl;
  const std::uint8_t version_field = packet[0] >> 4;
  if (version_field != 2 && version_field != 3) return Reject::bad_version;
  if (options.version && static_cast<std::uint8_t>(*options.version) != version_field) {
    return Reject::version_mismatch;
  }
  auto result = decode_shared(packet, meta, options.ipv4_v3_checksum);
  if (const auto* advert = std::get_if<Advert>(&result)) {
    if (auto reject = check_for_instance(*advert, options)) return *reject;
  }
  return result;
}

bool can_encode(const Advert& advert) {
  if (advert.addresses.empty() || advert.addresses.size() > kMaxAddresses) return false;
  if (!std::all_of(advert.addresses.begin(), advert.addresses.end(),
                   [&](const IpAddress& a) { return a.family == advert.family; })) {
    return false;
  }
  const auto cs = advert.interval.count();
  if (advert.version == Version::v2) {
    return advert.family == Family::ipv4 && cs % 100 == 0 && cs >= 100 && cs <= 255 * 100 &&
           advert.auth_type != AuthType::ip_ah;
  }
  return cs >= 1 && cs <= kV3IntervalMask && advert.auth_type == AuthType::none &&
         advert.auth_data == std::array<std::uint8_t, kAuthDataSize>{};
}

std::vector<std::uint8_t> encode(const Advert& advert, const IpAddress& source,
                                 const IpAddress& destination, Ipv4V3Checksum ipv4_v3_checksum) {
  const std::size_t count = std::min(advert.addresses.size(), kMaxAddresses);
  std::vector<std::uint8_t> out(expected_size(advert.version, advert.family, count));
  out[0] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(advert.version) << 4 |
                                     kTypeAdvertisement);
  out[1] = advert.vrid;
  out[2] = advert.priority;
  out[3] = static_cast<std::uint8_t>(count);
  const auto cs = advert.interval.count();
  if (advert.version == Version::v2) {
    out[4] = static_cast<std::uint8_t>(advert.auth_type);
    out[5] = static_cast<std::uint8_t>(std::clamp<std::int64_t>((cs + 99) / 100, 1, 255));
  } else {
    const auto interval =
        static_cast<std::uint16_t>(std::clamp<std::int64_t>(cs, 1, kV3IntervalMask));
    out[4] = static_cast<std::uint8_t>(interval >> 8);
    out[5] = static_cast<std::uint8_t>(interval);
  }
  const std::size_t step = address_size(advert.family);
  for (std::size_t i = 0; i < count; ++i) {
    std::copy_n(advert.addresses[i].bytes.begin(), step, out.begin() + kHeaderSize + i * step);
  }
  if (advert.version == Version::v2) {
    std::copy(advert.auth_data.begin(), advert.auth_data.end(), out.end() - kAuthDataSize);
  }
  const std::uint16_t checksum =
      checksum_sum(out, advert.version, source, destination, ipv4_v3_checksum).checksum();
  out[kChecksumOffset] = static_cast<std::uint8_t>(checksum >> 8);
  out[kChecksumOffset + 1] = static_cast<std::uint8_t>(checksum);
  return out;
}

}  // namespace redvip::vrrp
