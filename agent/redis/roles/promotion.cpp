// Becoming master (RoleHooks::promote), in the design's order:
//   1. only a Redis that may be promoted (decisions.hpp: plan_promotion and the gate);
//   2. when the old master is still alive (it released with priority 0, or we preempt it):
//      approach its offset unpaused, CLIENT PAUSE WRITE on it, wait until our offset equals
//      its offset. The pause covers only the last stretch: an approach that does not get close
//      within handover_timeout refuses without pausing, and a catch-up that needs longer than
//      decisions.hpp's catch_up_pause_limit lifts the pause and refuses (the instance retries);
//      the old master keeps serving meanwhile, so a return never costs the clients a long pause;
//      A master that went silent (master-down expired) while our Redis still follows its Redis
//      may be only a dead daemon beside a Redis that still takes writes: its Redis gets
//      kSilentMasterProbe to accept the pause, then we catch up as above, but promote even when
//      that times out (nobody else will); no answer: it is gone, promote at once;
//   3. REPLICAOF NO ONE, confirmed by ROLE; only then does done(true) let the instance add the
//      VIP and announce;
//   4. afterwards, without holding the VIP back: the old master becomes our replica, its
//      clients are killed and its writes unpaused.
#include <fmt/format.h>

#include "agent/log/log.hpp"
#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {
namespace {

// The old master still answers as a master: writes may still reach it, and through it us.
bool still_master(const InfoResult& theirs) {
  return theirs.ok() && theirs.info.role == RedisRole::master;
}

}  // namespace

void RedisRoleController::promote(const std::optional<vrrp::IpAddress>& announced, bool released,
                                  std::function<void(bool ok, const std::string& why)> done) {
  if (split_hold_) {
    // The other yielded by data (split_heal.cpp): our Redis keeps its data and is master
    // already; the master we heard is the one that yielded.
    split_hold_.reset();
    master_heard_.reset();
  }
  ++promotions_;
  // A non-peer master is never asked, paused or caught up with: promote as if it were gone.
  std::optional<vrrp::IpAddress> live_master = announced;
  if (live_master && !configured_peer(*live_master, "catching up with")) live_master.reset();
  // Nobody announced: the master we follow went silent (following_ is only ever a peer).
  const std::optional<vrrp::IpAddress> silent_master = live_master ? std::nullopt : following_;
  const bool follow_pending = following_.has_value() || follow_in_flight_;
  switch (plan_promotion(gate_, latest_, follow_pending, live_master.has_value())) {
    case PromotionPlan::refuse:
      done(false, "redis may not be promoted: " + gate_.why);
      return;
    case PromotionPlan::already_master:
      begin_serving();
      done(true, "redis already master");
      return;
    case PromotionPlan::promote:
    case PromotionPlan::catch_up_first:
      break;
  }
  // A master we preempt still advertises: its Redis serves, whatever we can or cannot reach.
  const OldMaster how = !live_master ? OldMaster::silent
                        : released   ? OldMaster::released
                                     : OldMaster::preempted;
  taking_over_from_ = live_master ? live_master : silent_master;
  taken_over_from_heard_ = false;
  spawn(promotion(live_master ? live_master : silent_master, how),
        Verdict{false, "redis promotion failed"}, [this, done = std::move(done)](Verdict v) {
          settle_overtaken_follow(v.ok);
          done(v.ok, v.why);
        });
}

// `old_master`: the live master (released or preempted) or the silent one we followed; nullopt:
// nothing to catch up with.
Awaitable<RedisRoleController::Verdict> RedisRoleController::promotion(
    std::optional<vrrp::IpAddress> old_master, OldMaster how) {
  promoting_ = true;
  const auto promoting = clear_on_exit(promoting_);
  // The old master, paused and caught up with, while it still has to be dealt with.
  std::shared_ptr<RedisOperations> old;
  if (old_master) {
    const auto host = old_master->to_string();
    old = peer(host, redis_.peer_port);
    const auto caught = co_await catch_up_with(old, host, how);
    // Checked with no wait between here and REPLICAOF NO ONE.
    const bool heard_again = taken_over_from_heard_;
    taking_over_from_.reset();
    switch (after_catch_up(caught.outcome, how, heard_again)) {
      case AfterCatchUp::refuse:
        if (caught.outcome == CatchUp::unreachable && how == OldMaster::preempted) {
          co_return Verdict{false,
                            fmt::format("preempting {}, which still serves, but its redis does "
                                        "not answer ({}): not promoting without its writes",
                                        host, caught.detail)};
        }
        co_return Verdict{false, caught.detail};
      case AfterCatchUp::refuse_and_unpause:
        spawn(unpause_abandoned(old));
        if (how == OldMaster::silent && heard_again) {
          co_return Verdict{false, fmt::format("{} advertises again (it was only cut off from "
                                               "us): not promoting over it; its writes unpaused",
                                               host)};
        }
        co_return Verdict{false, caught.detail};
      case AfterCatchUp::promote_without_it:
        if (caught.outcome == CatchUp::unreachable) {
          log(Level::warning, settings_.name,
              "old master's redis at {}: promoting without catch-up", caught.detail);
        }
        old.reset();
        break;
      case AfterCatchUp::promote_then_demote_it:
        if (caught.outcome == CatchUp::timed_out) {
          log(Level::warning, settings_.name,
              "silent master: {}; promoting all the same (writes it acknowledged in that gap "
              "are lost)",
              caught.detail);
        }
        break;
    }
  }
  const auto promoted = co_await local_->promote(kRoleChangeTimeout);
  if (!promoted.ok()) {
    if (old) spawn(unpause_abandoned(old));
    co_return Verdict{false, "REPLICAOF NO ONE failed: " + promoted.message};
  }
  following_.reset();
  master_heard_.reset();
  begin_serving();
  log(Level::notice, settings_.name, "redis promoted to master");
  if (old) spawn(make_replica_of_us(old));
  co_return Verdict{true, "redis promoted"};
}

// A live master is approached unpaused first (it keeps serving until we are close); a silent one
// gets kSilentMasterProbe to accept the pause, since a crashed host never answers.
Awaitable<RedisRoleController::CatchUpResult> RedisRoleController::catch_up_with(
    std::shared_ptr<RedisOperations> old, std::string old_host, OldMaster how) {
  if (how == OldMaster::silent) {
    auto caught = co_await pause_and_catch_up(old, old_host, kSilentMasterProbe);
    co_return caught;
  }
  auto caught = co_await catch_up(old, old_host);
  co_return caught;
}

// Unpaused, our replica first gets close to the old master's offset on its own
// (decisions.hpp: close_enough_to_pause), for at most handover_timeout. An old master that does
// not answer as a master ends the approach at once (true): the pause finds out what became of
// it. False: not close within handover_timeout, and nothing was paused.
Awaitable<bool> RedisRoleController::approach(std::shared_ptr<RedisOperations> old,
                                              std::string old_host) {
  long long first_offset = -1;
  const auto close = co_await poll_until(
      Clock::now() + redis_.handover_timeout, kApproachPoll, stop_.get_token(),
      [&]() -> Awaitable<std::optional<bool>> {
        const auto theirs = co_await old->replication_info(redis_.check_timeout);
        if (!still_master(theirs)) co_return true;
        const auto ours = co_await local_->replication_info(redis_.check_timeout);
        if (!ours.ok()) co_return std::nullopt;
        if (first_offset < 0 && streaming_from(ours.info, old_host))
          first_offset = ours.info.slave_repl_offset;
        if (close_enough_to_pause(ours.info, old_host, theirs.info.master_repl_offset,
                                  first_offset))
          co_return true;
        co_return std::nullopt;
      });
  co_return close.has_value();
}

// Approach (not close: refuse, nothing paused), pause the old master's writes, then wait until
// our offset equals its offset (decisions.hpp: caught_up) for at most catch_up_pause_limit.
// Redis lifts the pause itself after handover_timeout should we vanish. The old master stays
// paused unless it is gone.
Awaitable<RedisRoleController::CatchUpResult> RedisRoleController::catch_up(
    std::shared_ptr<RedisOperations> old, std::string old_host) {
  if (!co_await approach(old, old_host)) {
    co_return CatchUpResult{
        CatchUp::not_close,
        fmt::format("not close to {}'s offset within handover_timeout: not pausing its writes",
                    old_host)};
  }
  // Two statements: with `co_return co_await` here, g++ 12 code traps (SIGILL) on resume.
  auto caught = co_await pause_and_catch_up(old, old_host, redis_.check_timeout);
  co_return caught;
}

// Pause the old master's writes (it has answer_within to accept), then wait until our offset
// equals its offset (decisions.hpp: caught_up) for at most catch_up_pause_limit.
Awaitable<RedisRoleController::CatchUpResult> RedisRoleController::pause_and_catch_up(
    std::shared_ptr<RedisOperations> old, std::string old_host, Ms answer_within) {
  const auto paused = co_await old->pause_writes(redis_.handover_timeout, answer_within);
  if (!paused.ok()) {
    co_return CatchUpResult{CatchUp::unreachable,
                            fmt::format("{} unreachable: {}", old->name(), paused.message)};
  }
  long long target = -1;
  long long ours_at = -1;
  const auto paused_at = Clock::now();
  const auto outcome = co_await poll_until(
      paused_at + catch_up_pause_limit(redis_.handover_timeout), kCatchUpPoll, stop_.get_token(),
      [&]() -> Awaitable<std::optional<CatchUp>> {
        const auto theirs = co_await old->replication_info(redis_.check_timeout);
        if (!still_master(theirs)) co_return CatchUp::old_master_gone;
        target = theirs.info.master_repl_offset;
        const auto ours = co_await local_->replication_info(redis_.check_timeout);
        ours_at = ours.info.slave_repl_offset;
        if (ours.ok() && caught_up(ours.info, old_host, target)) co_return CatchUp::caught_up;
        co_return std::nullopt;
      });
  if (!outcome) {
    co_return CatchUpResult{
        CatchUp::timed_out,
        fmt::format("did not catch up with {} (offset {} of {}) within {} ms of pausing its writes",
                    old_host, ours_at, target,
                    catch_up_pause_limit(redis_.handover_timeout).count())};
  }
  if (*outcome == CatchUp::caught_up) {
    log(Level::info, settings_.name, "caught up with {} at offset {} after {} ms paused: promoting",
        old_host, target, std::chrono::duration_cast<Ms>(Clock::now() - paused_at).count());
  }
  co_return CatchUpResult{*outcome, ""};
}

// The old master keeps its writes paused; turning it into our replica means no client can
// write there again, whatever its own daemon is doing. Once it is our replica, lift the pause:
// a paused Redis does not apply its master's stream either (7.0), so until handover_timeout ran
// out it would hold none of our new writes. Still a master: leave it paused.
Awaitable<void> RedisRoleController::make_replica_of_us(std::shared_ptr<RedisOperations> old) {
  const auto* self = instance_.source_address();
  if (self == nullptr) co_return;
  const auto demoted =
      co_await old->follow(self->to_string(), redis_.peer_port, kRoleChangeTimeout);
  if (!demoted.ok()) {
    log(Level::warning, settings_.name, "could not demote the old master {}: {}", old->name(),
        demoted.message);
  }
  co_await old->kill_clients(vip_endpoints(redis_.peer_port), kRoleChangeTimeout);
  if (demoted.ok()) co_await old->unpause(kRoleChangeTimeout);
}

// We paused the old master but do not take over: let its clients write again.
Awaitable<void> RedisRoleController::unpause_abandoned(std::shared_ptr<RedisOperations> old) {
  co_await old->unpause(redis_.check_timeout);
}

}  // namespace redvip::agent
