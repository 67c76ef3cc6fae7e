#pragma once
// The Redis side of an instance as status shows it, next to the VRRP state.
#include <chrono>
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
  // On a replica: its master's offset as the master itself reported it (a replica's own INFO
  // has only its own), beside our offset from the check just before, and how long ago; status
  // shows the lag in bytes between them. Read only for status, at most once a second.
  struct MasterOffset {
    std::string master;     // host:port, as our Redis names it
    long long offset = -1;  // the master's master_repl_offset
    long long ours = -1;    // our slave_repl_offset at that reading
    std::chrono::milliseconds age{0};
  };
  std::optional<MasterOffset> master_offset;
  // peer_loss_pause: how often a silent peer held our writes, and whether one does now.
  std::uint64_t peer_loss_pauses = 0;
  bool writes_held_for_silent_peer = false;
  // Our Redis's link to the master restarted because its stream stood still after a silence
  // (model/stalled_stream.hpp).
  std::uint64_t stalled_streams_restarted = 0;
  // Adverts that named a non-peer as master: its Redis was not followed, asked or caught up with.
  std::uint64_t non_peer_adverts = 0;
  std::string last_non_peer;  // its address, empty when none
};

}  // namespace redvip::agent
