#include "agent/redis/model/split_heal.hpp"

#include <string_view>

namespace redvip::agent {
namespace {

// What becomes of the yielding Redis's own writes, for a forced yield's reason line.
std::string_view our_writes_outcome(const SplitHealPlan& p) {
  if (p.save) return ", our writes since the fork are saved";
  if (p.discards) return ", our writes since the fork are DISCARDED (no diverged_writes_dir)";
  return ", we took no writes since the fork";
}

}  // namespace

std::string_view to_string(SplitHealAction a) {
  switch (a) {
    case SplitHealAction::nothing:
      return "nothing";
    case SplitHealAction::demote_other:
      return "demote the other";
    case SplitHealAction::yield_ours:
      return "yield ours";
  }
  return "?";
}

SplitHealPlan plan_split_heal(const DivergenceSide& ours, const DivergenceSide& theirs,
                              bool their_redis_master, bool save_configured,
                              bool merge_configured) {
  SplitHealPlan p;
  if (!their_redis_master) {
    p.reason = "the other redis is no master: nothing diverged to reconcile";
    return p;
  }
  p.verdict = decide_divergence(ours, theirs);
  const auto& v = p.verdict;
  p.action = v.keeper == Side::a ? SplitHealAction::demote_other : SplitHealAction::yield_ours;
  p.save = v.yielder_has_writes && save_configured;
  p.discards = v.yielder_has_writes && !save_configured;
  // A merge replays a stream since a known fork; a whole data set (no fork) is only saved.
  p.merge = p.save && merge_configured && !v.save_whole_data_set;
  const std::string who = v.keeper == Side::a ? "ours" : "theirs";
  p.reason = v.reason + "; " + who + " keeps" +
             (p.save ? (p.merge ? ", the yielder's writes are saved and merged"
                                : ", the yielder's writes are saved")
                     : (p.discards ? ", the yielder's writes are DISCARDED (no diverged_writes_dir)"
                                   : ""));
  return p;
}

SplitHealPlan plan_forced_yield(const DivergenceSide& ours, const DivergenceSide& theirs,
                                bool save_configured, bool merge_configured) {
  SplitHealPlan p;
  p.action = SplitHealAction::yield_ours;
  auto& v = p.verdict;
  v.fork = find_fork(ours.history, theirs.history);
  v.keeper = Side::b;
  v.yielder = Side::a;
  const bool known = v.fork.kind != ForkKind::unrelated && v.fork.kind != ForkKind::unknown;
  if (known) {
    v.yielder_has_writes =
        ours.commands_since_fork ? *ours.commands_since_fork > 0 : v.fork.a_bytes > 0;
    if (v.yielder_has_writes) {
      v.save_from = psync_since_fork(ours.history, v.fork);
      v.save_to = ours.history.offset;
      v.save_from_backlog = v.save_from && backlog_holds(ours.history, v.save_from->offset);
    }
  } else {
    v.yielder_has_writes = true;
    v.save_whole_data_set = true;
  }
  v.partial_resync = accepts_psync(theirs.history, ours.history.replid, ours.history.offset + 1);
  p.save = v.yielder_has_writes && save_configured;
  p.discards = v.yielder_has_writes && !save_configured;
  p.merge = p.save && merge_configured && !v.save_whole_data_set;
  v.reason = v.fork.explanation + "; the other keeps (it holds the VIP and did not act)";
  p.reason = v.reason + std::string(our_writes_outcome(p));
  return p;
}

std::optional<SplitHealPlan> plan_stale_master(const DivergenceSide& ours,
                                               const DivergenceSide& theirs, bool save_configured,
                                               bool merge_configured) {
  auto p = plan_forced_yield(ours, theirs, save_configured, merge_configured);
  const auto& fork = p.verdict.fork;
  if (fork.kind != ForkKind::prefix && fork.kind != ForkKind::diverged) return std::nullopt;
  p.verdict.reason = fork.explanation + "; the other took over while ours was out of reach";
  p.reason = p.verdict.reason + std::string(our_writes_outcome(p));
  return p;
}

SplitHealPlan replan_after_pause(const SplitHealPlan& plan, const ReplicationHistory& yielder_now,
                                 bool save_configured, bool merge_configured) {
  auto& v = plan.verdict;
  if (plan.action == SplitHealAction::nothing || v.yielder_has_writes) return plan;
  const auto from = psync_since_fork(yielder_now, v.fork);
  if (!from || yielder_now.offset <= v.fork.fork_offset) return plan;
  SplitHealPlan p = plan;
  p.verdict.yielder_has_writes = true;
  p.verdict.save_from = from;
  p.verdict.save_to = yielder_now.offset;
  p.verdict.save_from_backlog = backlog_holds(yielder_now, from->offset);
  p.save = save_configured;
  p.discards = !save_configured;
  p.merge = p.save && merge_configured;
  p.reason = plan.reason + "; the yielder took " +
             std::to_string(yielder_now.offset - v.fork.fork_offset) +
             " bytes since the fork after all (read again while paused)";
  return p;
}

}  // namespace redvip::agent
