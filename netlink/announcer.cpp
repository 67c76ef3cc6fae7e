#include "netlink/announcer.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netlink/errno_error.hpp"
#include "netlink/interface.hpp"
#include "netlink/ndisc_packet.hpp"

namespace redvip::netlink {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::error_code bind_to_device(int fd, const std::string& interface) {
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(),
                   static_cast<socklen_t>(interface.size())) < 0) {
    return last_error();
  }
  return {};
}

std::error_code read_mac(int fd, const std::string& interface, MacAddress& mac) {
  ifreq request{};
  std::memcpy(request.ifr_name, interface.c_str(), interface.size());  // size < IF_NAMESIZE
  if (::ioctl(fd, SIOCGIFHWADDR, &request) < 0) return last_error();
  std::memcpy(mac.data(), request.ifr_hwaddr.sa_data, mac.size());
  return {};
}

}  // namespace

Announcer::Announcer(boost::asio::io_context& io, std::string interface, AnnounceSettings settings)
    : timer_(io), interface_(std::move(interface)), settings_(settings) {}

Announcer::~Announcer() {
  close_fd(packet_fd_);
  close_fd(icmp6_fd_);
}

std::error_code Announcer::open_sockets() {
  bool need_v4 = false;
  bool need_v6 = false;
  for (const auto& vip : vips_) (vip.family == vrrp::Family::ipv4 ? need_v4 : need_v6) = true;
  if (need_v4 && packet_fd_ < 0) {
    // Protocol 0: the socket receives nothing, so it never fills up with traffic we ignore.
    packet_fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (packet_fd_ < 0) return last_error();
  }
  if (need_v6 && icmp6_fd_ < 0) {
    icmp6_fd_ = ::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    if (icmp6_fd_ < 0) return last_error();
    icmp6_filter block_all;
    ICMP6_FILTER_SETBLOCKALL(&block_all);
    const int hops = 255;  // receivers drop neighbour discovery with any other hop limit
    const int off = 0;
    if (::setsockopt(icmp6_fd_, IPPROTO_ICMPV6, ICMP6_FILTER, &block_all, sizeof block_all) < 0 ||
        ::setsockopt(icmp6_fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) < 0 ||
        ::setsockopt(icmp6_fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops) < 0 ||
        ::setsockopt(icmp6_fd_, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off) < 0) {
      auto error = last_error();
      close_fd(icmp6_fd_);
      return error;
    }
  }
  // The interface may have been recreated since the last start: bind afresh every time.
  if (icmp6_fd_ >= 0) {
    const int index = static_cast<int>(ifindex_);
    if (auto error = bind_to_device(icmp6_fd_, interface_)) return error;
    if (::setsockopt(icmp6_fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) < 0) {
      return last_error();
    }
  }
  return {};
}

std::error_code Announcer::start(std::vector<vrrp::IpAddress> vips, std::optional<MacAddress> mac) {
  stop();
  const auto index = interface_index(interface_);
  if (index.error) return index.error;
  ifindex_ = index.index;
  vips_ = std::move(vips);
  if (auto error = open_sockets()) return error;
  if (mac) {
    mac_ = *mac;
  } else {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return last_error();
    auto error = read_mac(fd, interface_, mac_);
    ::close(fd);
    if (error) return error;
  }
  burst(settings_.repeat, Phase::first);
  return {};
}

void Announcer::stop() {
  ++generation_;
  timer_.cancel();
}

void Announcer::burst(unsigned rounds_left, Phase phase) {
  while (rounds_left > 0) {
    send_round();
    --rounds_left;
    if (rounds_left > 0 && settings_.interval.count() > 0) {
      schedule(settings_.interval, [this, rounds_left, phase] { burst(rounds_left, phase); });
      return;
    }
  }
  after_burst(phase);
}

void Announcer::after_burst(Phase phase) {
  if (phase == Phase::first && settings_.delay.count() > 0) {
    schedule(settings_.delay, [this] { burst(settings_.repeat, Phase::second); });
  } else if (settings_.refresh.count() > 0) {
    schedule(settings_.refresh, [this] { burst(settings_.refresh_repeat, Phase::refresh); });
  }
}

void Announcer::schedule(std::chrono::milliseconds after, std::function<void()> then) {
  timer_.expires_after(after);
  timer_.async_wait([alive = lifetime_.watch(), this, generation = generation_,
                     then = std::move(then)](const boost::system::error_code& error) {
    if (error || alive.expired() || generation != generation_) return;
    then();
  });
}

void Announcer::send_round() {
  for (const auto& vip : vips_) {
    ssize_t result = -1;
    if (vip.family == vrrp::Family::ipv4) {
      const auto frame = gratuitous_arp_frame(mac_, vip);
      sockaddr_ll to{};
      to.sll_family = AF_PACKET;
      to.sll_protocol = htons(ETH_P_ARP);
      to.sll_ifindex = static_cast<int>(ifindex_);
      to.sll_halen = 6;
      std::memset(to.sll_addr, 0xff, 6);
      result = ::sendto(packet_fd_, frame.data(), frame.size(), MSG_DONTWAIT,
                        reinterpret_cast<const sockaddr*>(&to), sizeof to);
    } else {
      const auto message = unsolicited_na(mac_, vip);
      sockaddr_in6 to{};
      to.sin6_family = AF_INET6;
      to.sin6_addr.s6_addr[0] = 0xff;  // ff02::1, all nodes
      to.sin6_addr.s6_addr[1] = 0x02;
      to.sin6_addr.s6_addr[15] = 0x01;
      to.sin6_scope_id = ifindex_;
      result = ::sendto(icmp6_fd_, message.data(), message.size(), MSG_DONTWAIT,
                        reinterpret_cast<const sockaddr*>(&to), sizeof to);
    }
    if (result < 0) {
      ++send_errors_;
    } else {
      ++sent_;
    }
  }
}

}  // namespace redvip::netlink
