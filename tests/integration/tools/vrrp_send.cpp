// Sends VRRP adverts through a VrrpSocket (or, with --ttl other than 255, through a plain raw
// socket with that TTL / hop limit, to play a packet from off-link).
//   vrrp_send --family 4|6 --interface IF [--source A] [--peer P]... [--group G]
//                 [--version 2|3] [--vrid 51] [--priority 100] [--interval-cs 100]
//                 --vip A [--vip B]... [--password P] [--checksum-v4v3 with|without]
//                 [--count 1] [--gap-ms 100] [--ttl 255]
// Prints "sent=N send_errors=M source=A" when done.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "vrrp_tool_options.hpp"

namespace {

// A raw IPPROTO 112 socket with a chosen TTL: not what VrrpSocket would ever send.
int hostile_socket(const redvip::netlink::VrrpSocket& vrrp_socket,
                   const redvip::netlink::VrrpSocketConfig& config, int ttl) {
  const bool v4 = config.family == redvip::vrrp::Family::ipv4;
  const int fd = ::socket(v4 ? AF_INET : AF_INET6, SOCK_RAW, redvip::vrrp::kProtocolNumber);
  if (fd < 0) return -1;
  const int index = static_cast<int>(vrrp_socket.interface_index());
  const int off = 0;  // like VrrpSocket: a receiver next to us must not see these
  ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, config.interface.c_str(),
               static_cast<socklen_t>(config.interface.size()));
  if (v4) {
    ip_mreqn outgoing{};
    outgoing.imr_ifindex = index;
    std::memcpy(&outgoing.imr_address, vrrp_socket.source_address().bytes.data(), 4);
    ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &outgoing, sizeof outgoing);
    ::setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
    ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
    ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off);
  } else {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index);
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl);
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off);
  }
  return fd;
}

bool hostile_send(int fd, const redvip::vrrp::IpAddress& destination, unsigned index,
                  const std::vector<std::uint8_t>& bytes) {
  sockaddr_storage to{};
  socklen_t length = 0;
  if (destination.family == redvip::vrrp::Family::ipv4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&to);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, destination.bytes.data(), 4);
    length = sizeof *sin;
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, destination.bytes.data(), 16);
    sin6->sin6_scope_id = index;
    length = sizeof *sin6;
  }
  return ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), length) >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  const nls::Args args(argc, argv);
  const auto config = nls::socket_config(args);

  redvip::vrrp::Advert advert;
  advert.version = nls::version_option(args);
  advert.family = config.family;
  advert.vrid = static_cast<std::uint8_t>(args.number("vrid", 51));
  advert.priority = static_cast<std::uint8_t>(args.number("priority", 100));
  advert.interval = redvip::vrrp::Centiseconds(args.number("interval-cs", 100));
  advert.addresses = args.addresses("vip");
  if (auto password = args.get("password")) {
    advert.auth_type = redvip::vrrp::AuthType::simple_text;
    advert.auth_data = nls::auth_data(*password);
  }
  const auto checksum = nls::checksum_option(args);

  boost::asio::io_context io;
  redvip::netlink::VrrpSocket socket(io, config);
  if (auto error = socket.open()) {
    std::fprintf(stderr, "open: %s\n", error.message().c_str());
    return 1;
  }
  const int ttl = static_cast<int>(args.number("ttl", 255));
  const int hostile = ttl == 255 ? -1 : hostile_socket(socket, config, ttl);
  if (ttl != 255 && hostile < 0) {
    std::perror("raw socket");
    return 1;
  }

  const long count = args.number("count", 1);
  const auto gap = std::chrono::milliseconds(args.number("gap-ms", 100));
  unsigned long hostile_sent = 0;
  for (long i = 0; i < count; ++i) {
    if (i > 0) std::this_thread::sleep_for(gap);
    if (hostile < 0) {
      socket.send(advert, checksum);
      continue;
    }
    for (const auto& destination : socket.destinations()) {
      const auto bytes =
          redvip::vrrp::encode(advert, socket.source_address(), destination, checksum);
      if (hostile_send(hostile, destination, socket.interface_index(), bytes)) ++hostile_sent;
    }
  }
  const auto& counters = socket.counters();
  std::printf("sent=%llu send_errors=%llu source=%s\n",
              static_cast<unsigned long long>(counters.sent + hostile_sent),
              static_cast<unsigned long long>(counters.send_errors),
              socket.source_address().to_string().c_str());
  if (hostile >= 0) ::close(hostile);
  return counters.send_errors == 0 ? 0 : 1;
}
