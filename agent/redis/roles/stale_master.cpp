// A stale master follows (issue 10: nothing silently discarded). Our Redis is still a master
// when it is told to follow another master's Redis that continued its history: it hung (or was
// cut off) while that node took over. A hung Redis that resumes executes what its clients had
// sent meanwhile, and a client that waited gets the reply once the VIP is back here; a plain
// REPLICAOF then discards those acknowledged writes with the full resync. So before it follows,
// its writes since the fork are saved (and merged onto the new master) exactly as a split
// brain's yielder's are (split_heal.cpp: yield_redis; model/split_heal.hpp: plan_stale_master).
// A Redis whose history shares no fork with the master's (fresh, or restarted empty) follows
// as before: its data set is what the sync replaces.
#include <fmt/format.h>

// g++ 12 inlines Asio's coroutine frame allocation into these sequences and then reports its
// own recycling operator delete as mismatched (a false positive of -Wmismatched-new-delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "agent/log/log.hpp"
#include "agent/redis/model/split_heal.hpp"
#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {

// Fails closed: while either history cannot be read, ours may be a master with writes to save
// (a Redis that just resumed answers late), so no plain REPLICAOF; but a master with an empty
// history (fresh, restarted empty) has nothing to lose, and follows a master that does not
// answer us (protected mode: the link's failure then shows its answer).
Awaitable<bool> RedisRoleController::yielded_stale_master(vrrp::IpAddress master) {
  const auto ours = co_await local_->replication_info(redis_.check_timeout);
  if (!ours.ok()) co_return true;
  if (ours.info.role != RedisRole::master) co_return false;
  const auto host = master.to_string();
  auto theirs_ops = peer(host, redis_.peer_port);
  const auto theirs = co_await theirs_ops->replication_info(redis_.check_timeout);
  if (!theirs.ok()) co_return ours.info.master_repl_offset > 0;
  if (theirs.info.role != RedisRole::master) co_return false;
  if (follow_unwanted(master)) co_return true;
  const DivergenceSide ours_side{ReplicationHistory::from(ours.info), {}, std::nullopt};
  const DivergenceSide theirs_side{ReplicationHistory::from(theirs.info), {}, std::nullopt};
  const auto plan = plan_stale_master(ours_side, theirs_side, !redis_.diverged_writes_dir.empty(),
                                      redis_.diverged_writes_merge);
  if (!plan) co_return false;
  log_stale_master(host, *plan);
  co_await yield_redis(theirs_ops, master, *plan, false);
  co_return true;
}

void RedisRoleController::log_stale_master(const std::string& host, const SplitHealPlan& plan) {
  log(plan.discards ? Level::error : Level::notice, settings_.name,
      "our redis is a master beside {}'s, which continued its history: {}", host, plan.reason);
}

}  // namespace redvip::agent
