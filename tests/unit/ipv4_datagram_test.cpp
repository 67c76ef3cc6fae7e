#include <catch2/catch.hpp>

#include <vector>

#include "netlink/vrrp_socket.hpp"

using redvip::netlink::parse_ipv4_datagram;
using redvip::vrrp::IpAddress;

namespace {

// An IPv4 header as a raw socket returns it, then `payload_size` bytes of 0xab.
std::vector<std::uint8_t> datagram(std::uint8_t ihl_words, std::uint8_t ttl, std::uint8_t protocol,
                                   std::size_t payload_size) {
  std::vector<std::uint8_t> bytes(ihl_words * 4u, 0);
  bytes[0] = static_cast<std::uint8_t>(0x40 | ihl_words);
  const auto total = bytes.size() + payload_size;
  bytes[2] = static_cast<std::uint8_t>(total >> 8);
  bytes[3] = static_cast<std::uint8_t>(total & 0xff);
  bytes[8] = ttl;
  bytes[9] = protocol;
  const std::uint8_t addresses[] = {10, 0, 0, 1, 224, 0, 0, 18};
  std::copy(std::begin(addresses), std::end(addresses), bytes.begin() + 12);
  bytes.resize(total, 0xab);
  return bytes;
}

}  // namespace

TEST_CASE("IPv4 datagram splits into header facts and the VRRP payload", "[nls][socket]") {
  const auto bytes = datagram(5, 255, 112, 20);
  const auto parsed = parse_ipv4_datagram(bytes);
  REQUIRE(parsed);
  CHECK(parsed->payload.size() == 20);
  CHECK(parsed->payload.data() == bytes.data() + 20);
  CHECK(parsed->meta.ttl == 255);
  CHECK(parsed->meta.source == IpAddress::v4(10, 0, 0, 1));
  CHECK(parsed->meta.destination == IpAddress::v4(224, 0, 0, 18));
}

TEST_CASE("IPv4 datagram with options: the payload starts after IHL words", "[nls][socket]") {
  const auto bytes = datagram(6, 254, 112, 16);  // one word of options (router alert size)
  const auto parsed = parse_ipv4_datagram(bytes);
  REQUIRE(parsed);
  CHECK(parsed->payload.size() == 16);
  CHECK(parsed->payload.data() == bytes.data() + 24);
  CHECK(parsed->meta.ttl == 254);  // reported, not judged: the codec rejects it
}

TEST_CASE("IPv4 datagram: trailing bytes beyond the total length are not payload",
          "[nls][socket]") {
  auto bytes = datagram(5, 255, 112, 20);
  bytes.resize(bytes.size() + 6, 0);  // Ethernet padding that a short frame could carry
  const auto parsed = parse_ipv4_datagram(bytes);
  REQUIRE(parsed);
  CHECK(parsed->payload.size() == 20);
}

TEST_CASE("IPv4 datagram: malformed headers are refused", "[nls][socket]") {
  CHECK_FALSE(parse_ipv4_datagram(std::vector<std::uint8_t>(19, 0x45)));  // shorter than a header
  auto wrong_protocol = datagram(5, 255, 17, 20);
  CHECK_FALSE(parse_ipv4_datagram(wrong_protocol));
  auto version6 = datagram(5, 255, 112, 20);
  version6[0] = 0x65;
  CHECK_FALSE(parse_ipv4_datagram(version6));
  auto ihl_too_small = datagram(5, 255, 112, 20);
  ihl_too_small[0] = 0x44;
  CHECK_FALSE(parse_ipv4_datagram(ihl_too_small));
  auto ihl_past_end = datagram(5, 255, 112, 0);
  ihl_past_end[0] = 0x4f;  // 60-byte header in a 20-byte datagram
  CHECK_FALSE(parse_ipv4_datagram(ihl_past_end));
  auto total_past_end = datagram(5, 255, 112, 20);
  total_past_end[3] = static_cast<std::uint8_t>(total_past_end[3] + 1);
  CHECK_FALSE(parse_ipv4_datagram(total_past_end));
  auto total_inside_header = datagram(5, 255, 112, 20);
  total_inside_header[2] = 0;
  total_inside_header[3] = 19;
  CHECK_FALSE(parse_ipv4_datagram(total_inside_header));
}
