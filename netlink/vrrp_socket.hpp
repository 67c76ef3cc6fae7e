#pragma once
// The raw IPPROTO 112 socket one VRRP instance talks through: bound to its interface, joined to
// the VRRP group (or talking to unicast peers), TTL / hop limit 255, receive loop on Asio.
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "support/lifetime.hpp"
#include "netlink/asio.hpp"
#include "vrrp/codec.hpp"
#include "vrrp/ip_address.hpp"

namespace redvip::netlink {

struct VrrpSocketConfig {
  vrrp::Family family = vrrp::Family::ipv4;
  std::string interface;
  // Default: the interface's first IPv4 address (its primary) or its IPv6 link-local address,
  // as RFC 5798 wants for v3 over IPv6. Looked up once by open().
  std::optional<vrrp::IpAddress> source;
  std::vector<vrrp::IpAddress> unicast_peers;      // empty = multicast
  std::optional<vrrp::IpAddress> multicast_group;  // default 224.0.0.18 / ff02::12
};

vrrp::IpAddress default_multicast_group(vrrp::Family family);

struct ReceivedPacket {
  std::span<const std::uint8_t> vrrp;  // the VRRP message only; valid during the callback
  vrrp::IpMeta meta;                   // source, destination, TTL / hop limit
  // When the kernel received it (SO_TIMESTAMPNS, on the steady clock): a packet read late, in a
  // batch, still counts from its arrival.
  std::chrono::steady_clock::time_point received_at;
};

struct SocketCounters {
  std::uint64_t received = 0;           // handed to the callback
  std::uint64_t sent = 0;               // datagrams the kernel accepted
  std::uint64_t dropped_non_peer = 0;   // unicast mode: source not in unicast_peers
  std::uint64_t dropped_short_ip = 0;   // IPv4 header or ancillary data missing or malformed
  std::uint64_t dropped_oversized = 0;  // longer than any VRRP datagram (kMaxDatagram)
  std::uint64_t send_errors = 0;        // incl. a full buffer (ENOBUFS/EAGAIN): drop, never block
  std::uint64_t receive_errors = 0;
};

// What an IPv4 raw socket returns is the IP header followed by the payload; this splits them.
// nullopt for anything that is not a well-formed IPv4 header of protocol 112 whose total length
// fits the datagram.
struct Ipv4Datagram {
  std::span<const std::uint8_t> payload;
  vrrp::IpMeta meta;
};
std::optional<Ipv4Datagram> parse_ipv4_datagram(std::span<const std::uint8_t> datagram);

class VrrpSocket {
 public:
  // The longest datagram a VRRP message fits in: an IPv4 header with options (60 bytes), the
  // 8-byte header, 255 IPv6 addresses and v2's 8 bytes of authentication. Longer ones are
  // counted (dropped_oversized), not read.
  static constexpr std::size_t kMaxDatagram = 60 + 8 + 255 * 16 + 8;
  static constexpr std::size_t kDatagramsPerRead = 64;  // one recvmmsg() reads this many

  using Handler = std::function<void(const ReceivedPacket&)>;

  VrrpSocket(boost::asio::io_context& io, VrrpSocketConfig config);
  ~VrrpSocket();
  VrrpSocket(const VrrpSocket&) = delete;
  VrrpSocket& operator=(const VrrpSocket&) = delete;

  // Creates and configures the socket; an error names the failing step via the category's
  // message only, so callers should log it with the interface name.
  std::error_code open();
  // Starts (or, after stop(), resumes) the asynchronous receive loop. The handlers may stop()
  // the socket but must not destroy it. In unicast mode a packet from a source that is not a
  // peer is counted (dropped_non_peer) and goes to `on_non_peer` when given, not to `handler`.
  void start(Handler handler, Handler on_non_peer = {});
  void stop();  // no more callbacks; packets queue in the kernel until start() again
  // Hands over now what the kernel has queued (e.g. before acting on a timeout that a queued
  // packet would cancel). The handlers run from inside this call.
  void receive_now();
  // Under load, read in batches: when a read found packets less than two windows after the
  // previous one, the next read happens `window` later instead of at the next packet, so one
  // wakeup reads many packets. 0 (the default) reads every packet as it arrives. Packets keep
  // their arrival time (received_at).
  void set_batch_window(std::chrono::microseconds window) { batch_window_ = window; }
  // Called with the VRID byte of every datagram a read returned, before any goes to the handler.
  void set_before_batch(std::function<void(std::span<const std::uint8_t> vrids)> before_batch) {
    before_batch_ = std::move(before_batch);
  }

  // Sends the bytes unchanged to one destination.
  std::error_code send_to(std::span<const std::uint8_t> vrrp_payload,
                          const vrrp::IpAddress& destination);
  // Encodes once per destination (source_address() and that destination feed the checksum).
  std::error_code send(const vrrp::Advert& advert, vrrp::Ipv4V3Checksum ipv4_v3_checksum =
                                                       vrrp::Ipv4V3Checksum::with_pseudo_header);

  const vrrp::IpAddress& source_address() const { return source_; }
  const std::vector<vrrp::IpAddress>& destinations() const { return destinations_; }
  const SocketCounters& counters() const { return counters_; }
  unsigned interface_index() const { return ifindex_; }
  bool is_open() const { return fd_ >= 0; }

 private:
  std::error_code configure(int fd);
  void arm();
  void schedule_next(int read);
  void read_after_window();
  void read_soon();   // after the handlers already queued
  void read_batch();  // one batch, then what comes next
  // Returns how many datagrams it read.
  int drain();
  void peek_batch(int n);  // the VRIDs of the n datagrams read, to before_batch_
  void receive_one(int index, std::chrono::steady_clock::time_point steady_now,
                   std::chrono::steady_clock::duration offset);
  void receive_one_v4(std::span<const std::uint8_t> datagram,
                      std::chrono::steady_clock::time_point received_at);
  void deliver(std::span<const std::uint8_t> payload, const vrrp::IpMeta& meta,
               std::chrono::steady_clock::time_point received_at);

  VrrpSocketConfig config_;
  int fd_ = -1;
  boost::asio::posix::stream_descriptor descriptor_;  // fd_, except while reading in batches
  unsigned ifindex_ = 0;
  vrrp::IpAddress source_;
  std::vector<vrrp::IpAddress> destinations_;
  Handler handler_;
  Handler on_non_peer_;
  std::function<void(std::span<const std::uint8_t>)> before_batch_;
  bool receiving_ = false;
  std::chrono::microseconds batch_window_{0};
  std::chrono::steady_clock::time_point last_read_{};
  std::chrono::steady_clock::time_point newest_{};  // arrival of the newest packet read
  boost::asio::steady_timer batch_timer_;
  std::uint64_t generation_ = 0;  // bumped by stop(): a wait armed before it does nothing
  SocketCounters counters_;
  // kDatagramsPerRead datagrams of kMaxDatagram bytes, read by one recvmmsg().
  struct ReadSlot {
    sockaddr_storage from;
    iovec iov;
    alignas(cmsghdr) unsigned char control[256];
  };
  std::vector<std::uint8_t> buffer_;
  std::vector<mmsghdr> messages_;
  std::vector<ReadSlot> slots_;
  bool draining_ = false;
  // A completed wait may still be queued when we are destroyed; it checks this first.
  Lifetime lifetime_;
};

}  // namespace redvip::netlink
