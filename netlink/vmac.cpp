#include "netlink/vmac.hpp"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/macvlan.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "netlink/interface.hpp"
#include "netlink/nl_socket.hpp"

namespace redvip::netlink {
namespace {

struct RtnlLinkPut {
  void operator()(rtnl_link* link) const noexcept { ::rtnl_link_put(link); }
};
using RtnlLinkPtr = std::unique_ptr<rtnl_link, RtnlLinkPut>;

// What the kernel says about an existing interface, as much as create/remove need.
struct LinkFacts {
  unsigned index = 0;
  unsigned parent = 0;
  std::string kind;
  std::optional<MacAddress> mac;
};

class VmacCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "vmac"; }
  std::string message(int code) const override {
    switch (static_cast<VmacError>(code)) {
      case VmacError::name_taken:
        return "an interface of that name exists and is not this VRRP MAC's macvlan";
      case VmacError::not_macvlan:
        return "the interface is not a macvlan; not deleting it";
    }
    return "unknown vmac error";
  }
};

std::pair<std::optional<LinkFacts>, std::error_code> query_link(RouteSocket& socket,
                                                                const std::string& name) {
  NlMsgPtr msg(::nlmsg_alloc_simple(RTM_GETLINK, 0));
  if (!msg) return {std::nullopt, std::make_error_code(std::errc::not_enough_memory)};
  ifinfomsg request{};
  request.ifi_family = AF_UNSPEC;
  if (::nlmsg_append(msg.get(), &request, sizeof request, NLMSG_ALIGNTO) < 0 ||
      ::nla_put_string(msg.get(), IFLA_IFNAME, name.c_str()) < 0) {
    return {std::nullopt, std::make_error_code(std::errc::not_enough_memory)};
  }
  std::optional<LinkFacts> facts;
  const auto error = socket.request(msg.get(), [&](nlmsghdr* hdr) {
    if (hdr->nlmsg_type != RTM_NEWLINK) return;
    nlattr* attrs[IFLA_MAX + 1] = {};
    if (::nlmsg_parse(hdr, sizeof(ifinfomsg), attrs, IFLA_MAX, nullptr) < 0) return;
    LinkFacts found;
    found.index =
        static_cast<unsigned>(static_cast<const ifinfomsg*>(::nlmsg_data(hdr))->ifi_index);
    if (attrs[IFLA_LINK]) found.parent = ::nla_get_u32(attrs[IFLA_LINK]);
    if (attrs[IFLA_ADDRESS] && ::nla_len(attrs[IFLA_ADDRESS]) == 6) {
      MacAddress mac;
      std::memcpy(mac.data(), ::nla_data(attrs[IFLA_ADDRESS]), mac.size());
      found.mac = mac;
    }
    if (attrs[IFLA_LINKINFO]) {
      nlattr* info[IFLA_INFO_MAX + 1] = {};
      if (::nla_parse_nested(info, IFLA_INFO_MAX, attrs[IFLA_LINKINFO], nullptr) == 0 &&
          info[IFLA_INFO_KIND]) {
        const auto* text = static_cast<const char*>(::nla_data(info[IFLA_INFO_KIND]));
        found.kind.assign(text, ::strnlen(text, ::nla_len(info[IFLA_INFO_KIND])));
      }
    }
    facts = found;
  });
  if (error == std::errc::no_such_device) return {std::nullopt, std::error_code{}};
  return {facts, error};
}

// RTM_NEWLINK without NLM_F_CREATE on an existing index: the kernel changes that interface.
std::error_code change_link(RouteSocket& socket, rtnl_link* changes) {
  nl_msg* raw = nullptr;
  if (const int err = ::rtnl_link_build_add_request(changes, 0, &raw); err < 0) {
    return libnl_error(err);
  }
  NlMsgPtr msg(raw);
  return socket.request(msg.get());
}

// Done after creation and before the link goes up: the IPv6 link-local is generated at up.
std::error_code configure_vmac(RouteSocket& socket, unsigned index, vrrp::Family family) {
  RtnlLinkPtr changes(::rtnl_link_alloc());
  if (!changes) return std::make_error_code(std::errc::not_enough_memory);
  ::rtnl_link_set_ifindex(changes.get(), static_cast<int>(index));
  if (const int err = ::rtnl_link_inet6_set_addr_gen_mode(changes.get(), IN6_ADDR_GEN_MODE_NONE);
      err < 0) {
    return libnl_error(err);
  }
  if (family == vrrp::Family::ipv4) {
    // Answer ARP only for addresses on the vmac itself; accept adverts whose source is one of
    // our own addresses (they come back in through the parent); no reverse-path drop for
    // traffic to the VIP that the routing table would send out of the parent.
    for (const auto& [id, value] :
         {std::pair{IPV4_DEVCONF_ARP_IGNORE, 1u}, std::pair{IPV4_DEVCONF_ACCEPT_LOCAL, 1u},
          std::pair{IPV4_DEVCONF_RP_FILTER, 0u}}) {
      if (const int err = ::rtnl_link_inet_set_conf(changes.get(), id, value); err < 0) {
        return libnl_error(err);
      }
    }
  }
  return change_link(socket, changes.get());
}

std::error_code quiet_parent(RouteSocket& socket, unsigned parent) {
  RtnlLinkPtr changes(::rtnl_link_alloc());
  if (!changes) return std::make_error_code(std::errc::not_enough_memory);
  ::rtnl_link_set_ifindex(changes.get(), static_cast<int>(parent));
  for (const auto& [id, value] :
       {std::pair{IPV4_DEVCONF_ARP_IGNORE, 1u}, std::pair{IPV4_DEVCONF_ARPFILTER, 1u}}) {
    if (const int err = ::rtnl_link_inet_set_conf(changes.get(), id, value); err < 0) {
      return libnl_error(err);
    }
  }
  return change_link(socket, changes.get());
}

std::error_code bring_up(RouteSocket& socket, unsigned index) {
  RtnlLinkPtr changes(::rtnl_link_alloc());
  if (!changes) return std::make_error_code(std::errc::not_enough_memory);
  ::rtnl_link_set_ifindex(changes.get(), static_cast<int>(index));
  ::rtnl_link_set_flags(changes.get(), IFF_UP);
  return change_link(socket, changes.get());
}

std::error_code create_macvlan(RouteSocket& socket, unsigned parent, const std::string& name,
                               const MacAddress& mac, MacvlanMode mode) {
  RtnlLinkPtr link(::rtnl_link_macvlan_alloc());
  if (!link) return std::make_error_code(std::errc::not_enough_memory);
  NlAddrPtr address(::nl_addr_build(AF_LLC, mac.data(), mac.size()));
  if (!address) return std::make_error_code(std::errc::not_enough_memory);
  ::rtnl_link_set_name(link.get(), name.c_str());
  ::rtnl_link_set_link(link.get(), static_cast<int>(parent));
  ::rtnl_link_set_addr(link.get(), address.get());
  const std::uint32_t kernel_mode =
      mode == MacvlanMode::bridge ? MACVLAN_MODE_BRIDGE : MACVLAN_MODE_PRIVATE;
  if (const int err = ::rtnl_link_macvlan_set_mode(link.get(), kernel_mode); err < 0) {
    return libnl_error(err);
  }
  nl_msg* raw = nullptr;
  if (const int err = ::rtnl_link_build_add_request(link.get(), NLM_F_CREATE | NLM_F_EXCL, &raw);
      err < 0) {
    return libnl_error(err);
  }
  NlMsgPtr msg(raw);
  return socket.request(msg.get());
}

}  // namespace

std::error_code make_error_code(VmacError error) {
  static const VmacCategory category;
  return {static_cast<int>(error), category};
}

MacAddress vmac_address(std::uint8_t vrid, vrrp::Family family) {
  return {0x00, 0x00, 0x5e, 0x00, static_cast<std::uint8_t>(family == vrrp::Family::ipv4 ? 1 : 2),
          vrid};
}

std::string to_string(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return text;
}

std::error_code create_vmac(const std::string& parent, const std::string& name, std::uint8_t vrid,
                            vrrp::Family family, const VmacOptions& options) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  const auto [parent_index, parent_error] = interface_index(parent);
  if (parent_error) return parent_error;
  auto [socket, open_error] = RouteSocket::open_requests();
  if (open_error) return open_error;
  const MacAddress mac = vmac_address(vrid, family);

  auto error = create_macvlan(socket, parent_index, name, mac, options.mode);
  if (error && error != std::errc::file_exists) return error;
  // Created now or by an earlier run: either way it must be ours before we touch it.
  const auto [facts, query_error] = query_link(socket, name);
  if (query_error) return query_error;
  if (!facts) return std::make_error_code(std::errc::no_such_device);  // deleted meanwhile
  if (facts->kind != "macvlan" || facts->parent != parent_index || facts->mac != mac) {
    return VmacError::name_taken;
  }
  if (auto configure_error = configure_vmac(socket, facts->index, family)) return configure_error;
  if (family == vrrp::Family::ipv4 && options.quiet_parent_arp) {
    if (auto quiet_error = quiet_parent(socket, parent_index)) return quiet_error;
  }
  return bring_up(socket, facts->index);
}

std::error_code remove_vmac(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  auto [socket, open_error] = RouteSocket::open_requests();
  if (open_error) return open_error;
  const auto [facts, query_error] = query_link(socket, name);
  if (query_error) return query_error;
  if (!facts) return {};
  if (facts->kind != "macvlan") return VmacError::not_macvlan;
  RtnlLinkPtr link(::rtnl_link_alloc());
  if (!link) return std::make_error_code(std::errc::not_enough_memory);
  ::rtnl_link_set_ifindex(link.get(), static_cast<int>(facts->index));
  nl_msg* raw = nullptr;
  if (const int err = ::rtnl_link_build_delete_request(link.get(), &raw); err < 0) {
    return libnl_error(err);
  }
  NlMsgPtr msg(raw);
  const auto error = socket.request(msg.get());
  if (error == std::errc::no_such_device) return {};
  return error;
}

}  // namespace redvip::netlink
