#pragma once
// The demultiplexer of a shared receive path: each packet decoded once (vrrp::decode_shared) and
// handed to the listener of its VRID, every packet counted exactly once. A packet whose VRID
// (its second byte, even when the rest is malformed) has a listener is charged to it; anything
// else to the path: an intact advert of a VRID nobody here has is "unclaimed" (other routers'
// groups on the same link are normal traffic), a malformed one is counted by reason.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>

#include "netlink/vrrp_socket.hpp"
#include "vrrp/codec.hpp"

namespace redvip::netlink {

struct VridListener {
  using Handler = std::function<void(const vrrp::DecodeResult&, const vrrp::IpMeta&,
                                     std::chrono::steady_clock::time_point received_at)>;
  Handler handler;
  // Brings what `handler` will touch into the cache ahead of a batch (see VridDispatch::warm).
  std::function<void()> warm;
  std::uint64_t received = 0;          // handed to the handler (adverts and rejections)
  std::uint64_t dropped_non_peer = 0;  // unicast: not from a peer
};

class VridDispatch {
 public:
  explicit VridDispatch(vrrp::Ipv4V3Checksum ipv4_v3_checksum) : checksum_(ipv4_v3_checksum) {}

  // False when another listener has the VRID.
  bool claim(std::uint8_t vrid, VridListener& listener);
  void release(std::uint8_t vrid, const VridListener& listener);

  void packet(const ReceivedPacket& packet);
  // Before a batch is handed over, one packet at a time: each listener of these VRIDs warms its
  // memory, so the cache misses of a batch overlap instead of adding up (a backup of 255
  // instances reads each instance's state cold, once per advert interval).
  void warm(std::span<const std::uint8_t> vrids) const;
  void non_peer(const ReceivedPacket& packet);

  std::uint64_t unclaimed() const { return unclaimed_; }
  std::uint64_t unclaimed_non_peer() const { return unclaimed_non_peer_; }
  const std::array<std::uint64_t, vrrp::kRejectCount>& rejected() const { return rejected_; }

 private:
  VridListener* listener_of(std::span<const std::uint8_t> vrrp) const {
    return vrrp.size() >= 2 ? listeners_[vrrp[1]] : nullptr;
  }

  vrrp::Ipv4V3Checksum checksum_;
  std::array<VridListener*, 256> listeners_{};
  std::uint64_t unclaimed_ = 0;
  std::uint64_t unclaimed_non_peer_ = 0;
  std::array<std::uint64_t, vrrp::kRejectCount> rejected_{};
};

}  // namespace redvip::netlink
