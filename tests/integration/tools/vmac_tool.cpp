// Drives create_vmac/remove_vmac from integration scripts:
//   vmac_tool create PARENT NAME VRID 4|6 [private|bridge]
//   vmac_tool remove NAME
// Failures print the error and exit 1.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "netlink/vmac.hpp"

namespace nl = redvip::netlink;

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "create" && (argc == 6 || argc == 7)) {
    const auto family =
        std::string(argv[5]) == "6" ? redvip::vrrp::Family::ipv6 : redvip::vrrp::Family::ipv4;
    nl::VmacOptions options;
    if (argc == 7 && std::string(argv[6]) == "bridge") options.mode = nl::MacvlanMode::bridge;
    const auto vrid = static_cast<std::uint8_t>(std::atoi(argv[4]));
    if (const auto error = nl::create_vmac(argv[2], argv[3], vrid, family, options)) {
      std::fprintf(stderr, "cannot create vmac %s on %s: %s\n", argv[3], argv[2],
                   error.message().c_str());
      return 1;
    }
    std::printf("%s\n", nl::to_string(nl::vmac_address(vrid, family)).c_str());
    return 0;
  }
  if (command == "remove" && argc == 3) {
    if (const auto error = nl::remove_vmac(argv[2])) {
      std::fprintf(stderr, "cannot remove vmac %s: %s\n", argv[2], error.message().c_str());
      return 1;
    }
    return 0;
  }
  std::fprintf(stderr,
               "usage: vmac_tool create PARENT NAME VRID 4|6 [private|bridge] | remove NAME\n");
  return 2;
}
