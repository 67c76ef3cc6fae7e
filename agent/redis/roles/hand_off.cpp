// The direct hand-off: a live master that releases (priority 0) makes one replica's Redis master
// (a switchover: right after its release; a dead Redis: the replica holding the most data), so
// that node's redvipd takes over at once instead of after the skew time (RFC 5798's wait exists
// only to let the best backup win; the releasing master knows it).
//   - The successor (RoleHooks::master_released): right after the master it followed released,
//     look (every kHandOffPoll, for kHandOffWait) whether our Redis became master; if it did and
//     we may be promoted, the instance takes over now (vrrp HandedOver) and promote() finds our
//     Redis already master. Only when our Redis was that master's replica up to the release
//     (decisions.hpp: released_to_us): a Redis that was master anyway was handed nothing.
//   - A master whose Redis died (its connection closed: the health checker says so at once) or
//     hung (its checks got no answer, `fall` times, and a diverged_writes_dir is set): the
//     instance released; we promote the replica holding the most data (asked directly), so that
//     node takes over at once instead of after its skew time and a catch-up probe of a Redis
//     that does not answer (decisions.hpp: hand_off_at_once). A hung Redis that resumes
//     executes what its clients had sent: those writes it saves before it follows
//     (stale_master.cpp). Not when our Redis answered with errors, nor for any other release.
//   - A split brain's loser by priority, waiting for the keeper's verdict with its Redis a master:
//     the keeper's release means our data keeps, so we take over at once too.
// A planned switchover promotes its successor itself (switchover.cpp).
#include "agent/log/log.hpp"
#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {

void RedisRoleController::master_released(const vrrp::IpAddress& old_master,
                                          std::function<void()> handed_to_us) {
  // It is no master any more: our Redis being master from now on is no stale history.
  if (master_heard_ == old_master) master_heard_.reset();
  if (split_hold_ == old_master) {
    spawn(kept_by_split_heal(old_master), false,
          [handed_to_us = std::move(handed_to_us)](bool ours) {
            if (ours) handed_to_us();
          });
    return;
  }
  std::optional<RoleSightings> seen;
  if (last_followed_) {
    seen = RoleSightings{last_followed_->first, last_followed_->second, std::nullopt};
    if (master_since_)
      seen->master_for = std::chrono::duration_cast<Ms>(Clock::now() - *master_since_);
  }
  if (!released_to_us(old_master.to_string(), redis_.peer_port, seen)) {
    log(Level::info, settings_.name,
        "{} released, but our redis was not its replica: no direct hand-off (the skew timer "
        "decides)",
        old_master.to_string());
    return;
  }
  spawn(made_master_by_release(), false, [handed_to_us = std::move(handed_to_us)](bool ours) {
    if (ours) handed_to_us();
  });
}

// We yielded to it in a split brain and our Redis waits, a master, for its verdict: its release
// says its own Redis yields to ours (split_heal.cpp: yield_ours), or that it stops (then its
// writes since the fork are not saved: as when we take over after the skew time, which this
// only shortens, the VIP nowhere meanwhile).
// Not while our Redis is being yielded to it (our own forced yield after kSplitHold): it is
// about to be a replica.
Awaitable<bool> RedisRoleController::kept_by_split_heal(vrrp::IpAddress keeper) {
  if (yielding_redis_) co_return false;
  const auto ours = co_await local_->replication_info(redis_.check_timeout);
  if (yielding_redis_ || split_hold_ != keeper) co_return false;
  if (!ours.ok() || ours.info.role != RedisRole::master || !gate_.open) co_return false;
  latest_ = ours.info;
  log(Level::notice, settings_.name,
      "split brain: the other node released: our redis keeps its data, taking over now");
  co_return true;
}

Awaitable<bool> RedisRoleController::made_master_by_release() {
  const auto promotions = promotions_;
  const auto master = co_await poll_until(
      Clock::now() + kHandOffWait, kHandOffPoll, stop_.get_token(),
      [&]() -> Awaitable<std::optional<ReplicationInfo>> {
        // We took over by the skew timer meanwhile: what we see now is our own promotion.
        if (promotions_ != promotions) co_return ReplicationInfo{};
        const auto ours = co_await local_->replication_info(redis_.check_timeout);
        if (ours.ok() && ours.info.role == RedisRole::master) co_return ours.info;
        co_return std::nullopt;
      });
  if (!master || promotions_ != promotions || !gate_.open) co_return false;
  // What promote() decides from: our Redis is master now, no REPLICAOF of ours is pending.
  latest_ = *master;
  following_.reset();
  log(Level::notice, settings_.name,
      "redis was made master by the releasing master: taking over now");
  co_return true;
}

void RedisRoleController::local_redis_lost_as_master() {
  if (!latest_ || latest_->role != RedisRole::master || latest_->replicas.empty()) return;
  spawn(promote_best_replica(latest_->replicas));
}

Awaitable<void> RedisRoleController::promote_best_replica(std::vector<ConnectedReplica> listed) {
  std::vector<std::shared_ptr<RedisOperations>> replicas;
  std::vector<Awaitable<InfoResult>> questions;
  for (const auto& r : listed) {
    replicas.push_back(peer(r.ip, static_cast<std::uint16_t>(r.port)));
    questions.push_back(replicas.back()->replication_info(redis_.check_timeout));
  }
  const auto answers = co_await gather(
      std::move(questions), [](const InfoResult&) { return false; }, stop_.get_token());
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const auto& a = answers[i];
    // replica-priority 0: the operator's word that it is never promoted (decisions.hpp).
    if (!a || !a->ok() || a->info.role != RedisRole::replica || a->info.replica_priority == 0)
      continue;
    if (!best || a->info.slave_repl_offset > answers[*best]->info.slave_repl_offset) best = i;
  }
  if (!best) {
    log(Level::warning, settings_.name,
        "our redis does not answer: no replica answers either; the backups take over after their "
        "skew time");
    co_return;
  }
  const auto promoted = co_await replicas[*best]->promote(kRoleChangeTimeout);
  if (!promoted.ok()) {
    log(Level::warning, settings_.name, "our redis does not answer: promoting {} failed: {}",
        replicas[*best]->name(), promoted.message);
    co_return;
  }
  log(Level::notice, settings_.name,
      "our redis does not answer: promoted {} (offset {}), the replica holding the most data",
      replicas[*best]->name(), answers[*best]->info.slave_repl_offset);
}

}  // namespace redvip::agent
