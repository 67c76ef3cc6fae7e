#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "vrrp/vmac_name.hpp"

using redvip::vrrp::default_vmac_name;
using redvip::vrrp::Family;

TEST_CASE("default VMAC names are keepalived's: vrrp.<VRID> for both families", "[vmac]") {
  CHECK(default_vmac_name(51, Family::ipv4) == "vrrp.51");
  CHECK(default_vmac_name(7, Family::ipv6) == "vrrp.7");
  CHECK(default_vmac_name(255, Family::ipv6).size() < 16);
}

TEST_CASE("a taken default VMAC name moves on as keepalived's create_vmac_name does", "[vmac]") {
  std::set<std::string> taken{"vrrp.7"};
  auto is_taken = [&](std::string_view n) { return taken.count(std::string(n)) > 0; };
  CHECK(default_vmac_name(7, Family::ipv6, is_taken) == "vrrp6.7");
  CHECK(default_vmac_name(7, Family::ipv4, is_taken) == "vrrp1.7");
  taken.insert({"vrrp6.7", "vrrp1.7", "vrrp2.7", "vrrp3.7", "vrrp4.7", "vrrp5.7"});
  CHECK(default_vmac_name(7, Family::ipv6, is_taken) == "vrrp7.7");  // 6 is not tried twice
  CHECK(default_vmac_name(7, Family::ipv4, is_taken) == "vrrp7.7");  // ipv4 tried vrrp6.7 too
  CHECK(default_vmac_name(8, Family::ipv4, is_taken) == "vrrp.8");
}
