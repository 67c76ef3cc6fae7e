#pragma once
// Saving the writes a Redis took since the fork, before it is made a replica and would discard
// them (issue "Nothing silently discarded"). It reads them as a replica would:
// PSYNC <replid> <fork + 1> from the server's own backlog (see ReplicationLink), up to the end
// offset the caller read while the server's writes were paused, into a file in a private
// directory that `redis-cli --pipe` replays. When the backlog no longer reaches the fork, Redis
// answers with a full resync: then the RDB payload (the whole data set) is saved instead.
//
// The stream file holds exactly the client writes since the fork, as RESP, in order:
// - first `SELECT <db>` for the database selected at the fork, when it can be known (Redis
//   sends SELECT only when the database changes, so the stream from the fork on may never name
//   it; the bytes before the fork are read to learn it, from a StreamDbMark when one is
//   known, see model/stream_db.hpp);
// - then every command of the stream, byte for byte, except the master's keep-alives (PING,
//   REPLCONF GETACK), which are no client's write; SELECT, MULTI/EXEC framing is kept.
// Replay: `redis-cli --pipe < FILE` (with -a/--user as needed): every command's reply is
// counted, errors reported by redis-cli.
//
// File names: <dir>/<instance>-<UTC yyyymmddThhmmssZ>-<replid 12>-<first>-<last>.resp for a
// stream (offsets of its first and last byte), ...-<replid 12>-full-<offset>.rdb for an RDB.
// Directory 0700 (created when missing), files 0600: the data may be sensitive.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "agent/redis/client/connection.hpp"
#include "agent/redis/model/divergence.hpp"
#include "agent/redis/model/replication_stream.hpp"
#include "agent/redis/model/stream_db.hpp"
#include "agent/redis/ops/operations.hpp"

namespace redvip::agent {

struct DivergedWritesOptions {
  std::string directory;                      // where saved files go
  std::string instance = "redis";             // in file names and log lines
  std::uint64_t max_file_bytes = 1ULL << 30;  // a save that would exceed it fails
  StreamLimits limits;                        // one command, one line
  long long db_context_bytes = 1 << 20;       // read at most this much before the fork
  std::chrono::milliseconds timeout{60000};   // the whole save; a full resync waits
                                              // repl-diskless-sync-delay (5 s by default) first
};

struct DivergedWritesRequest {
  RedisConnectionOptions server;  // the yielding side's Redis, with its auth
  PsyncStart from;                // DivergenceVerdict::save_from
  long long to = -1;              // its master_repl_offset, read with its writes paused
  // plan_db_context(): where to start reading to learn the database selected at `from`;
  // nullopt: don't.
  std::optional<DbContext> context;
};

enum class SavedKind { none, stream, rdb };
std::string_view to_string(SavedKind k);

struct SavedWrites {
  std::error_code error;
  std::string message;               // what happened (for logs), or why it failed
  SavedKind kind = SavedKind::none;  // none: nothing to save (no client write in the range)
  std::string path;                  // the file, when kind != none
  long long commands = 0;       // data commands saved (keep-alives, SELECT, MULTI/EXEC not counted)
  long long keepalives = 0;     // PING / REPLCONF skipped
  std::uint64_t bytes = 0;      // file size
  std::string replid;           // +CONTINUE / +FULLRESYNC id
  long long first_offset = -1;  // stream: offsets covered; rdb: the RDB's offset in both
  long long last_offset = -1;
  std::optional<int> db_at_fork;  // the database selected at the fork, when known
  bool ok() const { return !error; }
};

// Reads and saves; done() once, on the io_context. The returned handle cancels (done() then
// reports cancelled); dropping it does not.
class DivergedWritesSave;
std::shared_ptr<DivergedWritesSave> save_diverged_writes(boost::asio::io_context& io,
                                                         DivergedWritesRequest request,
                                                         DivergedWritesOptions options,
                                                         std::function<void(SavedWrites)> done);
void cancel(const std::shared_ptr<DivergedWritesSave>& save);

// Counts the data commands in a server's stream over [from.offset, to] without saving them
// (the verdict's commands_since_fork). Fails with unexpected_reply when the backlog no longer
// holds `from` (the server offered a full resync).
struct StreamWrites {
  std::error_code error;
  std::string message;
  long long commands = 0;
  long long keepalives = 0;
  long long bytes = 0;
  bool ok() const { return !error; }
};
void count_stream_writes(boost::asio::io_context& io, RedisConnectionOptions server,
                         PsyncStart from, long long to, std::chrono::milliseconds timeout,
                         StreamLimits limits, std::function<void(StreamWrites)> done);

}  // namespace redvip::agent
