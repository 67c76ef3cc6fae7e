// `handover [INSTANCE] [--to ADDRESS]` as the control socket reads it.
#include <catch2/catch.hpp>

#include "agent/control/handover_request.hpp"

using namespace redvip::agent;

namespace {
HandoverRequest ok(std::string_view line) {
  auto r = parse_handover_request(line);
  INFO(line);
  REQUIRE(std::holds_alternative<HandoverRequest>(r));
  return std::get<HandoverRequest>(r);
}
std::string refused(std::string_view line) {
  auto r = parse_handover_request(line);
  INFO(line);
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}
}  // namespace

TEST_CASE("handover requests: instance and --to in any order", "[control][handover]") {
  CHECK(ok("handover") == HandoverRequest{});
  CHECK(ok("handover VI_1").instance == "VI_1");
  const auto both = ok("handover --to 10.0.0.2 VI_1");
  CHECK(both.instance == "VI_1");
  CHECK(both.to == redvip::vrrp::IpAddress::parse("10.0.0.2"));
  CHECK(ok("handover  VI_1  --to fe80::2").to == redvip::vrrp::IpAddress::parse("fe80::2"));
  CHECK(is_handover_request("handover VI_1"));
  CHECK_FALSE(is_handover_request("handovers"));
  CHECK_FALSE(is_handover_request("status"));
}

TEST_CASE("handover requests: malformed ones say why", "[control][handover]") {
  CHECK(refused("handover --to") == "--to needs an address");
  CHECK(refused("handover --to node2") == "--to: not an IP address: node2");
  CHECK(refused("handover --to 10.0.0.2 --to 10.0.0.3") == "--to given twice");
  CHECK(refused("handover VI_1 VI_2") == "more than one instance named");
  CHECK(refused("handover --force") == "unknown option --force");
}
