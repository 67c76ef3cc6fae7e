#pragma once
// The name keepalived gives a use_vmac interface when the configuration names none.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "vrrp/ip_address.hpp"

namespace redvip::vrrp {

// keepalived 2.2.7 (vrrp.c create_vmac_name, prefix "vrrp"): "vrrp.<VRID>" for both families.
// Only when that name is taken (by another instance's VMAC, or an interface that exists) it tries
// "vrrp<N>.<VRID>": IPv6 first N = 6, then 1, 2, ... (skipping 6); IPv4 N = 1, 2, ... `taken`
// says whether a name is in use; none: nothing is. Names stay below IFNAMSIZ (16) for any VRID.
std::string default_vmac_name(std::uint8_t vrid, Family family,
                              const std::function<bool(std::string_view)>& taken = {});

}  // namespace redvip::vrrp
