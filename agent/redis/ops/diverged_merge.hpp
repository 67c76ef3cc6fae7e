#pragma once
// The merge option: replay the yielding side's saved writes (a stream file from
// save_diverged_writes) onto the keeper, except those that conflict (merge_rules.hpp), which
// stay in a conflicts file next to the saved one (same format: `redis-cli --pipe` replays it).
//
// How it stays exact while the keeper keeps serving clients:
// - The keeper's own writes since the fork are read as a replica reads them (ReplicationLink,
//   PSYNC from the fork), and the link stays open, so its later writes are seen too. Keys come
//   from the keeper itself: COMMAND GETKEYS, and COMMAND INFO for commands without keys.
// - Saved units are replayed in batches: WATCH the batch's keys, read the keeper's
//   master_repl_offset, wait until the link has read and resolved the keeper's stream up to it,
//   judge each unit, then MULTI, PUBLISH <marker>, the replayed units, EXEC. A client write to a
//   watched key after the WATCH aborts the EXEC (the batch is judged again); one before it is in
//   the stream up to that offset. The marker tells our own transactions apart in the keeper's
//   stream, so replayed keys do not count as the keeper's changes.
// - A unit is replayed whole (MULTI/EXEC blocks stay atomic inside the batch's transaction).
//   A command the keeper refuses inside EXEC (an error reply: WRONGTYPE...) had no effect: it is
//   written to the conflicts file and counted as refused.
// Limits: keys are held in memory (max_keys); the keeper's stream is read no faster than its
// keys are resolved (max_pending), Redis buffering for us within its client-output-buffer-limit
// for replicas (beyond it Redis drops the link and the merge fails); the link is dropped after
// repl-timeout (60 s) too, since it never acknowledges (see ReplicationLink). On any failure
// what was replayed stays replayed, the saved file still holds every write, and the conflicts
// file what was judged so far.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/redis/client/connection.hpp"
#include "agent/redis/model/divergence.hpp"
#include "agent/redis/model/replication_stream.hpp"
#include "agent/redis/ops/operations.hpp"

namespace redvip::agent {

struct DivergedMergeRequest {
  std::string saved_path;                        // SavedWrites::path (a stream file)
  RedisConnectionOptions keeper;                 // the keeper's Redis, with its auth
  PsyncStart keeper_from;                        // psync_since_fork(keeper's history, fork)
  std::optional<long long> keeper_context_from;  // db_context_start(keeper's history, ...)
};

struct DivergedMergeOptions {
  std::string instance = "redis";
  StreamLimits limits;
  std::size_t batch_units = 64;
  std::size_t max_keys = 1'000'000;  // keeper's changed keys plus keys of kept units
  std::size_t max_pending = 10'000;  // keeper commands waiting for their keys: reading
                                     // the keeper's stream pauses there
  int max_retries = 5;               // aborted EXECs of one batch before its units are kept
  // The database of saved commands before the file's first SELECT, when the save could not learn
  // it (SavedWrites::db_at_fork empty). nullopt: such commands are kept, not replayed.
  std::optional<int> unknown_db_as;
  std::chrono::milliseconds timeout{300000};
  std::chrono::milliseconds command_timeout{5000};
};

struct DivergedMergeResult {
  std::error_code error;
  std::string message;
  long long replayed = 0;            // commands replayed onto the keeper
  long long kept = 0;                // commands in the conflicts file (refused ones included)
  long long refused = 0;             // commands the keeper answered with an error inside EXEC
  long long aborted_execs = 0;       // batches judged again: a client wrote a watched key
  long long keeper_commands = 0;     // the keeper's own write commands since the fork
  std::size_t keeper_keys = 0;       // keys they touched
  std::string conflicts_path;        // empty when nothing was kept
  std::vector<std::string> samples;  // up to 20 "db N key K: reason" lines for the report
  bool ok() const { return !error; }
};

class DivergedMerge;
std::shared_ptr<DivergedMerge> merge_diverged_writes(boost::asio::io_context& io,
                                                     DivergedMergeRequest request,
                                                     DivergedMergeOptions options,
                                                     std::function<void(DivergedMergeResult)> done);
void cancel(const std::shared_ptr<DivergedMerge>& merge);

}  // namespace redvip::agent
