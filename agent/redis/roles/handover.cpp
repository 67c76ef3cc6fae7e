// Planned handover on the master (a stop today; `redvipctl handover` later):
//   1. CLIENT PAUSE WRITE on our Redis: its offset stops moving;
//   2. wait until a replica's offset equals ours, asking the replicas themselves
//      (decisions.hpp: has_every_write);
//   3. release: the instance sends priority 0 and removes the VIP; the new master catches up,
//      promotes itself and makes our Redis its replica;
//   4. wait until our Redis is a replica;
//   5. kill our clients (they reconnect through the VIP) and lift the pause.
// Every wait is bounded by handover_timeout and the handover goes on whatever happened (logged):
// a stop must end.
#include "agent/log/log.hpp"
#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {

void RedisRoleController::handover(Release release, std::function<void()> done) {
  spawn(planned_handover(std::move(release)), Finished{}, [done = std::move(done)](Finished) { done(); });
}

Awaitable<RedisRoleController::Finished> RedisRoleController::planned_handover(Release release) {
  const auto started = Clock::now();
  const auto paused = co_await local_->pause_writes(redis_.handover_timeout, redis_.check_timeout);
  if (!paused.ok()) log(Level::warning, settings_.name, "handover: CLIENT PAUSE failed: {}", paused.message);
  const auto ours = co_await local_->replication_info(redis_.check_timeout);
  if (!ours.ok() || ours.info.replicas.empty()) {
    log(Level::warning, settings_.name, "handover: no replica to hand over to ({})",
        ours.ok() ? "none connected" : ours.status.message);
  } else if (const auto replica = co_await replica_with_every_write(ours.info)) {
    const auto waited = std::chrono::duration_cast<Ms>(Clock::now() - started);
    log(Level::notice, settings_.name, "handover: {} has every write ({} ms)", *replica, waited.count());
  } else {
    log(Level::warning, settings_.name, "handover: no replica caught up within handover_timeout: master offset {}",
        ours.info.master_repl_offset);
  }

  co_await guarded(stop_.get_token(), nullptr, await_callback<Finished>([&release](auto resume) {
                     release([resume] { resume(Finished{}); });
                   }));

  const auto replica = co_await poll_until(
      Clock::now() + redis_.handover_timeout, kReplicaWaitPoll, stop_.get_token(),
      [&]() -> Awaitable<std::optional<ReplicationInfo>> {
        auto now = co_await local_->replication_info(redis_.check_timeout);
        if (now.ok() && now.info.role == RedisRole::replica) co_return now.info;
        co_return std::nullopt;
      });
  if (replica) {
    log(Level::notice, settings_.name, "handover: redis now replicates from {}:{}", replica->master_host,
        replica->master_port);
  } else {
    log(Level::warning, settings_.name, "handover: no new master took over our redis within handover_timeout");
  }
  co_await local_->kill_clients(kRoleChangeTimeout);
  co_await local_->unpause(kRoleChangeTimeout);
  co_return Finished{};
}

// The name of a replica that holds every write up to our paused offset, asking all replicas
// each round (a hung one does not hold up the others' answers); nullopt after handover_timeout.
// The master learns replica offsets only from their once-a-second acknowledgements; asking
// the replicas themselves answers within milliseconds.
Awaitable<std::optional<std::string>> RedisRoleController::replica_with_every_write(ReplicationInfo ours) {
  const long long target = ours.master_repl_offset;
  std::vector<std::shared_ptr<RedisOperations>> replicas;
  for (const auto& r : ours.replicas) replicas.push_back(peer(r.ip, static_cast<std::uint16_t>(r.port)));
  const auto holds_all = [target](const InfoResult& a) { return a.ok() && has_every_write(a.info, target); };
  co_return co_await poll_until(
      Clock::now() + redis_.handover_timeout, kCatchUpPoll, stop_.get_token(),
      [&]() -> Awaitable<std::optional<std::string>> {
        std::vector<Awaitable<InfoResult>> questions;
        for (const auto& r : replicas) questions.push_back(r->replication_info(redis_.check_timeout));
        const auto answers = co_await gather(std::move(questions), holds_all, stop_.get_token());
        for (std::size_t i = 0; i < answers.size(); ++i) {
          if (answers[i] && holds_all(*answers[i])) {
            co_return "replica " + replicas[i]->name() + " (offset " + std::to_string(answers[i]->info.slave_repl_offset) + ")";
          }
        }
        co_return std::nullopt;
      });
}

}  // namespace redvip::agent
