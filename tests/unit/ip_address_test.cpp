#include <catch2/catch.hpp>

#include "vrrp/ip_address.hpp"

using redvip::vrrp::Family;
using redvip::vrrp::IpAddress;

TEST_CASE("IP addresses parse and print in both families", "[ip_address]") {
  auto v4 = IpAddress::parse("192.0.2.7");
  REQUIRE(v4);
  CHECK(v4->family == Family::ipv4);
  CHECK(v4->size() == 4);
  CHECK(v4->to_string() == "192.0.2.7");
  CHECK(*v4 == IpAddress::v4(192, 0, 2, 7));

  auto v6 = IpAddress::parse("fe80::1");
  REQUIRE(v6);
  CHECK(v6->family == Family::ipv6);
  CHECK(v6->is_link_local());
  CHECK(v6->to_string() == "fe80::1");

  CHECK_FALSE(IpAddress::parse(""));
  CHECK_FALSE(IpAddress::parse("300.1.1.1"));
  CHECK_FALSE(IpAddress::parse("192.0.2.7/24"));
  CHECK_FALSE(IpAddress::parse("not an address"));
}

TEST_CASE("Higher address compares greater, byte by byte in network order", "[ip_address]") {
  CHECK(IpAddress::v4(10, 0, 0, 2) > IpAddress::v4(10, 0, 0, 1));
  CHECK(IpAddress::v4(10, 0, 1, 0) > IpAddress::v4(10, 0, 0, 255));
  CHECK(IpAddress::v4(224, 0, 0, 18).is_multicast());
  CHECK_FALSE(IpAddress::v4(10, 0, 0, 1).is_multicast());
  CHECK(IpAddress::parse("ff02::12")->is_multicast());
}
