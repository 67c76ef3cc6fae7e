#include "netlink/link_monitor.hpp"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <cstring>

#include "netlink/address_message.hpp"

namespace redvip::netlink {
namespace {

bool usable(unsigned flags) { return (flags & IFF_UP) && (flags & IFF_RUNNING); }

std::string link_name(nlmsghdr* hdr) {
  nlattr* attrs[IFLA_MAX + 1] = {};
  if (::nlmsg_parse(hdr, sizeof(ifinfomsg), attrs, IFLA_MAX, nullptr) < 0 || !attrs[IFLA_IFNAME]) {
    return {};
  }
  const auto* text = static_cast<const char*>(::nla_data(attrs[IFLA_IFNAME]));
  return std::string(text, ::strnlen(text, ::nla_len(attrs[IFLA_IFNAME])));
}

NlMsgPtr link_request(const std::string* name) {
  NlMsgPtr msg(::nlmsg_alloc_simple(RTM_GETLINK, name ? 0 : NLM_F_DUMP));
  if (!msg) return nullptr;
  ifinfomsg request{};
  request.ifi_family = AF_UNSPEC;
  if (::nlmsg_append(msg.get(), &request, sizeof request, NLMSG_ALIGNTO) < 0) return nullptr;
  if (name && ::nla_put_string(msg.get(), IFLA_IFNAME, name->c_str()) < 0) return nullptr;
  return msg;
}

}  // namespace

LinkMonitor::LinkMonitor(boost::asio::io_context& io, LinkHandler on_link,
                         AddressHandler on_address)
    : on_link_(std::move(on_link)),
      on_address_(std::move(on_address)),
      descriptor_(io),
      self_(std::make_shared<LinkMonitor*>(this)) {}

LinkMonitor::~LinkMonitor() {
  // The descriptor belongs to libnl (it closes it in nl_socket_free): Asio only lets go.
  if (descriptor_.is_open()) descriptor_.release();
}

std::error_code LinkMonitor::start() {
  if (events_) return std::make_error_code(std::errc::already_connected);
  auto [queries, query_error] = RouteSocket::open_requests();
  if (query_error) return query_error;
  queries_ = std::move(queries);
  // Join first, then read the current state: a change in between shows up as an event.
  auto [events, event_error] =
      RouteSocket::open_events({RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR},
                               receive_buffer_ > 0 ? receive_buffer_ : default_event_buffer);
  if (event_error) return event_error;
  events_ = std::move(events);
  if (auto error = resync_links()) return error;
  boost::system::error_code assign_error;
  descriptor_.assign(events_.fd(), assign_error);
  if (assign_error) return assign_error;
  wait();
  return {};
}

void LinkMonitor::wait() {
  descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [self = std::weak_ptr<LinkMonitor*>(self_)](boost::system::error_code ec) {
                           const auto alive = self.lock();
                           if (!alive || ec == boost::asio::error::operation_aborted) return;
                           (*alive)->read_events();
                         });
}

void LinkMonitor::read_events() {
  const auto error = events_.drain([this](nlmsghdr* hdr) { handle(hdr); });
  if (error == std::errc::no_buffer_space) {
    ++overruns_;
    // What was dropped is unknown: re-read the links, then let the owner re-check the rest.
    resync_links();
    if (on_resync_) on_resync_();
  }
  wait();
}

void LinkMonitor::handle(nlmsghdr* hdr) {
  switch (hdr->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      if (hdr->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return;
      const auto* info = static_cast<const ifinfomsg*>(::nlmsg_data(hdr));
      const auto index = static_cast<unsigned>(info->ifi_index);
      const std::string name = link_name(hdr);
      if (hdr->nlmsg_type == RTM_DELLINK) {
        up_.erase(index);
        if (on_link_) on_link_({index, name, false});
        return;
      }
      note_link(index, name, usable(info->ifi_flags), true);
      return;
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      const auto message = parse_address_message(hdr);
      if (!message) return;
      AddressEvent event;
      event.ifindex = message->ifindex;
      event.address = message->address;
      event.prefix_len = message->prefix_len;
      event.added = hdr->nlmsg_type == RTM_NEWADDR;
      if (on_address_) on_address_(event);
      return;
    }
    default:
      return;
  }
}

void LinkMonitor::note_link(unsigned ifindex, const std::string& name, bool up, bool report) {
  const auto [it, inserted] = up_.try_emplace(ifindex, up);
  if (!inserted && it->second == up) return;  // an attribute changed, not the state we report
  it->second = up;
  if (report && on_link_) on_link_({ifindex, name, up});
}

std::error_code LinkMonitor::resync_links() {
  const bool first = up_.empty();
  auto msg = link_request(nullptr);
  if (!msg) return std::make_error_code(std::errc::not_enough_memory);
  std::unordered_map<unsigned, bool> seen;
  const auto error = queries_.request(msg.get(), [&](nlmsghdr* hdr) {
    if (hdr->nlmsg_type != RTM_NEWLINK || hdr->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) {
      return;
    }
    const auto* info = static_cast<const ifinfomsg*>(::nlmsg_data(hdr));
    const auto index = static_cast<unsigned>(info->ifi_index);
    seen[index] = true;
    note_link(index, link_name(hdr), usable(info->ifi_flags), !first);
  });
  if (error) return error;
  // Interfaces deleted while events were being dropped.
  for (auto it = up_.begin(); it != up_.end();) {
    if (seen.count(it->first)) {
      ++it;
      continue;
    }
    const unsigned index = it->first;
    it = up_.erase(it);
    if (on_link_) on_link_({index, {}, false});
  }
  return {};
}

std::optional<bool> LinkMonitor::link_up(const std::string& ifname) {
  if (!queries_) {
    auto [queries, error] = RouteSocket::open_requests();
    if (error) return std::nullopt;
    queries_ = std::move(queries);
  }
  auto msg = link_request(&ifname);
  if (!msg) return std::nullopt;
  std::optional<bool> state;
  const auto error = queries_.request(msg.get(), [&](nlmsghdr* hdr) {
    if (hdr->nlmsg_type != RTM_NEWLINK || hdr->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) {
      return;
    }
    state = usable(static_cast<const ifinfomsg*>(::nlmsg_data(hdr))->ifi_flags);
  });
  if (error) return std::nullopt;
  return state;
}

}  // namespace redvip::netlink
