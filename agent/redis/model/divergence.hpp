#pragma once
// Two Redis servers that were one history before a network split: where their histories fork,
// how much each wrote since, and which side keeps its writes (data decides, not priority).
// Pure: the facts come from INFO replication; the verdict is table-tested.
//
// Redis's PSYNC2 bookkeeping, which everything here reads (replication.c, Redis 7.0):
// - Offsets count bytes of the replication stream; master_repl_offset is the offset of the last
//   byte a server holds (written as master, or applied as replica). A replica's offset always
//   sits on a command boundary, outside MULTI/EXEC.
// - Promotion (REPLICAOF NO ONE) and a master's restart from an RDB with replication info call
//   shiftReplicationId(): master_replid2 = the old id, second_repl_offset = offset + 1, and a new
//   master_replid. The server then holds the old history for offsets <= second_repl_offset - 1.
// - PSYNC <id> <o> asks for the stream from byte o on (o = last byte held + 1). A server accepts
//   it when id is its master_replid, or id is its master_replid2 and o <= second_repl_offset,
//   and its backlog holds o: first_byte_offset <= o <= first_byte_offset + histlen.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/redis/model/replication_info.hpp"

namespace redvip::agent {

// One side's replication history, from INFO replication.
struct ReplicationHistory {
  std::string replid;            // master_replid
  long long offset = -1;         // master_repl_offset: the last byte this side holds
  std::string replid2;           // master_replid2; empty (or all zeros in INFO) when none
  long long second_offset = -1;  // second_repl_offset: replid2 holds bytes up to second_offset - 1
  bool backlog_active = false;
  long long backlog_first = -1;   // repl_backlog_first_byte_offset
  long long backlog_histlen = 0;  // repl_backlog_histlen
  long long backlog_size = -1;    // repl_backlog_size

  static ReplicationHistory from(const ReplicationInfo& info);
  // Has an id and an offset: the least find_fork() needs.
  bool known() const;
  // The last offset this side holds bytes of history `id` for, or nullopt when it has none.
  std::optional<long long> holds_until(std::string_view id) const;
};

// Whether `server` would answer PSYNC <replid> <offset> with +CONTINUE (the test of Redis's
// masterTryPartialResynchronization), given what its INFO said.
bool accepts_psync(const ReplicationHistory& server, std::string_view replid, long long offset);

enum class ForkKind {
  identical,  // same history, same offset: nothing to reconcile
  prefix,     // one side holds all the other holds and more: the other took nothing since
  diverged,   // both took bytes since a common offset
  unrelated,  // no history in common (a restart without replication info, a backlog TTL
              // that changed the id, servers that never replicated): no fork point exists
  unknown,    // a side's facts are incomplete (no id or no offset)
};

enum class Lineage {
  none,             // unrelated or unknown
  same_history,     // both carry the same current id (a replica of the other, or identical)
  a_from_b,         // a continued b's history: a's replid2 is b's replid (a was promoted)
  b_from_a,         // b continued a's history
  common_ancestor,  // both continued a third history (same replid2: both promoted from it)
};

struct ForkPoint {
  ForkKind kind = ForkKind::unknown;
  Lineage lineage = Lineage::none;
  std::string common_replid;   // the id of the history both hold
  long long fork_offset = -1;  // the last offset both hold identically
  long long a_bytes = 0;       // bytes of stream a holds past fork_offset
  long long b_bytes = 0;
  std::string explanation;  // for logs
};

ForkPoint find_fork(const ReplicationHistory& a, const ReplicationHistory& b);

// PSYNC arguments that read a side's stream from a given first byte.
struct PsyncStart {
  std::string replid;
  long long offset = -1;  // the first byte wanted
};

// PSYNC arguments that read exactly `side`'s bytes after the fork (offset fork_offset + 1), in
// the history `side` accepts them for; nullopt when the fork is unrelated/unknown.
std::optional<PsyncStart> psync_since_fork(const ReplicationHistory& side, const ForkPoint& fork);

// The side's backlog still holds byte `first_wanted` (so PSYNC from it continues rather than
// falling back to a full resync with an RDB).
bool backlog_holds(const ReplicationHistory& side, long long first_wanted);

// Where to start reading `side`'s stream so that the bytes before `first_wanted` tell which
// database was selected there (SELECT is sent only when the database changes, so the stream
// from the fork on may start in a database it never names). At most `max_bytes` earlier. When
// the backlog is within `margin` of its configured size, `margin` bytes inside its start: it is
// trimmed by whole blocks (16 KiB in Redis 7.0) and may move between INFO and PSYNC, and a PSYNC
// below its start would get a full resync. nullopt when nothing earlier is held.
std::optional<long long> db_context_start(const ReplicationHistory& side, long long first_wanted,
                                          long long max_bytes, long long margin = 64 * 1024);

// Who outranks whom when the data is equal: VRRP's order, higher priority, then the higher
// primary address (raw network-order bytes; IPv4 in the first 4 bytes, the rest zero).
struct Standing {
  int priority = 0;
  std::array<std::uint8_t, 16> address{};
};

enum class Side { a, b };
inline Side other(Side s) { return s == Side::a ? Side::b : Side::a; }
std::string_view to_string(Side s);
std::string_view to_string(ForkKind k);

struct DivergenceSide {
  ReplicationHistory history;
  Standing standing;
  // Data commands this side's stream holds past the fork (keep-alives, SELECT, MULTI/EXEC not
  // counted), when the caller read the stream (count_stream_writes). Without it, bytes decide;
  // bytes overcount: a master with replicas attached adds a 14-byte PING every
  // repl-ping-replica-period (10 s) with no client writing.
  std::optional<long long> commands_since_fork;
};

struct DivergenceVerdict {
  ForkPoint fork;
  Side keeper = Side::a;   // keeps its data set and its writes
  Side yielder = Side::b;  // becomes the keeper's replica
  bool by_data = false;    // the data decided (false: the standing decided between equals)
  // The yielder holds writes the keeper lacks: save them before it becomes a replica.
  bool yielder_has_writes = false;
  // No fork point is known (unrelated or unknown histories): what the yielder holds cannot be
  // split into "since the fork" and "shared", so its whole data set is to be saved (an RDB).
  bool save_whole_data_set = false;
  // When yielder_has_writes and a fork is known: PSYNC arguments for exactly the yielder's
  // writes since the fork, the last offset to read (its master_repl_offset as given; the caller
  // re-reads it while the yielder's writes are paused), and whether its backlog still reaches
  // the fork (otherwise the saver gets an RDB).
  std::optional<PsyncStart> save_from;
  long long save_to = -1;
  bool save_from_backlog = false;
  // Redis will take the yielder back with a partial resync (its replid and offset + 1 are
  // accepted by the keeper as INFO showed it): the yielder's history is a prefix of the keeper's.
  bool partial_resync = false;
  std::string reason;  // one line for logs
};

// The verdict: a side that took no writes since the fork yields; when both took writes, the side
// with fewer yields (commands when both were counted, bytes otherwise); the standing decides only
// between equals, and when no fork point is known.
DivergenceVerdict decide_divergence(const DivergenceSide& a, const DivergenceSide& b);

}  // namespace redvip::agent
