#pragma once
// The raw IPPROTO 112 socket one VRRP instance talks through: bound to its interface, joined to
// the VRRP group (or talking to unicast peers), TTL / hop limit 255, receive loop on Asio.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

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
  std::vector<vrrp::IpAddress> unicast_peers;  // empty = multicast
  std::optional<vrrp::IpAddress> multicast_group;  // default 224.0.0.18 / ff02::12
};

vrrp::IpAddress default_multicast_group(vrrp::Family family);

struct ReceivedPacket {
  std::span<const std::uint8_t> vrrp;  // the VRRP message only; valid during the callback
  vrrp::IpMeta meta;                   // source, destination, TTL / hop limit
};

struct SocketCounters {
  std::uint64_t received = 0;          // handed to the callback
  std::uint64_t sent = 0;              // datagrams the kernel accepted
  std::uint64_t dropped_non_peer = 0;  // unicast mode: source not in unicast_peers
  std::uint64_t dropped_short_ip = 0;  // IPv4 header or ancillary data missing or malformed
  std::uint64_t send_errors = 0;       // incl. a full buffer (ENOBUFS/EAGAIN): drop, never block
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
  using Handler = std::function<void(const ReceivedPacket&)>;

  VrrpSocket(boost::asio::io_context& io, VrrpSocketConfig config);
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

  // Sends the bytes unchanged to one destination.
  std::error_code send_to(std::span<const std::uint8_t> vrrp_payload,
                          const vrrp::IpAddress& destination);
  // Encodes once per destination (source_address() and that destination feed the checksum).
  std::error_code send(const vrrp::Advert& advert,
                       vrrp::Ipv4V3Checksum ipv4_v3_checksum =
                           vrrp::Ipv4V3Checksum::with_pseudo_header);

  const vrrp::IpAddress& source_address() const { return source_; }
  const std::vector<vrrp::IpAddress>& destinations() const { return destinations_; }
  const SocketCounters& counters() const { return counters_; }
  unsigned interface_index() const { return ifindex_; }
  bool is_open() const { return descriptor_.is_open(); }

 private:
  std::error_code configure(int fd);
  void arm();
  void drain();
  void receive_one_v4(std::span<const std::uint8_t> datagram);
  void deliver(std::span<const std::uint8_t> payload, const vrrp::IpMeta& meta);

  VrrpSocketConfig config_;
  boost::asio::posix::stream_descriptor descriptor_;
  unsigned ifindex_ = 0;
  vrrp::IpAddress source_;
  std::vector<vrrp::IpAddress> destinations_;
  Handler handler_;
  Handler on_non_peer_;
  bool receiving_ = false;
  std::uint64_t generation_ = 0;  // bumped by stop(): a wait armed before it does nothing
  SocketCounters counters_;
  std::vector<std::uint8_t> buffer_;
  // A completed wait may still be queued when we are destroyed; it checks this first.
  std::shared_ptr<char> lifetime_ = std::make_shared<char>();
};

}  // namespace redvip::netlink
