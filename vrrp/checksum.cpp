#include "vrrp/checksum.hpp"

namespace redvip::vrrp {

void OnesComplementSum::add(std::span<const std::uint8_t> bytes) {
  for (const std::uint8_t byte : bytes) {
    sum_ += odd_ ? byte : static_cast<std::uint64_t>(byte) << 8;
    odd_ = !odd_;
  }
}

void OnesComplementSum::add_u16(std::uint16_t word) {
  const std::uint8_t bytes[] = {static_cast<std::uint8_t>(word >> 8),
                                static_cast<std::uint8_t>(word)};
  add(bytes);
}

void OnesComplementSum::add_u32(std::uint32_t word) {
  add_u16(static_cast<std::uint16_t>(word >> 16));
  add_u16(static_cast<std::uint16_t>(word));
}

std::uint16_t OnesComplementSum::folded() const {
  // End-around carry: 2^16 == 1 in one's-complement arithmetic.
  std::uint64_t sum = sum_;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

void add_pseudo_header(OnesComplementSum& sum, const IpAddress& source,
                       const IpAddress& destination, std::uint8_t protocol, std::uint32_t length) {
  sum.add(source.view());
  sum.add(destination.view());
  if (source.family == Family::ipv4) {
    sum.add_u16(protocol);  // a zero byte, then the protocol
    sum.add_u16(static_cast<std::uint16_t>(length));
  } else {
    sum.add_u32(length);
    sum.add_u32(protocol);  // three zero bytes, then the next header
  }
}

}  // namespace redvip::vrrp
