#include "agent/redis/model/stream_db.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace redvip::agent {
namespace {

// Redis's own bound on `databases` is INT_MAX; anything past that is not a number it wrote.
std::optional<int> whole_number(std::string_view text) {
  int n = 0;
  const auto* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || p != end) return std::nullopt;
  return n;
}

// The value of `key=` among a CLIENT LIST line's space-separated fields (the first one).
std::optional<std::string_view> field(std::string_view line, std::string_view key) {
  while (!line.empty()) {
    const auto space = line.find(' ');
    const auto token = line.substr(0, space);
    if (token.size() > key.size() && token.substr(0, key.size()) == key && token[key.size()] == '=')
      return token.substr(key.size() + 1);
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return std::nullopt;
}

// The lowest PSYNC offset worth asking `side` for (db_context_start's margin: a full backlog is
// trimmed by whole blocks and may move between INFO and PSYNC).
long long lowest_readable(const ReplicationHistory& side, long long margin) {
  const bool may_trim = side.backlog_size < 0 || side.backlog_histlen + margin >= side.backlog_size;
  return side.backlog_first + (may_trim ? std::max(0LL, margin) : 0);
}

}  // namespace

std::optional<int> master_link_db(std::string_view client_list) {
  std::optional<int> db;
  int masters = 0;
  while (!client_list.empty()) {
    const auto eol = client_list.find('\n');
    auto line = client_list.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    client_list.remove_prefix(eol == std::string_view::npos ? client_list.size() : eol + 1);
    const auto flags = field(line, "flags");
    if (!flags || flags->find('M') == std::string_view::npos) continue;
    if (++masters > 1) return std::nullopt;
    const auto multi = field(line, "multi");
    const auto n = field(line, "db");
    db = n ? whole_number(*n) : std::nullopt;
    if (!multi || *multi != "-1" || (db && *db < 0)) db.reset();
  }
  return db;
}

std::optional<StreamDbMark> judge_stream_db_mark(const ReplicationInfo& replica,
                                                 std::string_view client_list) {
  if (replica.role != RedisRole::replica || !replica.master_link_up ||
      replica.slave_repl_offset <= 0 || replica.master_replid.empty())
    return std::nullopt;
  const auto db = master_link_db(client_list);
  if (!db) return std::nullopt;
  return StreamDbMark{replica.master_replid, replica.slave_repl_offset, *db};
}

bool StreamDbMarks::note(const StreamDbMark& mark) {
  std::optional<int> previous_db;
  std::size_t of_history = 0;
  for (const auto& m : marks_) {
    if (m.replid != mark.replid) continue;
    previous_db = m.db;
    ++of_history;
    if (m.offset == mark.offset && m.db == mark.db) return false;  // read twice
  }
  marks_.push_back(mark);
  if (++of_history > kPerHistory) {
    marks_.erase(std::find_if(marks_.begin(), marks_.end(),
                              [&](const StreamDbMark& m) { return m.replid == mark.replid; }));
  }
  if (marks_.size() > kTotal) marks_.erase(marks_.begin());
  return previous_db != mark.db;
}

std::optional<StreamDbMark> StreamDbMarks::latest() const {
  if (marks_.empty()) return std::nullopt;
  return marks_.back();
}

std::optional<DbContext> plan_db_context(const ReplicationHistory& side, std::string_view replid,
                                         long long first_wanted,
                                         const std::vector<StreamDbMark>& marks,
                                         long long max_mark_bytes, long long max_blind_bytes) {
  constexpr long long kMargin = 64 * 1024;
  std::optional<DbContext> best;
  for (const auto& mark : marks) {
    if (replid.empty() || mark.replid != replid || mark.db < 0 || mark.offset < 0 ||
        mark.offset >= first_wanted || first_wanted - (mark.offset + 1) > max_mark_bytes)
      continue;
    const long long from = mark.offset + 1;
    // At the fork itself nothing before it is read; earlier, the backlog must still hold it.
    if (from != first_wanted &&
        !(accepts_psync(side, replid, from) && from >= lowest_readable(side, kMargin)))
      continue;
    if (!best || from > best->from) best = DbContext{from, true, mark.db};
  }
  if (best) return best;
  const auto blind = db_context_start(side, first_wanted, max_blind_bytes, kMargin);
  if (!blind) return std::nullopt;
  return DbContext{*blind, false, std::nullopt};
}

}  // namespace redvip::agent
