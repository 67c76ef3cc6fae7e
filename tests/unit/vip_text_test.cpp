// The texts an operator reads when a VIP cannot be changed, and the VRRP virtual MACs.
#include <catch2/catch.hpp>

#include <netlink/errno.h>

#include "netlink/address_manager.hpp"
#include "netlink/vmac.hpp"

using redvip::netlink::AddressManager;
using redvip::netlink::Vip;
using redvip::netlink::VipOperation;
using redvip::vrrp::Family;
using redvip::vrrp::IpAddress;

namespace {
Vip vip(const char* address, std::uint8_t prefix, const char* device) {
  return Vip{*IpAddress::parse(address), prefix, device, {}};
}
}  // namespace

TEST_CASE("vip error text names the address and the interface", "[netlink]") {
  const auto error = std::make_error_code(std::errc::no_such_device);
  CHECK(AddressManager::describe_error(vip("10.0.0.100", 24, "eth0"), error) ==
        "cannot add 10.0.0.100/24 to eth0: " + error.message());
  CHECK(
      AddressManager::describe_error(vip("fd00::100", 64, "bond0"), error, VipOperation::remove) ==
      "cannot remove fd00::100/64 from bond0: " + error.message());
  CHECK(AddressManager::describe_error(vip("10.0.0.100", 32, ""), error, VipOperation::check) ==
        "cannot check 10.0.0.100/32 on (no interface): " + error.message());
}

TEST_CASE("vmac addresses follow RFC 5798 section 7.3", "[netlink]") {
  using redvip::netlink::to_string;
  using redvip::netlink::vmac_address;
  CHECK(to_string(vmac_address(51, Family::ipv4)) == "00:00:5e:00:01:33");
  CHECK(to_string(vmac_address(255, Family::ipv6)) == "00:00:5e:00:02:ff");
  CHECK(to_string(vmac_address(1, Family::ipv4)) == "00:00:5e:00:01:01");
}

TEST_CASE("libnl errors compare equal to the matching errc", "[netlink]") {
  CHECK(redvip::netlink::libnl_error(-NLE_EXIST) == std::errc::file_exists);
  CHECK(redvip::netlink::libnl_error(-NLE_NODEV) == std::errc::no_such_device);
  CHECK(redvip::netlink::libnl_error(NLE_NODEV).message() == nl_geterror(NLE_NODEV));
  const std::error_code taken = redvip::netlink::VmacError::name_taken;
  CHECK(taken.message().find("not this VRRP MAC") != std::string::npos);
}
