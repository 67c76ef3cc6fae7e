#pragma once
// Which database a master's replication stream has selected at an offset (pure: fuzzed and
// table-tested). Redis writes SELECT into its stream only when the database changes, and after
// a full sync or a promotion; so the writes a master took since a fork may run in a database
// the stream never names again, and the last SELECT before the fork may lie far back, beyond
// the backlog. Saving and merging those writes needs that database.
//
// A replica knows it: its master link, the client that applies the stream, has it selected
// (CLIENT LIST TYPE master: db=N) once it applied slave_repl_offset bytes. redvipd notes this
// every second as a StreamDbMark: from its own Redis while that follows a master, and from its
// replicas' Redis while it serves. The save then reads the stream from the mark: the database
// at the fork is the last SELECT between the mark and the fork, else the mark's.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/redis/model/divergence.hpp"
#include "agent/redis/model/replication_info.hpp"

namespace redvip::agent {

struct StreamDbMark {
  std::string replid;     // the master's history (the replica's master_replid)
  long long offset = -1;  // the replica had applied this many bytes of it (slave_repl_offset)
  int db = -1;            // and its master link had this database selected
  friend bool operator==(const StreamDbMark&, const StreamDbMark&) = default;
};

// The database of the master link in CLIENT LIST TYPE master's reply: nullopt unless exactly
// one line has flags with M, a db=N in range, and multi=-1 (inside a transaction a queued
// SELECT is applied only at EXEC).
std::optional<int> master_link_db(std::string_view client_list);

// The marks kept: the last few of each history (replicas read a moment apart may lie on either
// side of a fork, so the furthest one is not always usable), for the last few histories (once a
// node promoted, the fork's history is an old one while the new one is noted). Bounded.
class StreamDbMarks {
 public:
  static constexpr std::size_t kPerHistory = 4;
  static constexpr std::size_t kTotal = 16;
  // Keeps `mark`; true when its database differs from the last one noted of its history.
  bool note(const StreamDbMark& mark);
  const std::vector<StreamDbMark>& all() const { return marks_; }  // oldest first
  std::optional<StreamDbMark> latest() const;

 private:
  std::vector<StreamDbMark> marks_;
};

// A mark from a replica's INFO replication (read first) and CLIENT LIST TYPE master (read
// after: a SELECT applied between the two lies after the offset, where the save reads it).
// nullopt unless it replicates with the link up, with an id and an offset.
std::optional<StreamDbMark> judge_stream_db_mark(const ReplicationInfo& replica,
                                                 std::string_view client_list);

// Where the save reads `side`'s stream from to learn the database at `first_wanted` (a PSYNC
// offset of history `replid`).
struct DbContext {
  long long from = -1;    // PSYNC offset to start reading at (<= first_wanted)
  bool aligned = false;   // from a mark: `from` starts a command, and `db` holds there
  std::optional<int> db;  // aligned: the database at `from`
  friend bool operator==(const DbContext&, const DbContext&) = default;
};

// From the furthest of `marks` that is of `replid`, before `first_wanted`, at most
// `max_mark_bytes` before it, and still in `side`'s backlog (accepts_psync, with
// db_context_start's margin for a full backlog); else unaligned, at most `max_blind_bytes`
// before (db_context_start). nullopt: nothing earlier can be read.
std::optional<DbContext> plan_db_context(const ReplicationHistory& side, std::string_view replid,
                                         long long first_wanted,
                                         const std::vector<StreamDbMark>& marks,
                                         long long max_mark_bytes, long long max_blind_bytes);

}  // namespace redvip::agent
