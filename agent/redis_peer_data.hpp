#pragma once
// Cold-start data check: asks a PEER's Redis whether it holds data, so that a node whose own
// Redis is empty never wins an election against a peer that has the data set.
// <utility> first: Boost 1.74 Asio uses std::exchange without including it (g++ 12).
#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "agent/redis_connection.hpp"
#include "agent/redis_replication_info.hpp"

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

// Opens a short-lived connection to the peer (with its own auth), sends INFO replication,
// INFO persistence and INFO keyspace pipelined, and reports within `timeout`.
void check_peer_data(boost::asio::io_context& io, RedisConnectionOptions peer,
                     std::chrono::milliseconds timeout, std::function<void(PeerData)> done);

// The judgement on the three INFO texts, pure (unit-tested).
PeerData judge_peer_data(std::string_view replication, std::string_view persistence,
                         std::string_view keyspace);

}  // namespace redvip::agent
