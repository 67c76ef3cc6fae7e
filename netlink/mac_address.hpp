#pragma once
// An Ethernet (EUI-48) address, as the VMAC, the announcer and the frames they build use it.
#include <array>
#include <cstdint>

namespace redvip::netlink {

using MacAddress = std::array<std::uint8_t, 6>;

}  // namespace redvip::netlink
