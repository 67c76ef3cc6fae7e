#pragma once
// The Redis side of an instance as status shows it, next to the VRRP state.
#include <cstdint>
#include <optional>
#include <string>

#include "agent/redis/model/replication_info.hpp"

namespace redvip::agent {

// Redis side of an instance, when it has a redis block; shown next to the VRRP state.
struct RedisStatusView {
  bool present = false;
  bool healthy = false;
  std::string role;  // "master", "replica", or empty when unknown
  std::string detail;
  std::uint64_t checks_ok = 0;
  std::uint64_t checks_failed = 0;
  // The last good check's INFO replication: offsets, the master link, the replicas and their
  // offsets (status and metrics show the lag from them).
  std::optional<ReplicationInfo> replication;
  // peer_loss_pause: how often a silent peer held our writes, and whether one does now.
  std::uint64_t peer_loss_pauses = 0;
  bool writes_held_for_silent_peer = false;
  // Adverts that named a non-peer as master: its Redis was not followed, asked or caught up with.
  std::uint64_t non_peer_adverts = 0;
  std::string last_non_peer;  // its address, empty when none
};

}  // namespace redvip::agent
