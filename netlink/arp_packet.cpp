#include "netlink/arp_packet.hpp"

#include <algorithm>

namespace redvip::netlink {

std::array<std::uint8_t, kGratuitousArpFrameSize> gratuitous_arp_frame(const MacAddress& mac,
                                                                       const vrrp::IpAddress& vip) {
  std::array<std::uint8_t, kGratuitousArpFrameSize> frame{};
  auto out = frame.begin();
  out = std::fill_n(out, 6, 0xff);               // destination: broadcast
  out = std::copy(mac.begin(), mac.end(), out);  // source
  *out++ = 0x08;                                 // EtherType ARP
  *out++ = 0x06;
  *out++ = 0x00;  // hardware type Ethernet
  *out++ = 0x01;
  *out++ = 0x08;  // protocol type IPv4
  *out++ = 0x00;
  *out++ = 6;     // hardware address length
  *out++ = 4;     // protocol address length
  *out++ = 0x00;  // operation: request
  *out++ = 0x01;
  out = std::copy(mac.begin(), mac.end(), out);  // sender hardware address
  out = std::copy_n(vip.bytes.begin(), 4, out);  // sender IP
  out = std::fill_n(out, 6, 0xff);               // target hardware address: broadcast
  std::copy_n(vip.bytes.begin(), 4, out);        // target IP == sender IP: gratuitous
  return frame;
}

}  // namespace redvip::netlink
