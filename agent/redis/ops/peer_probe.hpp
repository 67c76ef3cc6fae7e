#pragma once
// Cold-start data check on the wire: a short-lived connection to a peer's Redis (with its own
// auth) that asks INFO replication, persistence and keyspace, pipelined, within one deadline.
#include <chrono>
#include <functional>

#include "agent/redis/client/connection.hpp"
#include "agent/redis/model/peer_data.hpp"

namespace redvip::agent {

void check_peer_data(boost::asio::io_context& io, RedisConnectionOptions peer,
                     std::chrono::milliseconds timeout, std::function<void(PeerData)> done);

}  // namespace redvip::agent
