// Split brain (issue 10): another master was heard while we were master, so both Redis servers
// were masters and may both have taken writes. VRRP already chose who keeps the VIP (priority);
// here the data chooses whose Redis keeps its data set (model/split_heal.hpp), and the writes of
// the Redis that yields are saved before it becomes a replica and Redis discards them.
//
// One node acts: the one VRRP kept as master (RoleHooks::split_brain, we_yield false). The node
// that yielded only waits (split_hold), its Redis untouched (still master, no VIP), until
//   - the acting node made it its replica (it kept): the hold ends; or
//   - the acting node yielded by data (it blocked itself and released): VRRP makes us master
//     again and promote() finds our Redis master and ends the hold; or
//   - nothing happened within kSplitHold (the acting node's daemon is gone): we yield our
//     Redis to it ourselves, saving our writes since the fork first.
// While a split is being reconciled our Redis follows nobody on its own (follow() and the
// check's "another master took over" rule are held back): a REPLICAOF before the save would
// discard exactly the writes the save is for.
#include <algorithm>
#include <fmt/format.h>

// g++ 12 inlines Asio's coroutine frame allocation into these sequences and then reports its
// own recycling operator delete as mismatched (a false positive of -Wmismatched-new-delete).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "agent/log/log.hpp"
#include "agent/redis/model/split_heal.hpp"
#include "agent/redis/ops/diverged_merge.hpp"
#include "agent/redis/ops/diverged_writes.hpp"
#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {
namespace asio = boost::asio;

namespace {

// The save and the merge as awaitables (they report through a callback, once, on the
// io_context).
Awaitable<SavedWrites> save_async(asio::io_context& io, DivergedWritesRequest request,
                                  DivergedWritesOptions options) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(SavedWrites)>(
      [&io, request = std::move(request), options = std::move(options)](auto handler) mutable {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        save_diverged_writes(io, std::move(request), std::move(options),
                             [h](SavedWrites s) { (*h)(std::move(s)); });
      },
      asio::use_awaitable);
}

Awaitable<DivergedMergeResult> merge_async(asio::io_context& io, DivergedMergeRequest request,
                                           DivergedMergeOptions options) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(DivergedMergeResult)>(
      [&io, request = std::move(request), options = std::move(options)](auto handler) mutable {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        merge_diverged_writes(io, std::move(request), std::move(options),
                              [h](DivergedMergeResult r) { (*h)(std::move(r)); });
      },
      asio::use_awaitable);
}

Standing standing_of(int priority, const vrrp::IpAddress& address) {
  Standing s;
  s.priority = priority;
  s.address = address.bytes;
  return s;
}

}  // namespace

void RedisRoleController::split_brain(const vrrp::IpAddress& other, std::uint8_t other_priority,
                                      bool we_yield) {
  // A master that is no configured peer (a forged advert) may cost the VIP, never a connection
  // to its Redis: yielding to it is a plain demotion (which counts it and keeps our data).
  const auto& peers = redis_.peers;
  if (std::find(peers.begin(), peers.end(), other) == peers.end()) {
    if (we_yield) {
      demoted(other);
    } else {
      configured_peer(other, "reconciling a split brain with");
    }
    return;
  }
  if (we_yield) {
    // The VIP is gone already (the instance removed it). Our Redis stays as it is until the
    // node that kept the VIP has compared the data.
    end_serving();
    heard(other, our_advert_interval());
    following_.reset();
    split_hold_ = other;
    spawn(split_hold(other));
    return;
  }
  if (split_heal_in_flight_) return;
  split_heal_in_flight_ = true;
  spawn(split_heal(other, other_priority));
}

// No CLIENT KILL here: it would also cut the other daemon's connection that is about to pause,
// save and demote our Redis (clients through the VIP lost it already; one writing to us directly
// writes what the save then holds).
Awaitable<void> RedisRoleController::split_hold(vrrp::IpAddress keeper) {
  const auto host = keeper.to_string();
  log(Level::notice, settings_.name,
      "split brain: our redis keeps its data until {} has compared both histories", host);
  const auto made_replica = co_await poll_until(
      Clock::now() + kSplitHold, kSplitHoldPoll, stop_.get_token(),
      [&]() -> Awaitable<std::optional<bool>> {
        if (split_hold_ != keeper) co_return false;  // promoted meanwhile, or another split
        const auto ours = co_await local_->replication_info(redis_.check_timeout);
        if (ours.ok() && ours.info.role == RedisRole::replica) co_return true;
        co_return std::nullopt;
      });
  if (split_hold_ != keeper) co_return;
  if (made_replica && *made_replica) {
    split_hold_.reset();
    following_ = keeper;
    set_gate(PromotionGate{false, "", "split brain: syncing from " + host}, true);
    log(Level::notice, settings_.name, "split brain: {} kept its data; our redis is its replica",
        host);
    co_return;
  }
  // The hold stays on until yield_redis has saved our writes and made our Redis a replica: a
  // REPLICAOF from follow() in between would discard them before the save could read them.
  log(Level::warning, settings_.name,
      "split brain: {} did not reconcile within {} s; yielding our redis to it ourselves", host,
      std::chrono::duration_cast<std::chrono::seconds>(kSplitHold).count());
  auto theirs_ops = peer(host, redis_.peer_port);
  const auto ours = co_await local_->replication_info(redis_.check_timeout);
  const auto theirs = co_await theirs_ops->replication_info(redis_.check_timeout);
  if (split_hold_ != keeper) co_return;  // promoted meanwhile, or another split
  if (!ours.ok() || !theirs.ok()) {
    log(Level::error, settings_.name,
        "split brain: cannot read both histories ({}; {}); our redis keeps its writes, trying "
        "again in {} s",
        ours.status.message, theirs.status.message,
        std::chrono::duration_cast<std::chrono::seconds>(kSplitHold).count());
    spawn(split_hold(keeper));
    co_return;
  }
  // We yield whatever the data says: the VIP is there and nothing on that side acts.
  DivergenceSide ours_side{ReplicationHistory::from(ours.info), {}, std::nullopt};
  DivergenceSide theirs_side{ReplicationHistory::from(theirs.info), {}, std::nullopt};
  const auto plan = plan_forced_yield(ours_side, theirs_side, !redis_.diverged_writes_dir.empty(),
                                      redis_.diverged_writes_merge);
  log(plan.discards ? Level::error : Level::notice, settings_.name, "split brain with {}: {}", host,
      plan.reason);
  co_await yield_redis(theirs_ops, keeper, plan, false);
}

// On the node VRRP kept as master: compare, then act on the plan.
Awaitable<void> RedisRoleController::split_heal(vrrp::IpAddress other,
                                                std::uint8_t other_priority) {
  const auto host = other.to_string();
  auto theirs_ops = peer(host, redis_.peer_port);
  const auto ours = co_await local_->replication_info(redis_.check_timeout);
  const auto theirs = co_await theirs_ops->replication_info(redis_.check_timeout);
  if (!ours.ok() || !theirs.ok()) {
    log(Level::error, settings_.name, "split brain with {}: cannot read both histories ({}; {})",
        host, ours.ok() ? "ours ok" : ours.status.message,
        theirs.ok() ? "theirs ok" : theirs.status.message);
    split_heal_in_flight_ = false;
    co_return;
  }
  const auto* self = instance_.source_address();
  DivergenceSide a{ReplicationHistory::from(ours.info),
                   standing_of(settings_.priority, self ? *self : vrrp::IpAddress{}), std::nullopt};
  DivergenceSide b{ReplicationHistory::from(theirs.info), standing_of(other_priority, other),
                   std::nullopt};
  auto plan = plan_split_heal(a, b, theirs.info.role == RedisRole::master,
                              !redis_.diverged_writes_dir.empty(), redis_.diverged_writes_merge);
  log(plan.discards ? Level::error : Level::notice, settings_.name, "split brain with {}: {}: {}",
      host, to_string(plan.action), plan.reason);
  switch (plan.action) {
    case SplitHealAction::nothing:
      break;
    case SplitHealAction::demote_other: {
      const auto saved = co_await save_diverged(theirs_ops, host, redis_.peer_port, plan);
      if (!saved) break;  // logged; its Redis keeps its writes, its daemon's hold ends it
      co_await make_replica_of_us(theirs_ops);
      log(Level::notice, settings_.name, "split brain with {}: its redis is our replica", host);
      co_await merge_saved(*saved, local_, redis_.address.to_string(), redis_.port, plan);
      break;
    }
    case SplitHealAction::yield_ours:
      co_await yield_redis(theirs_ops, other, plan, true);
      break;
  }
  split_heal_in_flight_ = false;
}

// Our Redis yields to `keeper`'s: (as VRRP master: leave Master first, blocked until this is
// done) save our writes since the fork, REPLICAOF the keeper, drop our clients, merge the saved
// writes onto the keeper (blocked until then too). The gate then keeps us out of the election
// until our Redis completed its sync from the keeper. Also a stale master's yield
// (stale_master.cpp).
Awaitable<void> RedisRoleController::yield_redis(std::shared_ptr<RedisOperations> keeper_ops,
                                                 vrrp::IpAddress keeper, SplitHealPlan plan,
                                                 bool leave_master) {
  const auto host = keeper.to_string();
  split_hold_ = keeper;
  const auto yielding = clear_on_exit(yielding_redis_);
  yielding_redis_ = true;
  if (leave_master) {
    instance_.set_blocked("split brain", true, "the redis at " + host + " keeps the data");
  }
  const auto saved = co_await save_diverged(local_, redis_.address.to_string(), redis_.port, plan);
  if (!saved) {
    // Our writes could not be saved: our Redis keeps them (a master without the VIP) and we stay
    // out of the election. Nothing is discarded; an operator decides (the log says what failed).
    instance_.set_blocked("split brain", true,
                          "our redis keeps its writes since the fork: saving them failed");
    log(Level::error, settings_.name,
        "split brain: our redis keeps its writes since the fork and stays out of the election");
    co_return;
  }
  // A merge to come keeps us out of the election until it is done: synced again, we could
  // preempt the keeper first, and a merge onto a replica fails (the writes stay in the file).
  const bool merging = plan.merge && saved->kind == SavedKind::stream;
  if (merging) {
    instance_.set_blocked("split brain", true,
                          "our writes since the fork are merged onto the redis at " + host);
  }
  const auto r = co_await local_->follow(host, redis_.peer_port, kRoleChangeTimeout);
  if (!r.ok()) {
    // Saved, still a master: the next follow of the keeper (its adverts) yields it again, with
    // a new save; until then a node that left master stays blocked.
    log(Level::error, settings_.name, "split brain: REPLICAOF {} {} failed: {}; tried again", host,
        redis_.peer_port, r.message);
    if (split_hold_ == keeper) split_hold_.reset();
    if (!leave_master) instance_.set_blocked("split brain", false);
    co_return;
  }
  following_ = keeper;
  set_gate(PromotionGate{false, "", "split brain: syncing from " + host}, true);
  co_await local_->kill_clients(vip_endpoints(redis_.port), kRoleChangeTimeout);
  co_await local_->unpause(kRoleChangeTimeout);
  if (split_hold_ == keeper) split_hold_.reset();
  log(Level::notice, settings_.name, "split brain: our redis yielded, it replicates from {}:{}",
      host, redis_.peer_port);
  co_await merge_saved(*saved, keeper_ops, host, redis_.peer_port, plan);
  // Also a block left by an earlier attempt whose REPLICAOF failed.
  instance_.set_blocked("split brain", false);
}

// Saves the yielder's writes since the fork, paused first so the range is final (it has no VIP
// and its clients were dropped; the pause holds anything still connected to it directly). An
// empty SavedWrites: nothing to save, or nowhere to (the plan's `discards`, logged by the
// caller). nullopt: the save failed, and the yielder must not be made a replica.
// A plan that saw no writes on the yielder is read again while paused (replan_after_pause):
// `plan` is updated for merge_saved. A yielder that took no writes then stays paused until the
// caller makes it a replica and lifts the pause.
Awaitable<std::optional<SavedWrites>> RedisRoleController::save_diverged(
    std::shared_ptr<RedisOperations> yielder, std::string yielder_host, std::uint16_t yielder_port,
    SplitHealPlan& plan) {
  if (plan.action == SplitHealAction::nothing || plan.discards) co_return SavedWrites{};
  // Nothing seen to save: the pause and re-read only make sure. With nowhere to save to they
  // could only say "discarded", and when they fail the yielder is made a replica as planned.
  const bool only_recheck = !plan.save;
  if (only_recheck && redis_.diverged_writes_dir.empty()) co_return SavedWrites{};
  const auto paused = co_await yielder->pause_writes(kSaveTimeout, redis_.check_timeout);
  if (!paused.ok()) {
    if (only_recheck) co_return SavedWrites{};
    log(Level::error, settings_.name, "split brain: cannot pause {} to save its writes: {}",
        yielder->name(), paused.message);
    co_return std::nullopt;
  }
  const auto now = co_await yielder->replication_info(redis_.check_timeout);
  if (!now.ok()) {
    if (only_recheck) co_return SavedWrites{};  // paused until the caller makes it a replica
    log(Level::error, settings_.name, "split brain: cannot read {}'s offset: {}", yielder->name(),
        now.status.message);
    co_await yielder->unpause(redis_.check_timeout);
    co_return std::nullopt;
  }
  const auto h = ReplicationHistory::from(now.info);
  if (!plan.save) {
    plan = replan_after_pause(plan, h, !redis_.diverged_writes_dir.empty(),
                              redis_.diverged_writes_merge);
    if (plan.save || plan.discards) log_replanned(yielder->name(), plan);
    if (!plan.save) co_return SavedWrites{};
  }
  const auto& v = plan.verdict;
  DivergedWritesRequest request;
  request.server = redis_connection_options(settings_);
  request.server.endpoint.host = yielder_host;
  request.server.endpoint.port = yielder_port;
  // No fork known: an id Redis does not know asks for a full resync, the whole data set.
  request.from = v.save_from ? *v.save_from : PsyncStart{"?", 1};
  request.to = h.offset;
  if (v.save_from)
    request.context = plan_db_context(h, v.save_from->replid, v.save_from->offset,
                                      stream_db_marks_.all(), kDbMarkBytes, kDbBlindBytes);
  DivergedWritesOptions options;
  options.directory = redis_.diverged_writes_dir;
  options.instance = settings_.name;
  options.timeout = kSaveTimeout;
  auto saved = co_await save_async(io_, request, options);
  // Read from a mark, the stream before the fork is parsed command by command: one beyond the
  // reader's limits (a huge DEL) must not cost the writes; read again as before marks, blind.
  // Not after a timeout: the yielder's pause (as long as a save may take) is over by then.
  if (!saved.ok() && saved.error != make_error_code(RedisErrc::cancelled) &&
      saved.error != make_error_code(RedisErrc::operation_timeout) && request.context &&
      request.context->aligned) {
    log(Level::warning, settings_.name,
        "split brain: saving the writes of {} from the database mark failed ({}): once more "
        "without it",
        yielder->name(), saved.message);
    request.context =
        plan_db_context(h, v.save_from->replid, v.save_from->offset, {}, 0, kDbBlindBytes);
    saved = co_await save_async(io_, request, options);
  }
  if (!saved.ok()) {
    log(Level::error, settings_.name, "split brain: saving the writes of {} failed: {}",
        yielder->name(), saved.message);
    // It keeps its writes and no VIP: not paused for kSaveTimeout on top.
    co_await yielder->unpause(redis_.check_timeout);
    co_return std::nullopt;
  }
  if (saved.kind == SavedKind::none) {
    log(Level::notice, settings_.name, "split brain: {} took no client write since the fork ({})",
        yielder->name(), saved.message);
  } else {
    log(Level::warning, settings_.name,
        "split brain: saved the writes {} took since the fork: {} commands, {} bytes ({}) in {}; "
        "replay with "
        "redis-cli --pipe",
        yielder->name(), saved.commands, saved.bytes, to_string(saved.kind), saved.path);
  }
  co_return saved;
}

void RedisRoleController::log_replanned(const std::string& yielder, const SplitHealPlan& plan) {
  log(plan.discards ? Level::error : Level::warning, settings_.name,
      "split brain: {} took writes after the comparison: {}{}", yielder, plan.reason,
      plan.discards ? "; they are DISCARDED (no diverged_writes_dir)" : "; saving them");
}

// diverged_writes_merge on: replays the saved writes onto the keeper, except those on keys the
// keeper changed since the fork (kept in a conflicts file; diverged_merge.hpp).
Awaitable<void> RedisRoleController::merge_saved(SavedWrites saved,
                                                 std::shared_ptr<RedisOperations> keeper,
                                                 std::string keeper_host, std::uint16_t keeper_port,
                                                 SplitHealPlan plan) {
  if (!plan.merge || saved.kind != SavedKind::stream) co_return;
  const auto keeper_now = co_await keeper->replication_info(redis_.check_timeout);
  const auto kh = ReplicationHistory::from(keeper_now.info);
  const auto from = psync_since_fork(kh, plan.verdict.fork);
  if (!keeper_now.ok() || !from) {
    log(Level::warning, settings_.name,
        "split brain: no merge: the keeper's stream since the fork is unknown");
    co_return;
  }
  DivergedMergeRequest merge;
  merge.saved_path = saved.path;
  merge.keeper = redis_connection_options(settings_);
  merge.keeper.endpoint.host = keeper_host;
  merge.keeper.endpoint.port = keeper_port;
  merge.keeper_from = *from;
  merge.keeper_context_from = db_context_start(kh, from->offset, 1 << 20);
  DivergedMergeOptions merge_options;
  merge_options.instance = settings_.name;
  const auto merged = co_await merge_async(io_, merge, merge_options);
  if (!merged.ok()) {
    log(Level::error, settings_.name,
        "split brain: merging {} onto {} failed: {} (the file keeps every write)", saved.path,
        keeper->name(), merged.message);
    co_return;
  }
  log(Level::warning, settings_.name,
      "split brain: merged {} onto {}: {} commands replayed, {} kept back{}{}", saved.path,
      keeper->name(), merged.replayed, merged.kept, merged.conflicts_path.empty() ? "" : " in ",
      merged.conflicts_path);
}

}  // namespace redvip::agent
