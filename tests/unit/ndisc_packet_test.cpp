#include <catch2/catch.hpp>

#include <vector>

#include "netlink/ndisc_packet.hpp"

using redvip::netlink::MacAddress;
using redvip::netlink::unsolicited_na;
using redvip::vrrp::IpAddress;

TEST_CASE("unsolicited NA has Override set, Solicited clear, and the target link-layer option",
          "[nls][ndisc]") {
  const MacAddress mac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  const auto vip = IpAddress::parse("fd00:db8::64");
  REQUIRE(vip);
  const auto message = unsolicited_na(mac, *vip);
  // RFC 4861 4.4 and 4.6.1, field by field.
  const std::vector<std::uint8_t> expected{
      136,  0,                                   // type Neighbor Advertisement, code 0
      0x00, 0x00,                                // checksum: the kernel fills it in
      0x20, 0x00, 0x00, 0x00,                    // R=0 S=0 O=1, reserved
      0xfd, 0x00, 0x0d, 0xb8, 0,    0,    0, 0,  // target address: the VIP
      0,    0,    0,    0,    0,    0,    0, 0x64,
      2,    1,                             // option: target link-layer address, 8 bytes
      0x02, 0x11, 0x22, 0x33, 0x44, 0x55,  // the new MAC
  };
  CHECK(std::vector<std::uint8_t>(message.begin(), message.end()) == expected);
}
