#include "netlink/address_message.hpp"

#include <linux/if_addr.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <cstring>

namespace redvip::netlink {

std::optional<AddressMessage> parse_address_message(nlmsghdr* hdr) {
  if (hdr->nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg))) return std::nullopt;
  nlattr* attrs[IFA_MAX + 1] = {};
  if (::nlmsg_parse(hdr, sizeof(ifaddrmsg), attrs, IFA_MAX, nullptr) < 0) return std::nullopt;
  const auto* ifa = static_cast<const ifaddrmsg*>(::nlmsg_data(hdr));
  vrrp::Family family;
  if (ifa->ifa_family == AF_INET) {
    family = vrrp::Family::ipv4;
  } else if (ifa->ifa_family == AF_INET6) {
    family = vrrp::Family::ipv6;
  } else {
    return std::nullopt;
  }
  const nlattr* which = attrs[IFA_LOCAL] ? attrs[IFA_LOCAL] : attrs[IFA_ADDRESS];
  if (!which || static_cast<std::size_t>(::nla_len(which)) != vrrp::address_size(family)) {
    return std::nullopt;
  }
  AddressMessage out;
  out.ifindex = ifa->ifa_index;
  out.address = vrrp::IpAddress::from_bytes(
      family, {static_cast<const std::uint8_t*>(::nla_data(which)), vrrp::address_size(family)});
  out.prefix_len = ifa->ifa_prefixlen;
  if (attrs[IFA_LABEL]) {
    const auto* text = static_cast<const char*>(::nla_data(attrs[IFA_LABEL]));
    out.label.assign(text, ::strnlen(text, static_cast<std::size_t>(::nla_len(attrs[IFA_LABEL]))));
  }
  return out;
}

}  // namespace redvip::netlink
