#include "agent/redis/model/divergence.hpp"

#include <algorithm>

namespace redvip::agent {
namespace {

// INFO prints an all-zero master_replid2 when the server continued no other history.
bool is_null_id(std::string_view id) {
  return id.empty() || std::all_of(id.begin(), id.end(), [](char c) { return c == '0'; });
}

std::string short_id(std::string_view id) { return std::string(id.substr(0, 8)); }

std::string_view name(Side s) { return s == Side::a ? "a" : "b"; }

Side by_standing(const Standing& a, const Standing& b) {
  if (a.priority != b.priority) return a.priority > b.priority ? Side::a : Side::b;
  return b.address > a.address ? Side::b : Side::a;
}

}  // namespace

ReplicationHistory ReplicationHistory::from(const ReplicationInfo& info) {
  ReplicationHistory h;
  h.replid = info.master_replid;
  h.offset = info.master_repl_offset;
  if (!is_null_id(info.master_replid2) && info.second_repl_offset > 0) {
    h.replid2 = info.master_replid2;
    h.second_offset = info.second_repl_offset;
  }
  h.backlog_active = info.repl_backlog_active;
  h.backlog_first = info.repl_backlog_first_byte_offset;
  h.backlog_histlen = std::max(0LL, info.repl_backlog_histlen);
  h.backlog_size = info.repl_backlog_size;
  return h;
}

bool ReplicationHistory::known() const { return !is_null_id(replid) && offset >= 0; }

std::optional<long long> ReplicationHistory::holds_until(std::string_view id) const {
  if (is_null_id(id) || !known()) return std::nullopt;
  if (id == replid) return offset;
  if (id == replid2 && second_offset > 0) return std::min(second_offset - 1, offset);
  return std::nullopt;
}

bool backlog_holds(const ReplicationHistory& side, long long first_wanted) {
  return side.backlog_active && side.backlog_first > 0 && first_wanted >= side.backlog_first &&
         first_wanted <= side.backlog_first + side.backlog_histlen;
}

bool accepts_psync(const ReplicationHistory& server, std::string_view replid, long long offset) {
  if (is_null_id(replid) || !server.known()) return false;
  const bool id_ok =
      replid == server.replid ||
      (replid == server.replid2 && server.second_offset > 0 && offset <= server.second_offset);
  return id_ok && backlog_holds(server, offset);
}

ForkPoint find_fork(const ReplicationHistory& a, const ReplicationHistory& b) {
  ForkPoint f;
  if (!a.known() || !b.known()) {
    f.explanation = std::string("no replication id or offset for ") + (a.known() ? "b" : "a");
    return f;
  }
  // The shared history reaching furthest: an id both hold, up to the smaller of their limits.
  for (const std::string* id : {&a.replid, &a.replid2}) {
    auto in_a = a.holds_until(*id);
    auto in_b = b.holds_until(*id);
    if (!in_a || !in_b) continue;
    const long long common = std::min(*in_a, *in_b);
    if (common > f.fork_offset) {
      f.fork_offset = common;
      f.common_replid = *id;
    }
  }
  if (f.fork_offset < 0) {
    f.kind = ForkKind::unrelated;
    f.explanation = "unrelated histories (" + short_id(a.replid) + " and " + short_id(b.replid) +
                    "): no common offset";
    return f;
  }
  const std::string& id = f.common_replid;
  if (id == a.replid && id == b.replid) {
    f.lineage = Lineage::same_history;
  } else if (id == b.replid) {
    f.lineage = Lineage::a_from_b;
  } else if (id == a.replid) {
    f.lineage = Lineage::b_from_a;
  } else {
    f.lineage = Lineage::common_ancestor;
  }
  f.a_bytes = a.offset - f.fork_offset;
  f.b_bytes = b.offset - f.fork_offset;
  if (f.a_bytes == 0 && f.b_bytes == 0) {
    f.kind = ForkKind::identical;
  } else if (f.a_bytes == 0 || f.b_bytes == 0) {
    f.kind = ForkKind::prefix;
  } else {
    f.kind = ForkKind::diverged;
  }
  static constexpr std::string_view lineage_text[] = {"", "same history", "a continued b's history",
                                                      "b continued a's history",
                                                      "both continued a common history"};
  f.explanation = std::string(lineage_text[static_cast<int>(f.lineage)]) + " " + short_id(id) +
                  " up to offset " + std::to_string(f.fork_offset) + "; since then a " +
                  std::to_string(f.a_bytes) + " bytes, b " + std::to_string(f.b_bytes) + " bytes";
  return f;
}

std::optional<PsyncStart> psync_since_fork(const ReplicationHistory& side, const ForkPoint& fork) {
  if (fork.fork_offset < 0 || fork.common_replid.empty()) return std::nullopt;
  auto held = side.holds_until(fork.common_replid);
  if (!held || *held < fork.fork_offset) return std::nullopt;
  return PsyncStart{fork.common_replid, fork.fork_offset + 1};
}

std::optional<long long> db_context_start(const ReplicationHistory& side, long long first_wanted,
                                          long long max_bytes, long long margin) {
  if (!side.backlog_active || side.backlog_first <= 0 || max_bytes <= 0) return std::nullopt;
  const bool may_trim = side.backlog_size < 0 || side.backlog_histlen + margin >= side.backlog_size;
  const long long lowest = side.backlog_first + (may_trim ? std::max(0LL, margin) : 0);
  const long long start = std::max(lowest, first_wanted - max_bytes);
  if (start >= first_wanted) return std::nullopt;
  return start;
}

std::string_view to_string(Side s) { return name(s); }

std::string_view to_string(ForkKind k) {
  switch (k) {
    case ForkKind::identical:
      return "identical";
    case ForkKind::prefix:
      return "prefix";
    case ForkKind::diverged:
      return "diverged";
    case ForkKind::unrelated:
      return "unrelated";
    case ForkKind::unknown:
      break;
  }
  return "unknown";
}

DivergenceVerdict decide_divergence(const DivergenceSide& a, const DivergenceSide& b) {
  DivergenceVerdict v;
  v.fork = find_fork(a.history, b.history);
  const auto& f = v.fork;
  auto side = [&](Side s) -> const DivergenceSide& { return s == Side::a ? a : b; };
  auto set_keeper = [&](Side keeper) {
    v.keeper = keeper;
    v.yielder = other(keeper);
  };
  const Side ranked = by_standing(a.standing, b.standing);

  if (f.kind == ForkKind::unrelated || f.kind == ForkKind::unknown) {
    set_keeper(ranked);
    v.yielder_has_writes = true;
    v.save_whole_data_set = true;
    v.reason = f.explanation + "; " + std::string(name(ranked)) + " keeps by priority/address, " +
               std::string(name(v.yielder)) + "'s whole data set is to be saved";
  } else {
    const long long bytes[2] = {f.a_bytes, f.b_bytes};
    const std::optional<long long> counted[2] = {a.commands_since_fork, b.commands_since_fork};
    auto took = [&](int i) { return counted[i] ? *counted[i] > 0 : bytes[i] > 0; };
    auto amount = [&](int i) {
      const std::string unit = counted[i] ? " commands" : " bytes";
      return std::to_string(counted[i] ? *counted[i] : bytes[i]) + unit;
    };
    if (!took(0) && !took(1)) {
      set_keeper(ranked);
      v.reason = "neither took writes since the fork; " + std::string(name(ranked)) +
                 " keeps by priority/address";
    } else if (took(0) != took(1)) {
      set_keeper(took(0) ? Side::a : Side::b);
      v.by_data = true;
      v.reason = std::string(name(v.yielder)) + " took no writes since the fork, " +
                 std::string(name(v.keeper)) + " took " + amount(v.keeper == Side::a ? 0 : 1);
    } else {
      const bool by_commands = counted[0] && counted[1];
      const long long wa = by_commands ? *counted[0] : bytes[0];
      const long long wb = by_commands ? *counted[1] : bytes[1];
      if (wa == wb) {
        set_keeper(ranked);
        v.reason = "both took " + amount(0) + " since the fork; " + std::string(name(ranked)) +
                   " keeps by priority/address";
      } else {
        set_keeper(wa > wb ? Side::a : Side::b);
        v.by_data = true;
        v.reason = std::string(name(v.keeper)) + " took more writes since the fork (a " +
                   amount(0) + ", b " + amount(1) + ")";
      }
    }
    const int y = v.yielder == Side::a ? 0 : 1;
    v.yielder_has_writes = took(y);
    if (v.yielder_has_writes) {
      const auto& h = side(v.yielder).history;
      v.save_from = psync_since_fork(h, f);
      v.save_to = h.offset;
      v.save_from_backlog = v.save_from && backlog_holds(h, v.save_from->offset);
    }
    v.reason = f.explanation + "; " + v.reason;
  }
  const auto& yh = side(v.yielder).history;
  v.partial_resync = accepts_psync(side(v.keeper).history, yh.replid, yh.offset + 1);
  return v;
}

}  // namespace redvip::agent
