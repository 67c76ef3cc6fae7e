// libFuzzer target for the VRRP codec. Input: one control byte, then the VRRP bytes.
//   control bits 0-1: IP layer (0 IPv4 multicast, 1 IPv4 unicast, 2 IPv6 multicast,
//                     3 IPv4 multicast with TTL 254); the addresses are those of the keepalived
//                     captures, so the seed corpus (tests/fixtures/keepalived) passes the checksum
//   control bit 2:    recompute the checksum first, so mutations reach the checks behind it
//   control bit 3:    ... using the v2-style sum for v3 over IPv4 (no pseudo-header)
// Every input is decoded under several option sets. Properties checked: decode never crashes
// and returns a valid reason; whatever decodes can be encoded exactly, decodes again to the same
// advert, and (v3 reserved bits aside) re-encodes to the very same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "vrrp/checksum.hpp"
#include "vrrp/codec.hpp"

using namespace redvip::vrrp;

namespace {

void check(bool property) {
  if (!property) std::abort();
}

IpMeta meta_for(std::uint8_t control) {
  switch (control & 0x03) {
    case 1:
      return {IpAddress::v4(192, 0, 2, 1), IpAddress::v4(192, 0, 2, 2), 255};
    case 2:
      return {*IpAddress::parse("fe80::ff:fe00:a"), *IpAddress::parse("ff02::12"), 255};
    case 3:
      return {IpAddress::v4(192, 0, 2, 1), IpAddress::v4(224, 0, 0, 18), 254};
    default:
      return {IpAddress::v4(192, 0, 2, 1), IpAddress::v4(224, 0, 0, 18), 255};
  }
}

std::vector<DecodeOptions> option_sets() {
  std::vector<DecodeOptions> sets(8);
  sets[1].ipv4_v3_checksum = Ipv4V3Checksum::without_pseudo_header;
  sets[2].version = Version::v2;
  sets[2].vrid = 51;
  sets[2].password = "secret1";
  sets[3].password = "secret1";
  sets[4].version = Version::v3;
  sets[4].vrid = 53;
  sets[5].version = Version::v3;
  sets[5].password = "a password longer than 8";
  sets[6].vrid = 54;
  sets[6].password = "";
  sets[7].version = Version::v3;
  sets[7].vrid = 55;
  sets[7].ipv4_v3_checksum = Ipv4V3Checksum::without_pseudo_header;
  return sets;
}

void refresh_checksum(std::vector<std::uint8_t>& bytes, const IpMeta& meta, bool without) {
  if (bytes.size() < 8) return;
  bytes[6] = bytes[7] = 0;
  OnesComplementSum sum;
  if ((bytes[0] >> 4) == 3 && (meta.source.family == Family::ipv6 || !without)) {
    add_pseudo_header(sum, meta.source, meta.destination, kProtocolNumber,
                      static_cast<std::uint32_t>(bytes.size()));
  }
  sum.add(bytes);
  bytes[6] = static_cast<std::uint8_t>(sum.checksum() >> 8);
  bytes[7] = static_cast<std::uint8_t>(sum.checksum());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const std::vector<DecodeOptions> sets = option_sets();
  const std::uint8_t control = data[0];
  const IpMeta meta = meta_for(control);
  std::vector<std::uint8_t> packet(data + 1, data + size);
  if (control & 0x04) refresh_checksum(packet, meta, (control & 0x08) != 0);

  for (const auto& options : sets) {
    const DecodeResult result = decode(packet, meta, options);
    // The shared receive path's two steps accept exactly what decode() accepts; a rejection
    // may name another reason only when decode() reported version_mismatch early.
    DecodeResult shared = decode_shared(packet, meta, options.ipv4_v3_checksum);
    if (const auto* advert = std::get_if<Advert>(&shared)) {
      if (auto reject = check_for_instance(*advert, options)) shared = *reject;
    }
    check(shared.index() == result.index());
    if (result.index() == 0 || std::get<Reject>(result) != Reject::version_mismatch) {
      check(shared == result);
    }
    if (const auto* reason = std::get_if<Reject>(&result)) {
      check(static_cast<std::size_t>(*reason) < kRejectCount);
      continue;
    }
    const Advert& advert = std::get<Advert>(result);
    check(advert.family == meta.source.family);
    check(!advert.addresses.empty());
    check(can_encode(advert));
    const auto bytes = encode(advert, meta.source, meta.destination, options.ipv4_v3_checksum);
    check(decode(bytes, meta, options) == result);
    // Byte for byte, but for the v3 reserved bits (ignored) and the checksum, whose zero has
    // two one's-complement forms (0x0000 and 0xffff both verify).
    check(bytes.size() == packet.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      if (i == 6 || i == 7) continue;
      const bool reserved = i == 4 && advert.version == Version::v3;
      check((reserved ? bytes[i] ^ (packet[i] & 0x0f) : bytes[i] ^ packet[i]) == 0);
    }
    const unsigned sent = packet[6] << 8 | packet[7];
    const unsigned ours = bytes[6] << 8 | bytes[7];
    const bool reserved_bits_set = advert.version == Version::v3 && (packet[4] & 0xf0) != 0;
    if (!reserved_bits_set)
      check(sent == ours || (sent == 0xffff && ours == 0) || (sent == 0 && ours == 0xffff));
  }
  return 0;
}
