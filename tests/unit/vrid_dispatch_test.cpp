// The shared receive path's demultiplexer: one decode per packet, the listener of its VRID in
// O(1), every packet counted once.
#include <catch2/catch.hpp>

#include <vector>

#include "netlink/vrid_dispatch.hpp"

using namespace redvip;
using vrrp::IpAddress;

namespace {

const IpAddress kSource = IpAddress::v4(10, 0, 0, 6);
const IpAddress kGroup = IpAddress::v4(224, 0, 0, 18);

std::vector<std::uint8_t> advert_bytes(std::uint8_t vrid) {
  vrrp::Advert a;
  a.version = vrrp::Version::v3;
  a.vrid = vrid;
  a.priority = 200;
  a.addresses = {IpAddress::v4(10, 0, 0, 100)};
  return vrrp::encode(a, kSource, kGroup);
}

netlink::ReceivedPacket packet(const std::vector<std::uint8_t>& bytes) {
  return {bytes, vrrp::IpMeta{kSource, kGroup, vrrp::kRequiredTtl}, {}};
}

std::size_t index(vrrp::Reject r) { return static_cast<std::size_t>(r); }

}  // namespace

TEST_CASE("dispatch: each VRID's packets reach its listener only, once", "[receiver]") {
  netlink::VridDispatch dispatch(vrrp::Ipv4V3Checksum::with_pseudo_header);
  netlink::VridListener a, b;
  std::vector<int> got_a, got_b;
  a.handler = [&](const vrrp::DecodeResult& r, const vrrp::IpMeta&, auto) {
    got_a.push_back(std::get<vrrp::Advert>(r).vrid);
  };
  b.handler = [&](const vrrp::DecodeResult& r, const vrrp::IpMeta&, auto) {
    got_b.push_back(std::get<vrrp::Advert>(r).vrid);
  };
  REQUIRE(dispatch.claim(1, a));
  REQUIRE(dispatch.claim(2, b));
  CHECK_FALSE(dispatch.claim(2, a));  // one listener per VRID

  for (std::uint8_t vrid : {1, 2, 2, 3, 3, 3}) dispatch.packet(packet(advert_bytes(vrid)));
  CHECK(got_a == std::vector<int>{1});
  CHECK(got_b == std::vector<int>{2, 2});
  CHECK(a.received == 1);
  CHECK(b.received == 2);
  // VRID 3 is another router group on the link: counted once, on the path, not per listener.
  CHECK(dispatch.unclaimed() == 3);

  dispatch.release(2, b);
  dispatch.packet(packet(advert_bytes(2)));
  CHECK(b.received == 2);
  CHECK(dispatch.unclaimed() == 4);
}

TEST_CASE("dispatch: a malformed packet is charged to the VRID it names, else to the path",
          "[receiver]") {
  netlink::VridDispatch dispatch(vrrp::Ipv4V3Checksum::with_pseudo_header);
  netlink::VridListener a;
  std::vector<vrrp::Reject> rejects;
  a.handler = [&](const vrrp::DecodeResult& r, const vrrp::IpMeta&, auto) {
    rejects.push_back(std::get<vrrp::Reject>(r));
  };
  REQUIRE(dispatch.claim(1, a));
  auto corrupted = advert_bytes(1);
  corrupted[2] ^= 1;  // priority flipped: the checksum no longer holds
  dispatch.packet(packet(corrupted));
  CHECK(rejects == std::vector{vrrp::Reject::bad_checksum});

  auto other = advert_bytes(9);
  other[2] ^= 1;
  dispatch.packet(packet(other));
  dispatch.packet(packet({0x31}));  // too short to name a VRID
  CHECK(dispatch.rejected()[index(vrrp::Reject::bad_checksum)] == 1);
  CHECK(dispatch.rejected()[index(vrrp::Reject::too_short)] == 1);
  CHECK(a.received == 1);
}

TEST_CASE("dispatch: unicast packets from non-peers are counted on the VRID they name",
          "[receiver]") {
  netlink::VridDispatch dispatch(vrrp::Ipv4V3Checksum::with_pseudo_header);
  netlink::VridListener a;
  REQUIRE(dispatch.claim(1, a));
  dispatch.non_peer(packet(advert_bytes(1)));
  dispatch.non_peer(packet(advert_bytes(5)));
  CHECK(a.dropped_non_peer == 1);
  CHECK(a.received == 0);
  CHECK(dispatch.unclaimed_non_peer() == 1);
}

TEST_CASE("dispatch: a batch's listeners warm up before it is handed over, unknown VRIDs skipped",
          "[receiver]") {
  netlink::VridDispatch dispatch(vrrp::Ipv4V3Checksum::with_pseudo_header);
  netlink::VridListener a, b, silent;
  std::vector<char> warmed;
  a.warm = [&] { warmed.push_back('a'); };
  b.warm = [&] { warmed.push_back('b'); };
  REQUIRE(dispatch.claim(7, a));
  REQUIRE(dispatch.claim(9, b));
  REQUIRE(dispatch.claim(11, silent));  // no warm: nothing to call
  const std::vector<std::uint8_t> vrids{9, 7, 200, 11, 7};
  dispatch.warm(vrids);
  CHECK(warmed == std::vector<char>{'b', 'a', 'a'});
  // Warming counts nothing: only packets are counted.
  CHECK(a.received == 0);
  CHECK(dispatch.unclaimed() == 0);
}
