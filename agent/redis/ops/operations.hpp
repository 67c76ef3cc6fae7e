#pragma once
// The role operations redvip performs on its local Redis, asynchronously, each within one
// deadline and each confirming its result rather than trusting "+OK".
//
// Use the same RedisConnection as the health checker: kill_clients() relies on CLIENT KILL's
// SKIPME (the default), which spares only the connection that sends it.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "agent/redis/client/connection.hpp"
#include "agent/redis/model/decisions.hpp"
#include "agent/redis/model/replication_info.hpp"

namespace redvip::agent {

struct RedisOpResult {
  std::error_code error;
  std::string message;  // what happened (success) or why it failed
  bool ok() const { return !error; }
};

class RedisRoles {
 public:
  using Done = std::function<void(RedisOpResult)>;
  using Ms = std::chrono::milliseconds;

  explicit RedisRoles(std::shared_ptr<RedisConnection> connection);

  // REPLICAOF NO ONE, then ROLE must say master.
  void promote(Ms timeout, Done done);
  // REPLICAOF host port, then ROLE must name that master. Skipped (ok, message says so) when
  // Redis already replicates from host:port with the link up.
  void follow(std::string host, int port, Ms timeout, Done done);
  // CLIENT KILL TYPE normal, then TYPE pubsub (SKIPME yes: our own connection survives).
  void kill_clients(Ms timeout, Done done);
  // CLIENT PAUSE ms WRITE / CLIENT UNPAUSE.
  void pause_writes(Ms pause, Ms timeout, Done done);
  void unpause(Ms timeout, Done done);
  // Polls INFO replication every poll_interval until an online replica's acknowledged offset
  // reaches master_repl_offset. Not WAIT: WAIT counts replicas that acknowledged the offset of
  // the *calling connection's* last write. Our connection writes nothing, so WAIT 1 returns 1
  // at once even when the replica lags (measured on 7.0.15: replica SIGSTOPped at offset 0,
  // master at 50, "WAIT 1 500" from a fresh connection answered 1 immediately). And during
  // CLIENT PAUSE WRITE Redis delays the acknowledgements WAIT needs. master_repl_offset covers
  // every client's writes, so comparing it with the replicas' acknowledged offsets is the
  // right test; with writes paused the master offset no longer moves, so equality is final.
  void wait_replica_caught_up(Ms timeout, Ms poll_interval, Done done);
  // INFO replication, parsed.
  void replication_info(Ms timeout, std::function<void(RedisOpResult, ReplicationInfo)> done);
  // Whether the local Redis (a replica) completed a sync from host:port (and master_replid
  // when not empty). See judge_sync_completed for the definition.
  void check_sync_completed(std::string host, int port, std::string master_replid, Ms timeout,
                            std::function<void(RedisOpResult, SyncJudgement)> done);

 private:
  std::shared_ptr<RedisConnection> connection_;
};

}  // namespace redvip::agent
