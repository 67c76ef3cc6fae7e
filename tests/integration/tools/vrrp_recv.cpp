// Receives on a VrrpSocket and decodes every packet, as the daemon will.
//   vrrp_recv --family 4|6 --interface IF [--peer P]... [--group G] [--version 2|3]
//                 [--vrid N] [--password P] [--checksum-v4v3 with|without]
//                 [--duration-ms 3000] [--expect N]
// Prints "ready" once listening, one "advert ..." line per accepted advert, and at the end one
// "summary accepted=N received=N dropped_non_peer=N dropped_short_ip=N reject.<reason>=N..."
// line. Stops after --duration-ms, or as soon as --expect adverts were accepted.
#include <array>
#include <chrono>
#include <cstdio>
#include <string>

#include "vrrp_tool_options.hpp"

namespace {

std::string describe(const redvip::vrrp::Advert& advert, const redvip::vrrp::IpMeta& meta) {
  std::string line = "advert src=" + meta.source.to_string() +
                     " dst=" + meta.destination.to_string() + " ttl=" + std::to_string(meta.ttl) +
                     " version=" + std::to_string(static_cast<int>(advert.version)) +
                     " vrid=" + std::to_string(advert.vrid) +
                     " priority=" + std::to_string(advert.priority) +
                     " interval_cs=" + std::to_string(advert.interval.count()) +
                     " auth=" + std::to_string(static_cast<int>(advert.auth_type)) + " addresses=";
  for (std::size_t i = 0; i < advert.addresses.size(); ++i) {
    if (i > 0) line += ',';
    line += advert.addresses[i].to_string();
  }
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  const nls::Args args(argc, argv);
  redvip::vrrp::DecodeOptions options;
  if (args.get("version")) options.version = nls::version_option(args);
  if (args.get("vrid")) options.vrid = static_cast<std::uint8_t>(args.number("vrid", 0));
  options.password = args.get("password");
  options.ipv4_v3_checksum = nls::checksum_option(args);
  const long expect = args.number("expect", 0);

  boost::asio::io_context io;
  redvip::netlink::VrrpSocket socket(io, nls::socket_config(args));
  if (auto error = socket.open()) {
    std::fprintf(stderr, "open: %s\n", error.message().c_str());
    return 1;
  }
  long accepted = 0;
  std::array<unsigned long, redvip::vrrp::kRejectCount> rejects{};
  socket.start([&](const redvip::netlink::ReceivedPacket& packet) {
    const auto result = redvip::vrrp::decode(packet.vrrp, packet.meta, options);
    if (const auto* reason = std::get_if<redvip::vrrp::Reject>(&result)) {
      ++rejects[static_cast<std::size_t>(*reason)];
      return;
    }
    std::printf("%s\n", describe(std::get<redvip::vrrp::Advert>(result), packet.meta).c_str());
    std::fflush(stdout);
    if (++accepted == expect) io.stop();
  });
  std::printf("ready source=%s\n", socket.source_address().to_string().c_str());
  std::fflush(stdout);
  io.run_for(std::chrono::milliseconds(args.number("duration-ms", 3000)));

  const auto& counters = socket.counters();
  std::printf("summary accepted=%ld received=%llu dropped_non_peer=%llu dropped_short_ip=%llu",
              accepted, static_cast<unsigned long long>(counters.received),
              static_cast<unsigned long long>(counters.dropped_non_peer),
              static_cast<unsigned long long>(counters.dropped_short_ip));
  for (std::size_t i = 0; i < rejects.size(); ++i) {
    if (rejects[i] == 0) continue;
    std::printf(" reject.%s=%lu",
                std::string(redvip::vrrp::to_string(static_cast<redvip::vrrp::Reject>(i))).c_str(),
                rejects[i]);
  }
  std::printf("\n");
  return 0;
}
