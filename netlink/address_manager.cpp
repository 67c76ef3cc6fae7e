#include "netlink/address_manager.hpp"

#include <linux/if_addr.h>
#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "netlink/address_message.hpp"
#include "netlink/interface.hpp"

namespace redvip::netlink {
namespace {

struct RtnlAddrPut {
  void operator()(rtnl_addr* addr) const noexcept { ::rtnl_addr_put(addr); }
};
using RtnlAddrPtr = std::unique_ptr<rtnl_addr, RtnlAddrPut>;

int af_of(vrrp::Family family) { return family == vrrp::Family::ipv4 ? AF_INET : AF_INET6; }

std::error_code validate(const Vip& vip) {
  const unsigned max_prefix = vip.address.family == vrrp::Family::ipv4 ? 32 : 128;
  if (vip.prefix_len > max_prefix) return std::make_error_code(std::errc::invalid_argument);
  if (vip.label.size() >= 16) return std::make_error_code(std::errc::filename_too_long);
  return {};
}

// The request for `vip` on interface `index`. Labels only go into adds: the kernel matches a
// delete on the label too, and a VIP must come off whatever label someone gave it.
std::pair<NlMsgPtr, std::error_code> build(const Vip& vip, unsigned index, bool adding) {
  RtnlAddrPtr addr(::rtnl_addr_alloc());
  if (!addr) return {nullptr, std::make_error_code(std::errc::not_enough_memory)};
  const int family = af_of(vip.address.family);
  NlAddrPtr local(::nl_addr_build(family, vip.address.bytes.data(), vip.address.size()));
  if (!local) return {nullptr, std::make_error_code(std::errc::not_enough_memory)};
  ::nl_addr_set_prefixlen(local.get(), vip.prefix_len);
  ::rtnl_addr_set_ifindex(addr.get(), static_cast<int>(index));
  ::rtnl_addr_set_family(addr.get(), family);
  if (const int err = ::rtnl_addr_set_local(addr.get(), local.get()); err < 0) {
    return {nullptr, libnl_error(err)};
  }
  ::rtnl_addr_set_prefixlen(addr.get(), vip.prefix_len);
  nl_msg* raw = nullptr;
  int err = 0;
  if (adding) {
    if (family == AF_INET && !vip.label.empty()) {
      if (err = ::rtnl_addr_set_label(addr.get(), vip.label.c_str()); err < 0) {
        return {nullptr, libnl_error(err)};
      }
    }
    // A VIP moves between nodes; DAD would keep it unusable ("tentative") for a second or more
    // after every failover, and fail outright while the old master still answers for it.
    if (family == AF_INET6) ::rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
    err = ::rtnl_addr_build_add_request(addr.get(), NLM_F_CREATE | NLM_F_EXCL, &raw);
  } else {
    err = ::rtnl_addr_build_delete_request(addr.get(), 0, &raw);
  }
  if (err < 0) return {nullptr, libnl_error(err)};
  return {NlMsgPtr(raw), std::error_code{}};
}

}  // namespace

std::string to_string(const Vip& vip) {
  return vip.address.to_string() + "/" + std::to_string(vip.prefix_len);
}

std::pair<std::unique_ptr<AddressManager>, std::error_code> AddressManager::open() {
  auto [socket, error] = RouteSocket::open_requests();
  if (error) return {nullptr, error};
  return {std::unique_ptr<AddressManager>(new AddressManager(std::move(socket))),
          std::error_code{}};
}

std::error_code AddressManager::add(const Vip& vip) {
  if (auto error = validate(vip)) return error;
  const auto [index, lookup_error] = interface_index(vip.device);
  if (lookup_error) return lookup_error;
  auto [msg, error] = build(vip, index, true);
  if (error) return error;
  error = socket_.request(msg.get());
  if (error == std::errc::file_exists) return {};
  return error;
}

std::error_code AddressManager::remove(const Vip& vip) {
  if (auto error = validate(vip)) return error;
  const auto [index, lookup_error] = interface_index(vip.device);
  if (lookup_error == std::errc::no_such_device) return {};
  if (lookup_error) return lookup_error;
  auto [msg, error] = build(vip, index, false);
  if (error) return error;
  error = socket_.request(msg.get());
  if (error == std::errc::address_not_available || error == std::errc::no_such_device) return {};
  return error;
}

std::pair<std::vector<Vip>, std::error_code> AddressManager::addresses(const std::string& device) {
  std::vector<Vip> found;
  const auto [index, lookup_error] = interface_index(device);
  if (lookup_error) return {found, lookup_error};
  // The kernel ignores ifa_index in a dump request, so the dump covers every interface.
  ifaddrmsg request{};
  request.ifa_family = AF_UNSPEC;
  NlMsgPtr msg(::nlmsg_alloc_simple(RTM_GETADDR, NLM_F_DUMP));
  if (!msg) return {found, std::make_error_code(std::errc::not_enough_memory)};
  if (const int err = ::nlmsg_append(msg.get(), &request, sizeof request, NLMSG_ALIGNTO); err < 0) {
    return {found, libnl_error(err)};
  }
  const auto error = socket_.request(msg.get(), [&](nlmsghdr* hdr) {
    if (hdr->nlmsg_type != RTM_NEWADDR) return;
    auto message = parse_address_message(hdr);
    if (!message || message->ifindex != index) return;
    found.push_back(Vip{message->address, message->prefix_len, device, std::move(message->label)});
  });
  return {found, error};
}

bool AddressManager::present(const Vip& vip, std::error_code* error) {
  if (error) error->clear();
  auto [found, dump_error] = addresses(vip.device);
  if (dump_error == std::errc::no_such_device) return false;
  if (dump_error) {
    if (error) *error = dump_error;
    return false;
  }
  for (const auto& other : found) {
    if (other.address == vip.address && other.prefix_len == vip.prefix_len) return true;
  }
  return false;
}

StaleCleanup AddressManager::remove_stale(const std::vector<Vip>& configured) {
  StaleCleanup result;
  for (const auto& vip : configured) {
    std::error_code error;
    if (!present(vip, &error)) {
      if (error) result.failed.emplace_back(vip, error);
      continue;
    }
    if (auto remove_error = remove(vip)) {
      result.failed.emplace_back(vip, remove_error);
    } else {
      result.removed.push_back(vip);
    }
  }
  return result;
}

std::string AddressManager::describe_error(const Vip& vip, std::error_code error,
                                           VipOperation operation) {
  const char* verb = "add";
  const char* preposition = "to";
  if (operation == VipOperation::remove) {
    verb = "remove";
    preposition = "from";
  } else if (operation == VipOperation::check) {
    verb = "check";
    preposition = "on";
  }
  std::string text = std::string("cannot ") + verb + " " + to_string(vip) + " " + preposition +
                     " " + (vip.device.empty() ? "(no interface)" : vip.device);
  if (!vip.label.empty() && operation == VipOperation::add) text += " (label " + vip.label + ")";
  return text + ": " + error.message();
}

}  // namespace redvip::netlink
