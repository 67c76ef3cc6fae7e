#pragma once
// Owning handles for libnl objects, and the one way redvip talks to rtnetlink: a request with a
// bounded wait for its answer, or a non-blocking drain of event datagrams.
//
// Why a request never stalls the event loop: rtnetlink runs RTM_NEWADDR/DELADDR/NEWLINK/DELLINK
// synchronously inside our sendmsg() (the kernel's netlink socket has no queue: its input
// function runs in the sender's context), so by the time sendmsg() returns the acknowledgement
// is already on our socket. Dumps are filled in by our own recvmsg() calls. The socket is
// O_NONBLOCK and the wait for the answer is a poll() with a deadline, so even a kernel that
// never answered would cost at most `timeout`, never an unbounded hang. The one wait we cannot
// bound from user space is the rtnl lock taken inside sendmsg(); it is held for microseconds
// except while another process reconfigures thousands of routes.
#include <linux/netlink.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

struct nl_sock;
struct nl_msg;
struct nl_addr;

namespace redvip::netlink {

struct NlSockFree {
  void operator()(nl_sock* sock) const noexcept;
};
using NlSockPtr = std::unique_ptr<nl_sock, NlSockFree>;

struct NlMsgFree {
  void operator()(nl_msg* msg) const noexcept;
};
using NlMsgPtr = std::unique_ptr<nl_msg, NlMsgFree>;

struct NlAddrPut {
  void operator()(nl_addr* addr) const noexcept;
};
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrPut>;

// libnl's own error numbers (NLE_*, as returned negated by its functions). Common ones compare
// equal to the matching std::errc (NLE_EXIST == std::errc::file_exists, ...).
const std::error_category& libnl_category();
std::error_code libnl_error(int nle);  // the sign is ignored

inline constexpr std::chrono::milliseconds default_request_timeout{500};
// A burst of changes (a thousand VIPs removed at once) must not overflow the event queue.
inline constexpr int default_event_buffer = 4 << 20;

// A NETLINK_ROUTE socket, non-blocking, owned.
class RouteSocket {
 public:
  using ReplyHandler = std::function<void(nlmsghdr*)>;
  using EventHandler = std::function<void(nlmsghdr*)>;

  RouteSocket() = default;

  // A socket for requests: no multicast groups, so nothing but our own answers arrives on it.
  static std::pair<RouteSocket, std::error_code> open_requests();
  // A socket joined to the given RTNLGRP_* groups, for events, whose kernel-side queue holds
  // `buffer_bytes` (forced past net.core.rmem_max when we have CAP_NET_ADMIN).
  static std::pair<RouteSocket, std::error_code> open_events(const std::vector<int>& groups,
                                                             int buffer_bytes);

  // Sends `msg` (libnl fills in sequence number and port) and waits at most `timeout` for the
  // kernel's acknowledgement, or for the end of a dump. Every data message answering this
  // request goes to `on_reply`. Returns the kernel's errno (system_category), a libnl error,
  // or std::errc::timed_out.
  std::error_code request(nl_msg* msg, const ReplyHandler& on_reply = {},
                          std::chrono::milliseconds timeout = default_request_timeout);

  // Reads every datagram queued now, without blocking, and hands each kernel message to
  // `on_event`. Returns std::errc::no_buffer_space if the kernel dropped messages because we
  // were too slow (the caller must then re-read the state it mirrors).
  std::error_code drain(const EventHandler& on_event);

  // How many request() calls found no answer queued right after sending and had to poll().
  // rtnetlink answers inside sendmsg(), so this stays 0; it is counted to show that it does.
  std::uint64_t waits() const { return waits_; }

  nl_sock* get() const { return sock_.get(); }
  int fd() const;
  explicit operator bool() const { return static_cast<bool>(sock_); }

 private:
  // One datagram from the kernel into buffer_; returns its size, 0 if none is queued.
  std::pair<std::size_t, std::error_code> receive_one();

  NlSockPtr sock_;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t waits_ = 0;
};

}  // namespace redvip::netlink
