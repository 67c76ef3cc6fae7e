#pragma once
// What a peer's Redis says about its data set, judged from its INFO sections (pure: fuzzed and
// table-tested). Cold start asks this so that a node whose own Redis is empty never wins an
// election against a peer that holds the data set.
#include <string>
#include <string_view>

#include "agent/redis/model/replication_info.hpp"

namespace redvip::agent {

struct PeerData {
  bool reachable = false;  // the peer answered all three INFO sections in time
  // true when the peer has keys, or is loading a data set (it will have keys). Meaningful
  // only when reachable: an unreachable peer is "unknown", never "empty".
  bool has_data = false;
  bool loading = false;
  RedisRole role = RedisRole::unknown;
  long long keys = 0;  // over all databases (INFO keyspace, so db1..dbN count too)
  long long master_repl_offset = -1;
  std::string master_replid;
  std::string error;  // why not reachable
};

// The judgement on the three INFO texts.
PeerData judge_peer_data(std::string_view replication, std::string_view persistence,
                         std::string_view keyspace);

}  // namespace redvip::agent
