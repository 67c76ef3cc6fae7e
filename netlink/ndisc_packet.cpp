#include "netlink/ndisc_packet.hpp"

#include <algorithm>

namespace redvip::netlink {

std::array<std::uint8_t, kUnsolicitedNaSize> unsolicited_na(const MacAddress& mac,
                                                            const vrrp::IpAddress& vip) {
  constexpr std::uint8_t kNeighborAdvertisement = 136;
  constexpr std::uint8_t kOverrideFlag = 0x20;
  constexpr std::uint8_t kTargetLinkLayerOption = 2;

  std::array<std::uint8_t, kUnsolicitedNaSize> message{};
  message[0] = kNeighborAdvertisement;  // code 0, checksum 0: filled by the kernel
  message[4] = kOverrideFlag;           // Router = 0, Solicited = 0, Override = 1
  std::copy_n(vip.bytes.begin(), 16, message.begin() + 8);
  message[24] = kTargetLinkLayerOption;
  message[25] = 1;  // option length in units of 8 bytes
  std::copy(mac.begin(), mac.end(), message.begin() + 26);
  return message;
}

}  // namespace redvip::netlink
