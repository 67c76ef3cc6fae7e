// Sets an interface up or down and prints the CLOCK_REALTIME nanoseconds taken just before the
// request went to the kernel, so latency tests measure from the change itself rather than from
// before a process (ip) was started:   link_set IFNAME up|down
#include <linux/if.h>
#include <netlink/route/link.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "netlink/interface.hpp"
#include "netlink/nl_socket.hpp"

namespace nl = redvip::netlink;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: link_set IFNAME up|down\n");
    return 2;
  }
  const auto [index, lookup_error] = nl::interface_index(argv[1]);
  if (lookup_error) {
    std::fprintf(stderr, "%s: %s\n", argv[1], lookup_error.message().c_str());
    return 1;
  }
  auto [socket, open_error] = nl::RouteSocket::open_requests();
  if (open_error) {
    std::fprintf(stderr, "netlink: %s\n", open_error.message().c_str());
    return 1;
  }
  std::unique_ptr<rtnl_link, void (*)(rtnl_link*)> change(::rtnl_link_alloc(), ::rtnl_link_put);
  ::rtnl_link_set_ifindex(change.get(), static_cast<int>(index));
  if (std::string(argv[2]) == "up") {
    ::rtnl_link_set_flags(change.get(), IFF_UP);
  } else {
    ::rtnl_link_unset_flags(change.get(), IFF_UP);
  }
  nl_msg* raw = nullptr;
  if (::rtnl_link_build_add_request(change.get(), 0, &raw) < 0) return 1;
  nl::NlMsgPtr msg(raw);
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  if (const auto error = socket.request(msg.get())) {
    std::fprintf(stderr, "%s %s: %s\n", argv[1], argv[2], error.message().c_str());
    return 1;
  }
  std::printf("%lld\n", static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec);
  return 0;
}
