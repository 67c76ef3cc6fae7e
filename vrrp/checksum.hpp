#pragma once
// The Internet checksum (RFC 1071): a 16-bit one's-complement sum, accumulated over the pieces
// a checksum covers (a pseudo-header, then the message) without copying them together.
#include <cstdint>
#include <span>

#include "vrrp/ip_address.hpp"

namespace redvip::vrrp {

class OnesComplementSum {
 public:
  // Bytes are summed as big-endian 16-bit words; an odd byte carries into the next call, so
  // splitting the input anywhere gives the same sum as one call.
  void add(std::span<const std::uint8_t> bytes);
  void add_u16(std::uint16_t word);
  void add_u32(std::uint32_t word);

  // The folded sum. A message whose checksum field is right sums to 0xffff.
  std::uint16_t folded() const;
  // The value to store in a zeroed checksum field: the complement of the folded sum.
  std::uint16_t checksum() const { return static_cast<std::uint16_t>(~folded()); }

 private:
  std::uint64_t sum_ = 0;
  bool odd_ = false;  // the last byte added was the high half of a word
};

// Pseudo-headers for an upper-layer protocol carried in IPv4 (RFC 768 style: source,
// destination, zero, protocol, 16-bit length) or IPv6 (RFC 2460 8.1: source, destination,
// 32-bit length, three zero bytes, next header). The family comes from the addresses.
void add_pseudo_header(OnesComplementSum& sum, const IpAddress& source,
                       const IpAddress& destination, std::uint8_t protocol, std::uint32_t length);

}  // namespace redvip::vrrp
