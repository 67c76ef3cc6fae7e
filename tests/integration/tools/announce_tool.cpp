// Runs an Announcer for a while: gratuitous ARP / unsolicited NA on the given interface.
//   announce_tool --interface IF --vip A [--vip B...] [--mac 02:00:00:00:00:01]
//                [--delay-ms 5000] [--repeat 5] [--refresh-ms 0] [--refresh-repeat 1]
//                [--interval-ms 0] --run-ms N
// Prints "sent=N send_errors=M" when done.
#include <chrono>
#include <cstdio>

#include "netlink/announcer.hpp"
#include "tool_args.hpp"

int main(int argc, char** argv) {
  const nls::Args args(argc, argv);
  using std::chrono::milliseconds;
  redvip::netlink::AnnounceSettings settings;
  settings.delay = milliseconds(args.number("delay-ms", settings.delay.count()));
  settings.repeat = static_cast<unsigned>(args.number("repeat", settings.repeat));
  settings.refresh = milliseconds(args.number("refresh-ms", settings.refresh.count()));
  settings.refresh_repeat =
      static_cast<unsigned>(args.number("refresh-repeat", settings.refresh_repeat));
  settings.interval = milliseconds(args.number("interval-ms", settings.interval.count()));

  std::optional<redvip::netlink::MacAddress> mac;
  if (auto text = args.get("mac")) {
    redvip::netlink::MacAddress parsed{};
    unsigned b[6];
    if (std::sscanf(text->c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) !=
        6) {
      nls::Args::fail("bad --mac " + *text);
    }
    for (int i = 0; i < 6; ++i) parsed[i] = static_cast<std::uint8_t>(b[i]);
    mac = parsed;
  }

  boost::asio::io_context io;
  redvip::netlink::Announcer announcer(io, args.text("interface"), settings);
  if (auto error = announcer.start(args.addresses("vip"), mac)) {
    std::fprintf(stderr, "start: %s\n", error.message().c_str());
    return 1;
  }
  io.run_for(milliseconds(args.number("run-ms", 1000)));
  std::printf("sent=%llu send_errors=%llu\n", static_cast<unsigned long long>(announcer.sent()),
              static_cast<unsigned long long>(announcer.send_errors()));
  return announcer.send_errors() == 0 ? 0 : 1;
}
