#include "netlink/vrrp_socket.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "netlink/errno_error.hpp"
#include "netlink/interface.hpp"

namespace redvip::netlink {
namespace {

constexpr int kDatagramsPerWakeup = 64;  // then yield so timers and other sockets run

template <typename T>
std::error_code set_option(int fd, int level, int name, const T& value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0) return last_error();
  return {};
}

std::optional<vrrp::IpAddress> interface_source(const std::string& interface, vrrp::Family family) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) < 0) return std::nullopt;
  std::optional<vrrp::IpAddress> found;
  for (const ifaddrs* entry = list; entry != nullptr && !found; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || interface != entry->ifa_name) continue;
    if (family == vrrp::Family::ipv4 && entry->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
      found = vrrp::IpAddress::from_bytes(
          family, {reinterpret_cast<const std::uint8_t*>(&sin->sin_addr), 4});
    } else if (family == vrrp::Family::ipv6 && entry->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      auto address = vrrp::IpAddress::from_bytes(
          family, {reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr), 16});
      if (address.is_link_local()) found = address;
    }
  }
  ::freeifaddrs(list);
  return found;
}

sockaddr_in to_sockaddr_v4(const vrrp::IpAddress& address) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  std::memcpy(&sin.sin_addr, address.bytes.data(), 4);
  return sin;
}

sockaddr_in6 to_sockaddr_v6(const vrrp::IpAddress& address, unsigned ifindex) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  std::memcpy(&sin6.sin6_addr, address.bytes.data(), 16);
  sin6.sin6_scope_id = ifindex;  // needed for link-local and ff02::; ignored for global scope
  return sin6;
}

}  // namespace

vrrp::IpAddress default_multicast_group(vrrp::Family family) {
  if (family == vrrp::Family::ipv4) return vrrp::IpAddress::v4(224, 0, 0, 18);
  auto group = vrrp::IpAddress::from_bytes(vrrp::Family::ipv6, {});
  group.bytes[0] = 0xff;
  group.bytes[1] = 0x02;
  group.bytes[15] = 0x12;
  return group;
}

std::optional<Ipv4Datagram> parse_ipv4_datagram(std::span<const std::uint8_t> datagram) {
  constexpr std::size_t kMinHeader = 20;
  if (datagram.size() < kMinHeader) return std::nullopt;
  if ((datagram[0] >> 4) != 4) return std::nullopt;
  const std::size_t header_length = static_cast<std::size_t>(datagram[0] & 0x0f) * 4;
  const std::size_t total_length = static_cast<std::size_t>(datagram[2]) << 8 | datagram[3];
  if (header_length < kMinHeader || header_length > datagram.size()) return std::nullopt;
  if (total_length < header_length || total_length > datagram.size()) return std::nullopt;
  if (datagram[9] != vrrp::kProtocolNumber) return std::nullopt;
  Ipv4Datagram result;
  result.payload = datagram.subspan(header_length, total_length - header_length);
  result.meta.ttl = datagram[8];
  result.meta.source = vrrp::IpAddress::from_bytes(vrrp::Family::ipv4, datagram.subspan(12, 4));
  result.meta.destination =
      vrrp::IpAddress::from_bytes(vrrp::Family::ipv4, datagram.subspan(16, 4));
  return result;
}

VrrpSocket::VrrpSocket(boost::asio::io_context& io, VrrpSocketConfig config)
    : config_(std::move(config)), descriptor_(io), batch_timer_(io) {}

VrrpSocket::~VrrpSocket() {
  // While batching the descriptor is out of Asio's hands (see schedule_next): ours to close.
  if (fd_ >= 0 && !descriptor_.is_open()) ::close(fd_);
}

std::error_code VrrpSocket::open() {
  const auto invalid = std::make_error_code(std::errc::invalid_argument);
  if (fd_ >= 0) return std::make_error_code(std::errc::already_connected);
  const auto index = netlink::interface_index(config_.interface);
  if (index.error) return index.error;
  ifindex_ = index.index;

  const auto family = config_.family;
  const auto group = config_.multicast_group.value_or(default_multicast_group(family));
  if (group.family != family || !group.is_multicast()) return invalid;
  for (const auto& peer : config_.unicast_peers) {
    if (peer.family != family || peer.is_multicast()) return invalid;
  }
  if (config_.source) {
    if (config_.source->family != family) return invalid;
    source_ = *config_.source;
  } else {
    auto found = interface_source(config_.interface, family);
    if (!found) return std::make_error_code(std::errc::address_not_available);
    source_ = *found;
  }
  destinations_ = config_.unicast_peers.empty() ? std::vector{group} : config_.unicast_peers;

  const int fd = ::socket(family == vrrp::Family::ipv4 ? AF_INET : AF_INET6,
                          SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, vrrp::kProtocolNumber);
  if (fd < 0) return last_error();
  if (auto error = configure(fd)) {
    ::close(fd);
    return error;
  }
  boost::system::error_code assign_error;
  descriptor_.assign(fd, assign_error);
  if (assign_error) {
    ::close(fd);
    return std::make_error_code(std::errc::io_error);
  }
  fd_ = fd;
  buffer_.resize(kDatagramsPerRead * kMaxDatagram);
  messages_.resize(kDatagramsPerRead);
  slots_.resize(kDatagramsPerRead);
  return {};
}

std::error_code VrrpSocket::configure(int fd) {
  const auto& name = config_.interface;
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name.c_str(),
                   static_cast<socklen_t>(name.size())) < 0) {
    return last_error();
  }
  const int on = 1;
  const int off = 0;
  if (auto e = set_option(fd, SOL_SOCKET, SO_TIMESTAMPNS, on)) return e;
  const int ttl = vrrp::kRequiredTtl;
  const bool multicast = config_.unicast_peers.empty();
  const auto group = destinations_.front();
  if (config_.family == vrrp::Family::ipv4) {
    if (auto e = set_option(fd, IPPROTO_IP, IP_TTL, ttl)) return e;
    if (auto e = set_option(fd, IPPROTO_IP, IP_MULTICAST_TTL, ttl)) return e;
    if (auto e = set_option(fd, IPPROTO_IP, IP_MULTICAST_LOOP, off)) return e;
    // Only the groups this socket joined, not every group some other socket joined.
    if (auto e = set_option(fd, IPPROTO_IP, IP_MULTICAST_ALL, off)) return e;
    // No IP_PKTINFO or IP_RECVTTL: an IPv4 raw socket reads the IP header itself, and each
    // control message costs every packet a copy.
    ip_mreqn outgoing{};
    outgoing.imr_ifindex = static_cast<int>(ifindex_);
    std::memcpy(&outgoing.imr_address, source_.bytes.data(), 4);
    if (auto e = set_option(fd, IPPROTO_IP, IP_MULTICAST_IF, outgoing)) return e;
    if (multicast) {
      ip_mreqn join{};
      std::memcpy(&join.imr_multiaddr, group.bytes.data(), 4);
      join.imr_ifindex = static_cast<int>(ifindex_);
      if (auto e = set_option(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, join)) return e;
    }
  } else {
    const int index = static_cast<int>(ifindex_);
    if (auto e = set_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl)) return e;
    if (auto e = set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl)) return e;
    if (auto e = set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, off)) return e;
    if (auto e = set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, off)) return e;
    if (auto e = set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, index)) return e;
    if (auto e = set_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, on)) return e;
    if (auto e = set_option(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, on)) return e;
    if (multicast) {
      ipv6_mreq join{};
      std::memcpy(&join.ipv6mr_multiaddr, group.bytes.data(), 16);
      join.ipv6mr_interface = ifindex_;
      if (auto e = set_option(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, join)) return e;
    }
  }
  return {};
}

void VrrpSocket::start(Handler handler, Handler on_non_peer) {
  handler_ = std::move(handler);
  on_non_peer_ = std::move(on_non_peer);
  if (fd_ < 0 || receiving_) return;
  receiving_ = true;
  arm();
}

void VrrpSocket::stop() {
  receiving_ = false;
  ++generation_;
  boost::system::error_code ignored;
  descriptor_.cancel(ignored);
  batch_timer_.cancel();
}

void VrrpSocket::receive_now() {
  if (receiving_) drain();
}

// After a read woken by a packet: wait for the next one, or, when packets come closer together
// than two batch windows or the read found more than one (a burst: a master of many instances
// sends them together), read again one window later. A batch keeps batching while packets still
// flow; one that finds none, or whose newest packet is older than a quarter window (the burst is
// over), goes back to waking at the next packet, so a burst costs two wakeups. While batching,
// the descriptor is taken out of Asio's reactor: epoll would otherwise wake us at every packet
// all the same. A read that stopped at kDatagramsPerWakeup left packets queued: the rest is read
// as soon as the handlers queued meanwhile have run, not a window later.
void VrrpSocket::schedule_next(int read) {
  const auto now = std::chrono::steady_clock::now();
  const bool batching = batch_window_.count() > 0;
  const bool busy = batching && (read > 1 || now - last_read_ < 2 * batch_window_);
  last_read_ = now;
  const bool queued = batching && read >= kDatagramsPerWakeup;
  if (!queued && !busy) {
    arm();
    return;
  }
  if (descriptor_.is_open()) descriptor_.release();
  if (queued) {
    read_soon();
  } else {
    read_after_window();
  }
}

void VrrpSocket::read_after_window() {
  batch_timer_.expires_after(batch_window_);
  batch_timer_.async_wait([this, alive = lifetime_.watch(),
                           generation = generation_](const boost::system::error_code& error) {
    if (error || alive.expired() || generation != generation_) return;
    read_batch();
  });
}

void VrrpSocket::read_soon() {
  boost::asio::post(batch_timer_.get_executor(),
                    [this, alive = lifetime_.watch(), generation = generation_] {
                      if (alive.expired() || generation != generation_) return;
                      read_batch();
                    });
}

void VrrpSocket::read_batch() {
  const auto generation = generation_;
  const int read = drain();
  if (generation != generation_) return;
  last_read_ = std::chrono::steady_clock::now();
  if (read >= kDatagramsPerWakeup) {
    read_soon();
  } else if (read > 0 && last_read_ - newest_ < batch_window_ / 4) {
    read_after_window();
  } else {
    arm();
  }
}

void VrrpSocket::arm() {
  if (!descriptor_.is_open()) {
    boost::system::error_code error;
    descriptor_.assign(fd_, error);
    if (error) {
      ++counters_.receive_errors;
      receiving_ = false;
      return;
    }
  }
  descriptor_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                         [this, alive = lifetime_.watch(),
                          generation = generation_](const boost::system::error_code& error) {
                           // Aborted or expired: we were stopped or destroyed, touch nothing.
                           if (error == boost::asio::error::operation_aborted || alive.expired())
                             return;
                           if (generation != generation_) return;
                           if (error) {
                             ++counters_.receive_errors;
                             receiving_ = false;
                             return;
                           }
                           const int read = drain();
                           // The handler may have stopped us (and even started again, which armed
                           // anew).
                           if (generation != generation_) return;
                           if (read > 0) {
                             schedule_next(read);
                           } else {
                             arm();
                           }
                         });
}

int VrrpSocket::drain() {
  if (draining_) return 0;  // a handler asked for receive_now(): the loop below reads on
  draining_ = true;
  // The kernel stamps packets with the real-time clock; handlers work on the steady clock.
  const auto steady_now = std::chrono::steady_clock::now();
  const auto offset =
      steady_now.time_since_epoch() - std::chrono::system_clock::now().time_since_epoch();
  int read = 0;
  // IPv4 reads the source from the IP header: asking for the address too costs each packet a
  // copy.
  const bool want_source = config_.family == vrrp::Family::ipv6;
  while (read < kDatagramsPerWakeup && receiving_) {
    for (std::size_t i = 0; i < kDatagramsPerRead; ++i) {
      slots_[i].from = {};
      slots_[i].iov = {buffer_.data() + i * kMaxDatagram, kMaxDatagram};
      auto& msg = messages_[i].msg_hdr;
      msg = {};
      msg.msg_name = want_source ? &slots_[i].from : nullptr;
      msg.msg_namelen = want_source ? sizeof slots_[i].from : 0;
      msg.msg_iov = &slots_[i].iov;
      msg.msg_iovlen = 1;
      msg.msg_control = slots_[i].control;
      msg.msg_controllen = sizeof slots_[i].control;
    }
    // One system call for up to kDatagramsPerRead datagrams.
    const int n = ::recvmmsg(fd_, messages_.data(), kDatagramsPerRead, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++counters_.receive_errors;
      break;
    }
    if (before_batch_ && n > 0) peek_batch(n);
    for (int i = 0; i < n && receiving_; ++i) {
      ++read;
      receive_one(i, steady_now, offset);
    }
    if (static_cast<std::size_t>(n) < kDatagramsPerRead) break;  // the queue is empty
  }
  draining_ = false;
  return read;
}

void VrrpSocket::peek_batch(int n) {
  std::array<std::uint8_t, kDatagramsPerRead> vrids{};
  std::size_t count = 0;
  for (int i = 0; i < n; ++i) {
    const auto* datagram = buffer_.data() + static_cast<std::size_t>(i) * kMaxDatagram;
    const std::size_t length = messages_[static_cast<std::size_t>(i)].msg_len;
    // IPv4 datagrams start with their header; IPv6 ones with the VRRP message.
    const std::size_t vrrp_at =
        config_.family == vrrp::Family::ipv4 && length > 0 ? (datagram[0] & 0x0fU) * 4U : 0;
    if (vrrp_at + 1 < length) vrids[count++] = datagram[vrrp_at + 1];
  }
  before_batch_(std::span(vrids.data(), count));
}

void VrrpSocket::receive_one(int index, std::chrono::steady_clock::time_point steady_now,
                             std::chrono::steady_clock::duration offset) {
  auto& msg = messages_[static_cast<std::size_t>(index)].msg_hdr;
  const auto& from = slots_[static_cast<std::size_t>(index)].from;
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
    ++counters_.dropped_oversized;  // no VRRP message is this long
    return;
  }
  const std::span<const std::uint8_t> datagram(
      buffer_.data() + static_cast<std::size_t>(index) * kMaxDatagram,
      messages_[static_cast<std::size_t>(index)].msg_len);
  {
    auto received_at = steady_now;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS ||
          c->cmsg_len < CMSG_LEN(sizeof(timespec))) {
        continue;
      }
      timespec stamp;
      std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
      const auto at = std::chrono::steady_clock::time_point(
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              std::chrono::seconds(stamp.tv_sec) + std::chrono::nanoseconds(stamp.tv_nsec) +
              offset));
      received_at = std::min(at, steady_now);  // a clock step must not date it in the future
    }
    newest_ = std::max(newest_, received_at);
    if (config_.family == vrrp::Family::ipv4) {
      receive_one_v4(datagram, received_at);
      return;
    }
    // IPv6 raw sockets never show the IP header: everything comes from ancillary data.
    std::optional<vrrp::IpAddress> destination;
    std::optional<int> hop_limit;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != IPPROTO_IPV6) continue;
      if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
        in6_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        destination = vrrp::IpAddress::from_bytes(
            vrrp::Family::ipv6, {reinterpret_cast<const std::uint8_t*>(&info.ipi6_addr), 16});
      } else if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        int value = 0;
        std::memcpy(&value, CMSG_DATA(c), sizeof value);
        hop_limit = value;
      }
    }
    if (!destination || !hop_limit || from.ss_family != AF_INET6 || *hop_limit < 0 ||
        *hop_limit > 255) {
      ++counters_.dropped_short_ip;
      return;
    }
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&from);
    vrrp::IpMeta meta;
    meta.source = vrrp::IpAddress::from_bytes(
        vrrp::Family::ipv6, {reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr), 16});
    meta.destination = *destination;
    meta.ttl = static_cast<std::uint8_t>(*hop_limit);
    deliver(datagram, meta, received_at);
  }
}

void VrrpSocket::receive_one_v4(std::span<const std::uint8_t> datagram,
                                std::chrono::steady_clock::time_point received_at) {
  const auto parsed = parse_ipv4_datagram(datagram);
  if (!parsed) {
    ++counters_.dropped_short_ip;
    return;
  }
  deliver(parsed->payload, parsed->meta, received_at);
}

void VrrpSocket::deliver(std::span<const std::uint8_t> payload, const vrrp::IpMeta& meta,
                         std::chrono::steady_clock::time_point received_at) {
  const auto& peers = config_.unicast_peers;
  if (!peers.empty() && std::find(peers.begin(), peers.end(), meta.source) == peers.end()) {
    ++counters_.dropped_non_peer;
    if (on_non_peer_) on_non_peer_(ReceivedPacket{payload, meta, received_at});
    return;
  }
  ++counters_.received;
  if (handler_) handler_(ReceivedPacket{payload, meta, received_at});
}

std::error_code VrrpSocket::send_to(std::span<const std::uint8_t> vrrp_payload,
                                    const vrrp::IpAddress& destination) {
  if (fd_ < 0) return std::make_error_code(std::errc::bad_file_descriptor);
  if (destination.family != config_.family) {
    return std::make_error_code(std::errc::address_family_not_supported);
  }
  iovec iov{const_cast<std::uint8_t*>(vrrp_payload.data()), vrrp_payload.size()};
  alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  sockaddr_in to4{};
  sockaddr_in6 to6{};
  // The source address travels as IP(V6)_PKTINFO rather than bind(): a bound raw socket would
  // only receive packets addressed to that address, never the group.
  if (config_.family == vrrp::Family::ipv4) {
    to4 = to_sockaddr_v4(destination);
    msg.msg_name = &to4;
    msg.msg_namelen = sizeof to4;
    msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_ifindex = static_cast<int>(ifindex_);
    std::memcpy(&info.ipi_spec_dst, source_.bytes.data(), 4);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  } else {
    to6 = to_sockaddr_v6(destination, ifindex_);
    msg.msg_name = &to6;
    msg.msg_namelen = sizeof to6;
    msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info{};
    info.ipi6_ifindex = ifindex_;
    std::memcpy(&info.ipi6_addr, source_.bytes.data(), 16);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  }
  if (::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
    ++counters_.send_errors;
    return last_error();
  }
  ++counters_.sent;
  return {};
}

std::error_code VrrpSocket::send(const vrrp::Advert& advert,
                                 vrrp::Ipv4V3Checksum ipv4_v3_checksum) {
  if (fd_ < 0) return std::make_error_code(std::errc::bad_file_descriptor);
  std::error_code first;
  for (const auto& destination : destinations_) {
    const auto bytes = vrrp::encode(advert, source_, destination, ipv4_v3_checksum);
    auto error = send_to(bytes, destination);
    if (error && !first) first = error;
  }
  return first;
}

}  // namespace redvip::netlink
