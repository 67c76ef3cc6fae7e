// The conversions behind every number, address and name in the config.
#include <catch2/catch.hpp>

#include "agent/config/values.hpp"

using namespace redvip::agent;
using redvip::vrrp::Family;
using redvip::vrrp::IpAddress;

TEST_CASE("Config values: whole numbers are plain decimal within the range", "[config]") {
  CHECK(parse_unsigned("0", 0, 10) == 0u);
  CHECK(parse_unsigned("255", 1, 255) == 255u);
  CHECK_FALSE(parse_unsigned("256", 1, 255));
  CHECK_FALSE(parse_unsigned("0", 1, 255));
  CHECK_FALSE(parse_unsigned("", 0, 10));
  CHECK_FALSE(parse_unsigned("-1", 0, 10));
  CHECK_FALSE(parse_unsigned("+1", 0, 10));
  CHECK_FALSE(parse_unsigned("1 ", 0, 10));
  CHECK_FALSE(parse_unsigned("0x1", 0, 10));
  CHECK_FALSE(parse_unsigned("99999999999999999999999", 0, ~0ull));  // would overflow
}

TEST_CASE("Config values: decimals become exact integers", "[config]") {
  CHECK(parse_fixed("0.1", 2).scaled == 10);
  CHECK(parse_fixed("40.95", 2).scaled == 4095);
  CHECK(parse_fixed("3", 2).scaled == 300);
  CHECK(parse_fixed("0.100", 2).scaled == 10);  // trailing zeros carry no precision
  CHECK(parse_fixed("0.05", 3).scaled == 50);
  CHECK(parse_fixed("1.", 2).error == FixedError::not_a_number);
  CHECK(parse_fixed(".5", 2).error == FixedError::not_a_number);
  CHECK(parse_fixed("1,5", 2).error == FixedError::not_a_number);
  CHECK(parse_fixed("1e2", 2).error == FixedError::not_a_number);
  CHECK(parse_fixed("-1", 2).error == FixedError::not_a_number);
  CHECK(parse_fixed("0.005", 2).error == FixedError::too_many_decimals);
  CHECK(parse_fixed("1234567890", 2).error == FixedError::too_large);
}

TEST_CASE("Config values: ADDRESS[/PREFIX] defaults to a host prefix", "[config]") {
  auto v4 = parse_prefixed_address("192.0.2.1");
  REQUIRE(v4);
  CHECK(v4->prefix == 32);
  CHECK_FALSE(v4->prefix_given);
  auto v6 = parse_prefixed_address("2001:db8::1");
  REQUIRE(v6);
  CHECK(v6->prefix == 128);
  auto p = parse_prefixed_address("2001:db8::1/64");
  REQUIRE(p);
  CHECK(p->prefix == 64);
  CHECK(p->address.family == Family::ipv6);
  CHECK_FALSE(parse_prefixed_address("192.0.2.1/"));
  CHECK_FALSE(parse_prefixed_address("192.0.2.1/33"));
  CHECK_FALSE(parse_prefixed_address("192.0.2.1/0024"));
  CHECK_FALSE(parse_prefixed_address("192.0.2.1/24/1"));
  CHECK_FALSE(parse_prefixed_address("/24"));
}

TEST_CASE("Config values: HOST:PORT needs brackets around IPv6", "[config]") {
  CHECK(parse_host_port("127.0.0.1:9150") == HostPort{IpAddress::v4(127, 0, 0, 1), 9150});
  CHECK(parse_host_port("[::1]:9150") == HostPort{*IpAddress::parse("::1"), 9150});
  CHECK_FALSE(parse_host_port("::1:9150"));
  CHECK_FALSE(parse_host_port("127.0.0.1"));
  CHECK_FALSE(parse_host_port("127.0.0.1:65536"));
  CHECK_FALSE(parse_host_port("localhost:80"));
  CHECK_FALSE(parse_host_port("[::1]9150"));
  CHECK_FALSE(parse_host_port("[127.0.0.1:80"));
  CHECK_FALSE(parse_host_port("127.0.0.1:9x"));
  CHECK_FALSE(parse_host_port(":9650"));
}

TEST_CASE("Config values: HOST:PORT prints back as it is written", "[config]") {
  for (const char* text : {"127.0.0.1:9650", "[::1]:9650", "[2001:db8::7]:1"}) {
    const auto parsed = parse_host_port(text);
    REQUIRE(parsed);
    CHECK(to_string(*parsed) == text);
  }
}

TEST_CASE("Config values: interface names as the kernel accepts them", "[config]") {
  CHECK(valid_interface_name("eth0"));
  CHECK(valid_interface_name("vrrp.51"));
  CHECK(valid_interface_name("abcdefghijklmno"));         // 15
  CHECK_FALSE(valid_interface_name("abcdefghijklmnop"));  // 16
  CHECK_FALSE(valid_interface_name(""));
  CHECK_FALSE(valid_interface_name("."));
  CHECK_FALSE(valid_interface_name(".."));
  CHECK_FALSE(valid_interface_name("eth0:1"));
  CHECK_FALSE(valid_interface_name("a/b"));
  CHECK_FALSE(valid_interface_name("a b"));
}
