#pragma once
// The operations redvip performs on one Redis server — the local one or a peer's, the same code
// for both — as awaitables, each within one deadline and each confirming its result rather than
// trusting "+OK". RedisOperations is the seam of the role controller: in production it runs over
// a RedisConnection (operations_on), in unit tests over a scripted fake.
//
// kill_clients() cuts only connections made to a VIP (CLIENT KILL LADDR, Redis 6.2+), so the
// health checker's connection, which the local Redis's operations share, and every other
// daemon's connections survive it.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>

#include "agent/redis/client/connection.hpp"
#include "agent/redis/model/peer_data.hpp"
#include "agent/redis/model/replication_info.hpp"
#include "agent/redis/model/stream_db.hpp"
#include "agent/redis/ops/awaitable.hpp"

namespace redvip::agent {

struct RedisOpResult {
  std::error_code error;
  std::string message;  // what happened (success) or why it failed
  bool ok() const { return !error; }
};

struct StreamDbMarkResult {
  RedisOpResult status;              // the server answered both (a replica or not)
  std::optional<StreamDbMark> mark;  // when it follows with the link up
};

struct InfoResult {
  RedisOpResult status;
  ReplicationInfo info;  // meaningful only when ok()
  bool ok() const { return status.ok(); }
  // As the decisions take a peer's INFO: nullopt when it did not answer.
  std::optional<ReplicationInfo> info_if_ok() const {
    return ok() ? std::optional<ReplicationInfo>(info) : std::nullopt;
  }
};

class RedisOperations {
 public:
  using Ms = std::chrono::milliseconds;
  virtual ~RedisOperations() = default;

  // host:port, for logs.
  virtual std::string name() const = 0;
  // REPLICAOF NO ONE, then ROLE must say master.
  virtual Awaitable<RedisOpResult> promote(Ms timeout) = 0;
  // REPLICAOF host port, then ROLE must name that master. Skipped (ok, message says so) when
  // Redis already replicates from host:port with the link up.
  virtual Awaitable<RedisOpResult> follow(std::string host, int port, Ms timeout) = 0;
  // Drops the clients that came in through a VIP: CLIENT KILL LADDR <endpoint> TYPE normal,
  // then TYPE pubsub, for each endpoint of `through` ("10.0.0.9:6379", "[fd00::9]:6379", as
  // Redis writes laddr); SKIPME yes. Connections to the node's own address stay: another
  // daemon's health check or role change, and clients that chose this node.
  virtual Awaitable<RedisOpResult> kill_clients(std::vector<std::string> through, Ms timeout) = 0;
  // CLIENT PAUSE ms WRITE / CLIENT UNPAUSE.
  virtual Awaitable<RedisOpResult> pause_writes(Ms pause, Ms timeout) = 0;
  virtual Awaitable<RedisOpResult> unpause(Ms timeout) = 0;
  // CLIENT KILL TYPE master: a replica drops its link to its master and reconnects at once,
  // continuing from its offset when the master's backlog holds it (model/stalled_stream.hpp).
  virtual Awaitable<RedisOpResult> restart_master_link(Ms timeout) = 0;
  // INFO replication, parsed.
  virtual Awaitable<InfoResult> replication_info(Ms timeout) = 0;
  // INFO replication, persistence and keyspace, pipelined, judged (the cold-start question:
  // what data does this server hold?). Never fails: an unreachable server is !reachable.
  virtual Awaitable<PeerData> peer_data(Ms timeout) = 0;
  // INFO replication, then CLIENT LIST TYPE master, pipelined: the database this replica's
  // master link has selected and how far it applied the stream (model/stream_db.hpp). nullopt
  // when it does not follow with the link up, or any of it failed.
  virtual Awaitable<StreamDbMarkResult> stream_db_mark(Ms timeout) = 0;
};

// The operations over `connection`. With close_on_release the connection is closed when the
// returned object goes (a peer's short-lived connection); otherwise it is shared.
std::shared_ptr<RedisOperations> operations_on(std::shared_ptr<RedisConnection> connection,
                                               bool close_on_release);

// `ops` whose every operation throws Stopped (awaitable.hpp) instead of starting or returning
// once `stop` was requested, and keeps `ops` alive while it runs.
std::shared_ptr<RedisOperations> stop_guarded(std::shared_ptr<RedisOperations> ops,
                                              std::stop_token stop);

// Where the role controller finds Redis servers: this node's, and any other by address.
class RedisNodes {
 public:
  virtual ~RedisNodes() = default;
  // This node's Redis (one shared connection, the health checker's).
  virtual std::shared_ptr<RedisOperations> local() = 0;
  // Another node's Redis, on a connection of its own that lives as long as the returned object.
  virtual std::shared_ptr<RedisOperations> connect(const std::string& host, std::uint16_t port) = 0;
};

// RedisNodes over the network: every connection takes `options` (auth, timeouts, names) with
// its own endpoint.
class ConnectedRedisNodes final : public RedisNodes {
 public:
  ConnectedRedisNodes(boost::asio::io_context& io, RedisConnectionOptions options);
  ~ConnectedRedisNodes() override;

  std::shared_ptr<RedisOperations> local() override { return local_ops_; }
  std::shared_ptr<RedisOperations> connect(const std::string& host, std::uint16_t port) override;

  const std::shared_ptr<RedisConnection>& local_connection() const { return local_; }
  // Closes the local connection and every peer connection still open, for good.
  void close();

 private:
  boost::asio::io_context& io_;
  RedisConnectionOptions options_;
  std::shared_ptr<RedisConnection> local_;
  std::shared_ptr<RedisOperations> local_ops_;
  std::vector<std::weak_ptr<RedisConnection>> peers_;
  bool closed_ = false;
};

}  // namespace redvip::agent
