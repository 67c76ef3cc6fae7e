#pragma once
// Link and address changes as the kernel announces them (rtnetlink multicast groups
// RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR), delivered on the io_context.
//
// The event socket is non-blocking and watched with stream_descriptor::async_wait: when the
// kernel queues a message the reactor wakes us and we read what is queued, nothing more — no
// polling interval adds latency and no read can block. (Asio's nonblocking/third_party_lib.cpp
// pattern: the descriptor stays libnl's; Asio only waits for readability.)
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>

#include "netlink/nl_socket.hpp"
#include "vrrp/ip_address.hpp"

namespace redvip::netlink {

struct LinkEvent {
  unsigned ifindex = 0;
  std::string name;
  bool up = false;  // IFF_UP && IFF_RUNNING: administratively up and carrier present
};

struct AddressEvent {
  unsigned ifindex = 0;
  vrrp::IpAddress address;
  std::uint8_t prefix_len = 0;
  bool added = false;  // false: the address was removed
};

class LinkMonitor {
 public:
  using LinkHandler = std::function<void(const LinkEvent&)>;
  using AddressHandler = std::function<void(const AddressEvent&)>;
  using ResyncHandler = std::function<void()>;

  LinkMonitor(boost::asio::io_context& io, LinkHandler on_link, AddressHandler on_address);
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  // Joins the groups, learns every interface's current state, then starts waiting. From then
  // on `on_link` is called when an interface's `up` changes, appears or disappears (up=false),
  // and `on_address` for every address added or removed on any interface. Handlers run on the
  // io_context and must not destroy the monitor.
  std::error_code start();

  // The interface's state now, asked of the kernel; nullopt if there is no such interface.
  std::optional<bool> link_up(const std::string& ifname);

  // Called after the kernel had to drop events because they came faster than we read them.
  // Link states are re-read and changes reported before this runs; addresses cannot be, so
  // the owner should check its VIPs (AddressManager::present).
  void set_resync_handler(ResyncHandler on_resync) { on_resync_ = std::move(on_resync); }
  std::uint64_t overruns() const { return overruns_; }
  // The kernel-side queue for events (bytes), set before start(); 0 keeps the default (4 MiB).
  void set_receive_buffer(int bytes) { receive_buffer_ = bytes; }

 private:
  void wait();
  void read_events();
  void handle(nlmsghdr* hdr);
  std::error_code resync_links();
  void note_link(unsigned ifindex, const std::string& name, bool up, bool report);

  LinkHandler on_link_;
  AddressHandler on_address_;
  ResyncHandler on_resync_;
  RouteSocket events_;
  RouteSocket queries_;
  boost::asio::posix::stream_descriptor descriptor_;
  std::unordered_map<unsigned, bool> up_;  // last state reported (or learnt at start)
  std::uint64_t overruns_ = 0;
  int receive_buffer_ = 0;
  // Wait handlers hold this weakly: after the monitor is gone they must not touch it.
  std::shared_ptr<LinkMonitor*> self_;
};

}  // namespace redvip::netlink
