#include "agent/redis/ops/peer_probe.hpp"

#include <algorithm>

namespace redvip::agent {

void check_peer_data(boost::asio::io_context& io, RedisConnectionOptions peer,
                     std::chrono::milliseconds timeout, std::function<void(PeerData)> done) {
  peer.connect_timeout = std::min(peer.connect_timeout, timeout);
  if (peer.log_name.empty()) peer.log_name = "peer redis " + peer.endpoint.to_string();
  auto conn = RedisConnection::create(io, std::move(peer));
  auto replies = std::make_shared<std::vector<RedisResult>>();
  auto collect = [replies](RedisResult r) { replies->push_back(std::move(r)); };
  conn->command({"INFO", "replication"}, timeout, collect);
  conn->command({"INFO", "persistence"}, timeout, collect);
  conn->command({"INFO", "keyspace"}, timeout, [conn, replies, done = std::move(done)](RedisResult r) mutable {
    replies->push_back(std::move(r));
    PeerData data;
    const auto& rs = *replies;
    auto failed = std::find_if(rs.begin(), rs.end(), [](const RedisResult& x) { return !x.ok(); });
    if (rs.size() != 3) {
      data.error = "incomplete answer";
    } else if (failed != rs.end()) {
      data.error = failed->message;
    } else if (!rs[0].reply.is_text() || !rs[1].reply.is_text() || !rs[2].reply.is_text()) {
      data.error = "unexpected reply";
    } else {
      data = judge_peer_data(rs[0].reply.str, rs[1].reply.str, rs[2].reply.str);
    }
    // Closing from inside its own callback is fine: the connection stays alive until the
    // handler that called us returns.
    conn->close();
    conn.reset();
    done(std::move(data));
  });
}

}  // namespace redvip::agent
