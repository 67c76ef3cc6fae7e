#pragma once
// A split brain heals: two Redis servers were both masters. VRRP already chose who keeps the
// VIP (priority); here the data chooses whose Redis keeps its data set (decide_divergence: a
// side that took no writes since the fork yields, else the one with fewer; priority only
// between equals), and what the node VRRP kept does about it. Pure, table-tested.
//
// One node acts: the one VRRP kept as master (its advert made the other yield). The other waits
// with its Redis untouched until the acting node has decided and acted (roles/split_heal.cpp).
#include <optional>
#include <string>

#include "agent/redis/model/divergence.hpp"

namespace redvip::agent {

enum class SplitHealAction {
  nothing,       // the other Redis is no master (it follows someone already): nothing diverges
  demote_other,  // ours keeps: save the other's writes since the fork, make it our replica
  yield_ours,    // the other's keeps although VRRP kept us: leave Master, save our writes since
                 // the fork, make ours its replica, be eligible again once synced
};
std::string_view to_string(SplitHealAction a);

struct SplitHealPlan {
  SplitHealAction action = SplitHealAction::nothing;
  DivergenceVerdict verdict;  // meaningful unless action == nothing
  // The yielding Redis took writes the keeper lacks: save them before it becomes a replica.
  // With no directory configured they cannot be saved: `discards` says so (logged as an error).
  bool save = false;
  bool discards = false;
  // Replay the saved writes onto the keeper (only a stream since a known fork can be merged).
  bool merge = false;
  std::string reason;  // one line for the log
};

// `ours` is side a of the verdict, `theirs` side b. `their_redis_master`: the other Redis still
// answers as a master. `save_configured`: a diverged_writes_dir is set; `merge_configured`:
// diverged_writes_merge on.
SplitHealPlan plan_split_heal(const DivergenceSide& ours, const DivergenceSide& theirs,
                              bool their_redis_master, bool save_configured, bool merge_configured);

// The node that yielded to VRRP waited and the other did nothing (its daemon is gone): our Redis
// yields to the other's whatever the data says (that side holds the VIP), and our writes since
// the fork (all of them when no fork is known) are the ones to save. `ours` is side a.
SplitHealPlan plan_forced_yield(const DivergenceSide& ours, const DivergenceSide& theirs,
                                bool save_configured, bool merge_configured);

// Our Redis is a master and about to follow another master's Redis that continued its history
// (or whose history ours continued): it hung, or was cut off, while that one took over, and took
// writes meanwhile that the other lacks (a hung Redis resumes and executes what its clients had
// sent; a client that waited then gets the reply once the VIP is back). Before it follows they
// are saved as a forced yield's would be (plan_forced_yield); nullopt when the two histories
// share no known fork (a fresh or restarted Redis, whose data set a follow replaces as always)
// or are the same history at the same offset. `ours` is side a. Pure.
std::optional<SplitHealPlan> plan_stale_master(const DivergenceSide& ours,
                                               const DivergenceSide& theirs, bool save_configured,
                                               bool merge_configured);

// The yielder read again once its writes are paused (final now): the plan was made from an
// earlier read, and clients may have written to it in between — at a heal the keeper's own
// announcement can bring them to the side that then yields. Writes past the fork that the plan
// did not see are saved (and merged) as the settings say; a plan that saw them already, or
// any whose fork is unknown, stands. Pure.
SplitHealPlan replan_after_pause(const SplitHealPlan& plan, const ReplicationHistory& yielder_now,
                                 bool save_configured, bool merge_configured);

}  // namespace redvip::agent
