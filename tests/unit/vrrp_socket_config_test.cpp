#include <catch2/catch.hpp>

#include <array>

#include "netlink/vrrp_socket.hpp"

using redvip::netlink::VrrpSocket;
using redvip::netlink::VrrpSocketConfig;
using redvip::vrrp::Family;
using redvip::vrrp::IpAddress;

namespace {

VrrpSocketConfig loopback_v4() {
  VrrpSocketConfig config;
  config.family = Family::ipv4;
  config.interface = "lo";
  config.source = IpAddress::v4(127, 0, 0, 1);
  return config;
}

std::error_code open_with(const VrrpSocketConfig& config) {
  boost::asio::io_context io;
  VrrpSocket socket(io, config);
  return socket.open();
}

}  // namespace

// These are refused before any socket exists, so they need no privileges.
TEST_CASE("VrrpSocket refuses configurations that mix families or misuse the group",
          "[nls][socket]") {
  auto peer_v6 = loopback_v4();
  peer_v6.unicast_peers = {*IpAddress::parse("fd00::1")};
  CHECK(open_with(peer_v6) == std::errc::invalid_argument);

  auto source_v6 = loopback_v4();
  source_v6.source = IpAddress::parse("fe80::1");
  CHECK(open_with(source_v6) == std::errc::invalid_argument);

  auto unicast_group = loopback_v4();
  unicast_group.multicast_group = IpAddress::v4(10, 0, 0, 1);
  CHECK(open_with(unicast_group) == std::errc::invalid_argument);

  auto multicast_peer = loopback_v4();
  multicast_peer.unicast_peers = {IpAddress::v4(224, 0, 0, 18)};
  CHECK(open_with(multicast_peer) == std::errc::invalid_argument);

  auto no_such_interface = loopback_v4();
  no_such_interface.interface = "nls-none0";
  CHECK(open_with(no_such_interface) == std::errc::no_such_device);
}

TEST_CASE("VrrpSocket defaults to the VRRP group of its family", "[nls][socket]") {
  CHECK(redvip::netlink::default_multicast_group(Family::ipv4).to_string() == "224.0.0.18");
  CHECK(redvip::netlink::default_multicast_group(Family::ipv6).to_string() == "ff02::12");
}

TEST_CASE("VrrpSocket send before open is an error, not a crash", "[nls][socket]") {
  boost::asio::io_context io;
  VrrpSocket socket(io, loopback_v4());
  const std::array<std::uint8_t, 8> bytes{};
  CHECK(socket.send_to(bytes, redvip::netlink::default_multicast_group(Family::ipv4)) ==
        std::errc::bad_file_descriptor);
  CHECK(socket.counters().sent == 0);
}
