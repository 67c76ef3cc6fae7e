#include <catch2/catch.hpp>

#include <vector>

#include "netlink/arp_packet.hpp"

using redvip::netlink::gratuitous_arp_frame;
using redvip::netlink::MacAddress;
using redvip::vrrp::IpAddress;

TEST_CASE("gratuitous ARP frame is a broadcast request with sender IP == target IP", "[nls][arp]") {
  const MacAddress mac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  const auto frame = gratuitous_arp_frame(mac, IpAddress::v4(192, 0, 2, 100));
  // Written out from RFC 826 / IEEE 802.3 field by field, not from our own code.
  const std::vector<std::uint8_t> expected{
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // Ethernet destination: broadcast
      0x02, 0x11, 0x22, 0x33, 0x44, 0x55,  // Ethernet source: the new MAC
      0x08, 0x06,                          // EtherType ARP
      0x00, 0x01,                          // hardware: Ethernet
      0x08, 0x00,                          // protocol: IPv4
      0x06, 0x04,                          // address lengths
      0x00, 0x01,                          // request
      0x02, 0x11, 0x22, 0x33, 0x44, 0x55,  // sender MAC
      192,  0,    2,    100,               // sender IP: the VIP
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // target MAC
      192,  0,    2,    100,               // target IP: the VIP again
  };
  CHECK(std::vector<std::uint8_t>(frame.begin(), frame.end()) == expected);
}

TEST_CASE("gratuitous ARP frame carries whichever MAC and VIP it is given", "[nls][arp]") {
  const MacAddress mac{0x00, 0x00, 0x5e, 0x00, 0x01, 0x33};  // a VRRP virtual MAC, VRID 51
  const auto frame = gratuitous_arp_frame(mac, IpAddress::v4(10, 1, 2, 3));
  CHECK(std::equal(mac.begin(), mac.end(), frame.begin() + 6));
  CHECK(std::equal(mac.begin(), mac.end(), frame.begin() + 22));
  CHECK(frame[28] == 10);
  CHECK(frame[31] == 3);
  CHECK(frame[38] == 10);
  CHECK(frame[41] == 3);
}
