// Planned switchover on the master — `redvipctl handover` and a planned stop (SIGTERM):
//   1. unpaused, the replicas approach our offset (within decisions.hpp's kCloseEnoughBytes), so
//      the pause below only covers the last stretch;
//   2. CLIENT PAUSE WRITE on our Redis: its offset stops moving;
//   3. wait until a replica's offset equals ours, asking the replicas themselves (the master
//      learns their offsets only from once-a-second ACKs): decisions.hpp's has_every_write;
//   4. release (priority-0 advert, VIP removed), naming that replica to the instance;
//   5. REPLICAOF NO ONE on that replica: its Redis is master and holds every write; its redvipd,
//      which heard the release and is watching its Redis (hand_off.cpp), takes over at once,
//      without the skew wait;
//   6. our Redis follows the successor, its clients are dropped (they reconnect through the VIP)
//      and the pause is lifted: a paused client's write is never acknowledged by us.
// The order is why no acknowledged write is lost: every write we acknowledged is on the successor
// before its Redis accepts one of its own. Release before promotion, because a backup whose
// Redis turns master while it still hears a VRRP master takes that for a stale history and
// re-points it (decisions.hpp: judge_check); after the release it knows better.
//
// Redis's own `FAILOVER TO host port TIMEOUT ms` does 2-4 inside Redis, but it ends the pause
// itself as soon as the roles swapped, while the VIP still points at us (clients then get
// -READONLY until the release), it needs the replica's address exactly as the master lists it,
// and it cannot be told apart from an abort without polling INFO either; the sequence above
// keeps the release inside the pause.
//
// `redvipctl handover` refuses (writes resumed, nothing else changed) when any of 1-3 fails; a
// stop goes on whatever happens (it must end): it releases without a successor and then waits,
// bounded by handover_timeout, for a new master to make our Redis its replica.
#include <fmt/format.h>

#include "agent/log/log.hpp"
#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {

namespace {
RedisRoleController::SwitchoverResult refused(std::string why) {
  RedisRoleController::SwitchoverResult r;
  r.message = std::move(why);
  return r;
}
}  // namespace

void RedisRoleController::handover(Release release, std::function<void()> done) {
  HandOff hand_off = [release = std::move(release)](const std::optional<vrrp::IpAddress>&,
                                                    std::function<void()> released) {
    release(std::move(released));
  };
  spawn(switchover_or_release(std::nullopt, Mode::stop, std::move(hand_off)), SwitchoverResult{},
        [done = std::move(done)](SwitchoverResult) { done(); });
}

void RedisRoleController::switchover(std::optional<std::string> to, HandOff release,
                                     std::function<void(SwitchoverResult)> done) {
  spawn(switchover_or_release(std::move(to), Mode::refuse_unless_handed, std::move(release)),
        refused("the switchover failed (see the log)"), std::move(done));
}

// Refused before anything changed (the pause, if any, already lifted): a switchover reports it;
// a stop releases all the same and waits for a new master to take our Redis.
Awaitable<RedisRoleController::SwitchoverResult> RedisRoleController::switchover_or_release(
    std::optional<std::string> to, Mode mode, HandOff release) {
  auto result = co_await planned_switchover(std::move(to), mode, release);
  if (result.released) co_return result;
  const bool stopping = mode == Mode::stop;
  log(Level::warning, settings_.name, "handover: {}{}", result.message,
      stopping ? ": releasing without a successor" : ": refused");
  if (stopping) {
    co_await guarded(stop_.get_token(), nullptr, await_callback<Finished>([&release](auto resume) {
                       release(std::nullopt, [resume] { resume(Finished{}); });
                     }));
    co_await become_replica_after_release(std::nullopt);
  }
  co_return result;
}

// g++ 12 at -O2 reports -Wmismatched-new-delete on this coroutine's frame: Asio's awaitable frame
// has its own operator new/delete pair (a recycling allocator) and the warning misreads their
// inlined bodies. A false positive (the frame is allocated and freed by that one pair).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
Awaitable<RedisRoleController::SwitchoverResult> RedisRoleController::planned_switchover(
    std::optional<std::string> to, Mode mode, const HandOff& release) {
  const bool stopping = mode == Mode::stop;
  SwitchoverResult result;
  const auto ours = co_await local_->replication_info(redis_.check_timeout);
  if (!ours.ok())
    co_return refused("cannot read our redis's replication state: " + ours.status.message);
  if (ours.info.role != RedisRole::master) co_return refused("our redis is not master");
  std::vector<ConnectedReplica> candidates;
  for (const auto& r : ours.info.replicas) {
    if (!to || r.ip == *to) candidates.push_back(r);
  }
  if (candidates.empty()) {
    co_return refused(to ? fmt::format("{} is not a replica of our redis", *to)
                         : std::string("no replica connected"));
  }
  std::vector<std::shared_ptr<RedisOperations>> replicas;
  for (const auto& r : candidates)
    replicas.push_back(peer(r.ip, static_cast<std::uint16_t>(r.port)));

  const auto started = Clock::now();
  co_await approach_ours(replicas);
  const auto paused = co_await local_->pause_writes(redis_.handover_timeout, redis_.check_timeout);
  const auto pause_started = Clock::now();
  if (!paused.ok()) co_return refused("CLIENT PAUSE failed: " + paused.message);
  // Paused: this offset is final until we unpause.
  const auto final_offset = co_await local_->replication_info(redis_.check_timeout);
  std::optional<std::size_t> chosen;
  if (final_offset.ok()) {
    const auto left =
        redis_.handover_timeout - std::chrono::duration_cast<Ms>(Clock::now() - started);
    chosen = co_await replica_with_every_write(replicas, final_offset.info.master_repl_offset,
                                               std::max(left, Ms{0}));
  }
  if (!final_offset.ok() || !chosen) {
    if (!stopping) co_await local_->unpause(kRoleChangeTimeout);
    co_return refused(
        !final_offset.ok()
            ? "cannot read our redis's offset: " + final_offset.status.message
            : fmt::format("no replica that may be promoted (replica-priority 0 never is) caught "
                          "up with offset {} within handover_timeout ({} ms)",
                          final_offset.info.master_repl_offset, redis_.handover_timeout.count()));
  }

  const auto& successor = replicas[*chosen];
  result.successor = vrrp::IpAddress::parse(candidates[*chosen].ip);
  log(Level::notice, settings_.name,
      "handover: {} holds every write (offset {}) after {} ms: releasing", successor->name(),
      final_offset.info.master_repl_offset,
      std::chrono::duration_cast<Ms>(Clock::now() - started).count());
  co_await guarded(stop_.get_token(), nullptr, await_callback<Finished>([&](auto resume) {
                     release(result.successor, [resume] { resume(Finished{}); });
                   }));
  result.released = true;
  // Our writes are still paused and the VIP is gone: nothing can write anywhere until the
  // successor's Redis is master, and it holds every write we acknowledged.
  const auto promoted = co_await successor->promote(kRoleChangeTimeout);
  result.writes_paused = std::chrono::duration_cast<Ms>(Clock::now() - pause_started);
  if (!promoted.ok()) {
    result.message = fmt::format(
        "released, but REPLICAOF NO ONE on {} failed ({}): the backups take over after "
        "their skew time, catching up with our paused redis",
        successor->name(), promoted.message);
    log(Level::error, settings_.name, "handover: {}", result.message);
    co_await become_replica_after_release(std::nullopt);
    co_return result;
  }
  log(Level::notice, settings_.name, "handover: {} is master (writes paused {} ms)",
      successor->name(), result.writes_paused.count());
  co_await become_replica_after_release(result.successor);
  result.ok = true;
  result.message = fmt::format("handed over to {} (writes paused {} ms)", successor->name(),
                               result.writes_paused.count());
  co_return result;
}
#pragma GCC diagnostic pop

// Step 1: for at most handover_timeout, until one replica is within kCloseEnoughBytes of our
// (still moving) offset. Not reaching it is no refusal: the paused wait decides.
Awaitable<void> RedisRoleController::approach_ours(
    const std::vector<std::shared_ptr<RedisOperations>>& replicas) {
  co_await poll_until(
      Clock::now() + redis_.handover_timeout, kApproachPoll, stop_.get_token(),
      [&]() -> Awaitable<std::optional<bool>> {
        const auto ours = co_await local_->replication_info(redis_.check_timeout);
        if (!ours.ok()) co_return true;
        const long long near_offset = ours.info.master_repl_offset - kCloseEnoughBytes;
        const auto near_enough = [near_offset](const InfoResult& a) {
          return a.ok() && has_every_write(a.info, near_offset);
        };
        std::vector<Awaitable<InfoResult>> questions;
        for (const auto& r : replicas)
          questions.push_back(r->replication_info(redis_.check_timeout));
        const auto answers = co_await gather(std::move(questions), near_enough, stop_.get_token());
        for (const auto& a : answers) {
          if (a && near_enough(*a)) co_return true;
        }
        co_return std::nullopt;
      });
}

// Step 3: the index of a replica that holds every write up to our paused `target`, asking all
// replicas each round (a hung one does not hold up the others' answers); nullopt after `within`.
Awaitable<std::optional<std::size_t>> RedisRoleController::replica_with_every_write(
    const std::vector<std::shared_ptr<RedisOperations>>& replicas, long long target, Ms within) {
  const auto holds_all = [target](const InfoResult& a) {
    return a.ok() && has_every_write(a.info, target);
  };
  co_return co_await poll_until(Clock::now() + within, kCatchUpPoll, stop_.get_token(),
                                [&]() -> Awaitable<std::optional<std::size_t>> {
                                  std::vector<Awaitable<InfoResult>> questions;
                                  for (const auto& r : replicas)
                                    questions.push_back(r->replication_info(redis_.check_timeout));
                                  const auto answers = co_await gather(
                                      std::move(questions), holds_all, stop_.get_token());
                                  for (std::size_t i = 0; i < answers.size(); ++i) {
                                    if (answers[i] && holds_all(*answers[i])) co_return i;
                                  }
                                  co_return std::nullopt;
                                });
}

// Step 6. With a successor we point our Redis at it ourselves; without one (a stop that found
// nobody caught up) we wait, bounded, for the new master to make our Redis its replica. Either
// way the clients are dropped before the pause is lifted.
Awaitable<void> RedisRoleController::become_replica_after_release(
    std::optional<vrrp::IpAddress> successor) {
  if (successor) {
    const auto r =
        co_await local_->follow(successor->to_string(), redis_.peer_port, kRoleChangeTimeout);
    if (r.ok()) {
      following_ = *successor;
      log(Level::notice, settings_.name, "handover: redis now replicates from {}:{}",
          successor->to_string(), redis_.peer_port);
    } else {
      log(Level::error, settings_.name, "handover: REPLICAOF {} {} failed: {}",
          successor->to_string(), redis_.peer_port, r.message);
    }
  } else {
    const auto replica =
        co_await poll_until(Clock::now() + redis_.handover_timeout, kReplicaWaitPoll,
                            stop_.get_token(), [&]() -> Awaitable<std::optional<ReplicationInfo>> {
                              auto now = co_await local_->replication_info(redis_.check_timeout);
                              if (now.ok() && now.info.role == RedisRole::replica)
                                co_return now.info;
                              co_return std::nullopt;
                            });
    if (replica) {
      log(Level::notice, settings_.name, "handover: redis now replicates from {}:{}",
          replica->master_host, replica->master_port);
    } else {
      log(Level::warning, settings_.name,
          "handover: no new master took over our redis within handover_timeout");
    }
  }
  co_await local_->kill_clients(vip_endpoints(redis_.port), kRoleChangeTimeout);
  co_await local_->unpause(kRoleChangeTimeout);
}

}  // namespace redvip::agent
