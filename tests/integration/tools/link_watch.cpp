// Runs a LinkMonitor and prints what it reports, one line each, stamped with CLOCK_REALTIME in
// nanoseconds so a script can compare against `date +%s%N` taken just before it acted:
//   link IFINDEX NAME up|down NS
//   addr IFINDEX ADDR/PREFIX added|removed NS
// "ready" is printed once start() returned. `link_watch query IFNAME` prints the current
// state from link_up() and exits (0 up, 3 down, 4 no such interface).
// `link_watch RCVBUF_BYTES` sets the event queue size. SIGUSR1 makes the tool hold its
// io_context for 2 s, as a daemon too busy to read would, so that the kernel drops events;
// "resync" is printed when the monitor noticed and re-read the links.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <ctime>
#include <string>

#include "netlink/link_monitor.hpp"

namespace nl = redvip::netlink;

namespace {
long long realtime_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec;
}
}  // namespace

int main(int argc, char** argv) {
  boost::asio::io_context io;
  nl::LinkMonitor monitor(
      io,
      [](const nl::LinkEvent& event) {
        std::printf("link %u %s %s %lld\n", event.ifindex,
                    event.name.empty() ? "-" : event.name.c_str(), event.up ? "up" : "down",
                    realtime_ns());
        std::fflush(stdout);
      },
      [](const nl::AddressEvent& event) {
        std::printf("addr %u %s/%u %s %lld\n", event.ifindex, event.address.to_string().c_str(),
                    event.prefix_len, event.added ? "added" : "removed", realtime_ns());
        std::fflush(stdout);
      });
  if (argc == 3 && std::string(argv[1]) == "query") {
    const auto state = monitor.link_up(argv[2]);
    if (!state) {
      std::printf("none\n");
      return 4;
    }
    std::printf("%s\n", *state ? "up" : "down");
    return *state ? 0 : 3;
  }
  if (argc == 2) monitor.set_receive_buffer(std::atoi(argv[1]));
  if (const auto error = monitor.start()) {
    std::fprintf(stderr, "cannot watch links: %s\n", error.message().c_str());
    return 1;
  }
  monitor.set_resync_handler([&monitor] {
    std::printf("resync overruns %llu\n", static_cast<unsigned long long>(monitor.overruns()));
    std::fflush(stdout);
  });
  boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGUSR1);
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec,
                                                                      int number) {
    if (ec) return;
    if (number != SIGUSR1) {
      io.stop();
      return;
    }
    std::printf("busy\n");
    std::fflush(stdout);
    ::sleep(2);  // deliberately blocking: this is the slow reader the test needs
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  std::printf("ready\n");
  std::fflush(stdout);
  io.run();
  return 0;
}
