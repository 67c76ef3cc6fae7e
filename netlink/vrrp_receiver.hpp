#pragma once
// One receive path per interface, address family, source, unicast peer set and group, shared by
// every instance on it. With a raw socket per instance every socket received every VRRP packet on
// the link, so the cost grew with the square of the instance count; here each packet is read,
// checked and decoded once (vrrp::decode_shared) and handed to the channel of its VRID in O(1).
// What depends on the instance (version, v2 password, interval) is left to that instance
// (vrrp::check_for_instance). Sending goes through the same socket. Under load the path reads in
// batches (kBatchWindow): a few wakeups per burst of adverts instead of one per packet; packets
// keep their arrival time, and an instance about to time out its master reads what is queued
// first.
// Counting: each packet once (vrid_dispatch.hpp).
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "netlink/asio.hpp"
#include "netlink/vrid_dispatch.hpp"
#include "netlink/vrrp_socket.hpp"
#include "vrrp/codec.hpp"

namespace redvip::netlink {

// What no instance can be charged with, summed over every receive path.
struct ReceiverCounters {
  std::uint64_t paths = 0;      // receive paths (raw sockets) open now
  std::uint64_t unclaimed = 0;  // intact adverts for a VRID no instance here has
  std::array<std::uint64_t, vrrp::kRejectCount> rejected{};  // malformed, VRID byte not ours
  std::uint64_t dropped_non_peer = 0;   // unicast: not from a peer, VRID byte not ours
  std::uint64_t dropped_short_ip = 0;   // IP header or ancillary data missing or malformed
  std::uint64_t dropped_oversized = 0;  // longer than any VRRP datagram
  std::uint64_t receive_errors = 0;
};

class ReceivePath;

inline constexpr std::chrono::milliseconds kBatchWindow{5};

// One instance's share of a receive path: the packets of its VRID in, its adverts out.
class VrrpChannel {
 public:
  // The shared decode's verdict: an intact advert of our VRID (the instance still applies its
  // own checks), or why the packet was rejected; and when it arrived.
  using Handler = VridListener::Handler;

  ~VrrpChannel();
  VrrpChannel(const VrrpChannel&) = delete;
  VrrpChannel& operator=(const VrrpChannel&) = delete;

  // Packets for our VRID go to `handler` from now on (on the io_context). The handler may not
  // destroy the channel.
  void start(Handler handler, std::function<void()> warm = {}) {
    listener_.handler = std::move(handler);
    listener_.warm = std::move(warm);
  }
  // To the group or to every unicast peer, from the path's source address.
  std::error_code send(const vrrp::Advert& advert);
  // Hands over at once what the kernel has queued on the path, to every channel on it.
  void receive_pending();

  const vrrp::IpAddress& source_address() const;
  std::uint8_t vrid() const { return vrid_; }
  // This instance's share: received, sent, send_errors, dropped_non_peer.
  SocketCounters counters() const;

 private:
  friend class ReceivePath;

  friend class VrrpReceivers;
  VrrpChannel(std::shared_ptr<ReceivePath> path, std::uint8_t vrid);

  std::shared_ptr<ReceivePath> path_;
  std::uint8_t vrid_;
  VridListener listener_;
  SocketCounters sent_;  // sent, send_errors
};

class VrrpReceivers {
 public:
  explicit VrrpReceivers(boost::asio::io_context& io) : io_(io) {}
  VrrpReceivers(const VrrpReceivers&) = delete;
  VrrpReceivers& operator=(const VrrpReceivers&) = delete;

  // The channel for `vrid` on the path `config` describes, opening that path's socket if no
  // channel holds it yet. Errors: those of VrrpSocket::open, or std::errc::address_in_use when
  // another channel has that VRID on the path. A path closes with its last channel; channels may
  // outlive this object.
  std::pair<std::unique_ptr<VrrpChannel>, std::error_code> open(
      const VrrpSocketConfig& config, std::uint8_t vrid,
      vrrp::Ipv4V3Checksum ipv4_v3_checksum = vrrp::Ipv4V3Checksum::with_pseudo_header);

  ReceiverCounters counters() const;
  // Called whenever a path read packets (the process is running): the TimerHub's awake().
  // Paths opened from now on carry it.
  void on_read(std::function<void()> awake) { awake_ = std::move(awake); }

 private:
  // family, interface, source, sorted peers, group, checksum convention
  using Key = std::tuple<vrrp::Family, std::string, std::optional<vrrp::IpAddress>,
                         std::vector<vrrp::IpAddress>, vrrp::IpAddress, vrrp::Ipv4V3Checksum>;
  static Key key_of(const VrrpSocketConfig& config, vrrp::Ipv4V3Checksum ipv4_v3_checksum);

  boost::asio::io_context& io_;
  std::map<Key, std::weak_ptr<ReceivePath>> paths_;
  std::function<void()> awake_;
};

}  // namespace redvip::netlink
