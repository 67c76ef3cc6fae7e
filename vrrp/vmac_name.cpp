#include "vrrp/vmac_name.hpp"

namespace redvip::vrrp {

std::string default_vmac_name(std::uint8_t vrid, Family family,
                              const std::function<bool(std::string_view)>& taken) {
  const std::string suffix = "." + std::to_string(vrid);
  std::string name = "vrrp" + suffix;
  // At most 255 VRIDs of each family share a link: far fewer attempts than this ever happen.
  int number = 0;
  for (int attempt = 0; attempt < 1000 && taken && taken(name); ++attempt) {
    if (family == Family::ipv6) {
      number = number == 0 ? 6 : number == 6 ? 1 : number + 1 == 6 ? 7 : number + 1;
    } else {
      ++number;
    }
    name = "vrrp" + std::to_string(number) + suffix;
  }
  return name;
}

}  // namespace redvip::vrrp
