#pragma once
// Which of the yielding side's saved writes may be replayed onto the keeper (the merge option
// of issue "Nothing silently discarded"). Pure: the keys come from Redis itself (COMMAND GETKEYS,
// COMMAND INFO), the rules are table-tested.
//
// A unit is one command, or one MULTI/EXEC block (replayed whole or not at all). A unit is
// replayed only when every command in it
// - has keys Redis could name (COMMAND GETKEYS), in a known database,
// - touches no key the keeper changed since the fork (keys of a keeper write in an unknown
//   database count in every database),
// - touches no key an earlier unit that was not replayed touched (so a later write never lands
//   without the writes it followed),
// and neither side made a keyless write to the keyspace (FLUSHALL, FLUSHDB, SWAPDB, FUNCTION
// LOAD...: Redis's "write" flag on a command without keys) or a write whose keys Redis could not
// name: after one of those, nothing more is replayed. Keyless commands that write nothing
// (PUBLISH) are not replayed either: re-sent messages would arrive late and twice.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "agent/redis/model/reply.hpp"

namespace redvip::agent {

// What COMMAND INFO <name> says about one command, as far as the merge needs it.
struct CommandTraits {
  bool container = false;  // has subcommands: look up "name|subcommand" instead
  bool keyless = false;    // first_key 0 and no key specs
  bool write = false;      // the "write" flag
};
// Parses the reply to COMMAND INFO with one name. nullopt: not COMMAND INFO's shape, or the
// command is unknown to the server (a nil entry); `unknown` tells which.
std::optional<CommandTraits> parse_command_info(const RedisReply& reply, bool* unknown = nullptr);

enum class KeysKind { keys, keyless, keyless_write, unknown };
struct CommandKeys {
  KeysKind kind = KeysKind::unknown;
  std::vector<std::string> keys;
  std::string why;  // unknown: what Redis answered
};
// Parses the reply to COMMAND GETKEYS (an array of key names).
std::optional<std::vector<std::string>> parse_getkeys(const RedisReply& reply);

struct UnitCommand {
  int db = -1;  // -1: unknown database
  CommandKeys keys;
};

class MergeLedger {
 public:
  explicit MergeLedger(std::size_t max_keys = 1'000'000) : max_keys_(max_keys) {}

  // What units that were not replayed touched. A batch collects its own and commits them when
  // the batch is final (a batch retried after an aborted EXEC is judged again from scratch).
  struct Skipped {
    std::unordered_set<std::string> keys;    // "db\0key"
    std::unordered_set<std::string> any_db;  // keys of commands in an unknown database
    std::string stop_reason;                 // set once nothing more may be replayed
  };

  // A write of the keeper since the fork. False when more than max_keys keys would be held.
  bool add_keeper_write(int db, const CommandKeys& keys);

  struct Judgement {
    bool replay = false;
    std::string reason;  // why not
    std::string key;     // the key that conflicted, if one did
  };
  Judgement judge(const std::vector<UnitCommand>& unit, const Skipped* batch = nullptr) const;
  // The unit was not replayed: what it touched is off limits for later units. Into `batch` when
  // given, else into the ledger. False when more than max_keys keys would be held.
  bool add_skipped(const std::vector<UnitCommand>& unit, Skipped* batch = nullptr);
  bool commit(Skipped&& batch);

  bool stopped() const { return !skipped_.stop_reason.empty() || !keeper_stop_.empty(); }
  std::size_t keeper_keys() const { return keeper_.size() + keeper_any_db_.size(); }
  std::size_t keys_held() const {
    return keeper_keys() + skipped_.keys.size() + skipped_.any_db.size();
  }

 private:
  static std::string slot(int db, std::string_view key);

  std::size_t max_keys_;
  std::unordered_set<std::string> keeper_;         // "db\0key"
  std::unordered_set<std::string> keeper_any_db_;  // keys of keeper writes in an unknown database
  std::string keeper_stop_;
  Skipped skipped_;
};

}  // namespace redvip::agent
