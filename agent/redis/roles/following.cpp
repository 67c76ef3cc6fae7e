// A backup's Redis replicates from the current VRRP master (the advert's source, on the peers'
// Redis port), re-pointed when the master changes, at most once per kFollowRetry at the same
// master (decisions.hpp: should_follow), never when that master's Redis replicates from ours
// (judge_follow_guard: an abandoned takeover of ours is handed back instead), and unpaused (a
// paused replica applies nothing). A master not heard for kSilentAdverts intervals is forgotten
// (master_still_heard). Leaving master: (the instance removed the VIP) follow the new master, drop
// every client so it reconnects through the VIP, lift the pause. A link that stays down: the
// master's own answer to us (protected mode's DENIED, NOAUTH, a refused connection) becomes the
// reason status shows.
#include <fmt/format.h>

#include <utility>

#include "agent/log/log.hpp"
#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {

void RedisRoleController::master_seen(const vrrp::IpAddress& master,
                                      vrrp::Centiseconds advert_interval) {
  if (!configured_peer(master, "replicating from")) return;
  heard(master, std::chrono::duration_cast<Ms>(advert_interval));
  if (std::find(peers_heard_.begin(), peers_heard_.end(), master) == peers_heard_.end()) {
    peers_heard_.push_back(master);
  }
  follow(master);
}

// promotion.cpp: the master we take over from advertised again. In any VRRP state: as master
// (the promotion under way) we hear an equal or lower priority without following it.
void RedisRoleController::advert_heard(const vrrp::IpAddress& router) {
  if (taking_over_from_ == router) taken_over_from_heard_ = true;
}

// A VRRPv3 master may advertise less often than we do: it counts (decisions.hpp:
// heard_interval). The master we follow heard again after we forgot it as silent: the link
// between us was down, and our Redis's stream from it may still wait for its next
// retransmission (model/stalled_stream.hpp).
void RedisRoleController::heard(const vrrp::IpAddress& master, Ms advert_interval) {
  const bool again = !master_heard_ && following_ == master;
  master_heard_ = master;
  master_heard_at_ = Clock::now();
  master_heard_interval_ = heard_interval(advert_interval, our_advert_interval());
  if (again && !serving_ && !stream_check_in_flight_) {
    stream_check_in_flight_ = true;
    spawn(restart_stalled_stream(master));
  }
}

// decisions.hpp: master_still_heard. Not while a split brain is reconciled: the master heard
// then is the one we wait for, adverts or not.
void RedisRoleController::forget_silent_master() {
  if (!master_heard_ || split_hold_) return;
  const auto silent = std::chrono::duration_cast<Ms>(Clock::now() - master_heard_at_);
  if (master_still_heard(silent, master_heard_interval_)) return;
  log(Level::info, settings_.name, "{} not heard for {} ms: no longer taken for the master",
      master_heard_->to_string(), silent.count());
  master_heard_.reset();
}

void RedisRoleController::follow(const vrrp::IpAddress& master) {
  if (split_hold_) return;  // split_heal.cpp: a REPLICAOF now would discard unsaved writes
  const auto now = Clock::now();
  FollowState state;
  state.in_flight = follow_in_flight_;
  state.following_it = following_ == master;
  if (last_follow_target_ == master)
    state.since_last_attempt = std::chrono::duration_cast<Ms>(now - last_follow_);
  if (!should_follow(state, latest_, master.to_string(), redis_.peer_port)) return;
  follow_in_flight_ = true;
  last_follow_ = now;
  last_follow_target_ = master;
  spawn(following(master));
}

Awaitable<void> RedisRoleController::following(vrrp::IpAddress master) {
  if (!co_await loop_guard(master)) {
    follow_in_flight_ = false;
    co_return;
  }
  // Our Redis a master of a history that master continued: its writes since are saved first.
  if (co_await yielded_stale_master(master)) {
    follow_in_flight_ = false;
    co_return;
  }
  // Asked again with no wait before REPLICAOF: a promotion that began during the reads above
  // must find this REPLICAOF ahead of its REPLICAOF NO ONE on the connection, or not at all.
  if (follow_unwanted(master)) {
    follow_in_flight_ = false;
    co_return;
  }
  const auto r = co_await local_->follow(master.to_string(), redis_.peer_port, kRoleChangeTimeout);
  follow_in_flight_ = false;
  if (!r.ok()) {
    // Retried every kFollowRetry: one line per master per 10 s, and the cause is what status
    // says keeps us from being master until it changes.
    // The operation's message names the command and target ("REPLICAOF host:port: ERR ...").
    const auto why =
        r.message.rfind("REPLICAOF", 0) == 0
            ? r.message
            : fmt::format("REPLICAOF {}:{}: {}", master.to_string(), redis_.peer_port, r.message);
    redis_error_log_.log(Level::warning, settings_.name, "REPLICAOF " + master.to_string(), "{}",
                         why);
    if (!gate_.open) set_gate(PromotionGate{false, gate_.history, why}, false);
    co_return;
  }
  // We took over while this REPLICAOF was on its way: the promotion's REPLICAOF NO ONE runs
  // after it on the same connection, so closing the gate now would put the new master in FAULT
  // right after its promotion (three nodes starting at once did).
  if (serving_) co_return;
  if (promoting_) {
    follow_overtaken_ = master;
    co_return;
  }
  now_following(master);
  // A replica takes no client writes, but a paused one applies none of its master's stream
  // either: a CLIENT PAUSE sent by a takeover while our Redis hung runs when it resumes and would
  // hold it behind (and the gate closed, decisions.hpp: judge_lag) for handover_timeout.
  const auto resumed = co_await local_->unpause(kRoleChangeTimeout);
  if (!resumed.ok())
    log(Level::warning, settings_.name, "CLIENT UNPAUSE failed: {}", resumed.message);
}

// Meanwhile we were promoted, a split brain is being reconciled, or another master is heard:
// a REPLICAOF of `master` is not wanted any more.
bool RedisRoleController::follow_unwanted(const vrrp::IpAddress& master) const {
  return serving_ || promoting_ || split_hold_.has_value() || master_heard_ != master;
}

void RedisRoleController::now_following(vrrp::IpAddress master) {
  if (following_ != master) {
    log(Level::info, settings_.name, "redis replicates from {}:{}", master.to_string(),
        redis_.peer_port);
  }
  // Our data is that master's from now on (decisions.hpp: gate_on_follow).
  const auto gate =
      gate_on_follow(gate_, master.to_string(), redis_.peer_port, following_ == master);
  set_gate(gate, gate.open != gate_.open);
  following_ = master;
}

void RedisRoleController::settle_overtaken_follow(bool promoted) {
  const auto overtaken = std::exchange(follow_overtaken_, std::nullopt);
  // Refused or failed: our Redis may still replicate from that master, maybe mid-sync.
  if (overtaken && !promoted) now_following(*overtaken);
}

// The guard's wait: logged (rate-limited), and status says why, not "must sync from it first".
void RedisRoleController::refuse_loop(const std::string& host) {
  const auto why = fmt::format(
      "not following {}: its redis replicates from ours (both would be replicas); asked again "
      "in {} ms",
      host, kFollowRetry.count());
  redis_error_log_.log(Level::info, settings_.name, "loop " + host, "{}", why);
  if (!gate_.open) set_gate(PromotionGate{false, gate_.history, why}, false);
}

// decisions.hpp: judge_follow_guard's not_master_yet (outside the coroutine: g++ 12 miscompiles
// the branch inside it, -Wmismatched-new-delete).
bool RedisRoleController::not_master_yet(const std::optional<ReplicationInfo>& theirs,
                                         const std::string& our_host, const std::string& host) {
  if (judge_follow_guard(theirs, our_host, redis_.peer_port, std::nullopt, false) !=
      FollowGuard::not_master_yet)
    return false;
  redis_error_log_.log(Level::info, settings_.name, "not yet " + host,
                       "not following {} yet: its redis is not master yet (it replicates from "
                       "{}); asked again in {} ms",
                       host, theirs->master_host, kFollowRetry.count());
  return true;
}

// decisions.hpp: judge_follow_guard. True: point ours at `master` now.
Awaitable<bool> RedisRoleController::loop_guard(vrrp::IpAddress master) {
  const auto* self = instance_.source_address();
  if (self == nullptr) co_return true;
  const std::string our_host = self->to_string();
  const std::string host = master.to_string();
  const auto theirs_ops = peer(host, redis_.peer_port);
  const auto asked = co_await theirs_ops->replication_info(redis_.check_timeout);
  const auto unwanted = [&] { return follow_unwanted(master); };
  if (unwanted()) co_return false;
  const auto theirs = asked.info_if_ok();
  if (!replicates_from(theirs, our_host, redis_.peer_port)) {
    loop_found_.reset();
    co_return !not_master_yet(theirs, our_host, host);
  }
  if (!loop_found_ || loop_found_->first != master) loop_found_.emplace(master, Clock::now());
  const bool advertised = master_heard_at_ > loop_found_->second;
  std::optional<ReplicationInfo> ours;
  if (advertised) {
    const auto read = co_await local_->replication_info(redis_.check_timeout);
    if (unwanted()) co_return false;
    if (read.ok()) ours = read.info;
  }
  const auto verdict = judge_follow_guard(theirs, our_host, redis_.peer_port, ours, advertised);
  if (verdict == FollowGuard::follow) co_return true;
  if (verdict == FollowGuard::wait) {
    refuse_loop(host);
    co_return false;
  }
  const auto promoted = co_await theirs_ops->promote(kRoleChangeTimeout);
  if (!promoted.ok()) {
    redis_error_log_.log(Level::warning, settings_.name, "hand back " + host,
                         "handing {} its redis back (REPLICAOF NO ONE there) failed: {}", host,
                         promoted.message);
    co_return false;
  }
  loop_found_.reset();
  log(Level::warning, settings_.name,
      "{} serves while its redis replicated from ours (a takeover of ours, abandoned), and we do "
      "not serve: handed it its redis back (it holds every write of ours); ours follows it",
      host);
  co_return !unwanted();
}

void RedisRoleController::demoted(const std::optional<vrrp::IpAddress>& announced) {
  // A non-peer took the VIP: our Redis keeps its data and role, as if the new master were unknown.
  std::optional<vrrp::IpAddress> new_master = announced;
  if (new_master && !configured_peer(*new_master, "replicating from")) new_master.reset();
  if (local_lost_) local_redis_lost_as_master();  // hand_off.cpp: name a successor at once
  end_serving();
  master_heard_.reset();
  if (new_master) {
    heard(*new_master, our_advert_interval());
    following_.reset();
  }
  spawn(leaving_master(new_master));
}

Awaitable<void> RedisRoleController::leaving_master(std::optional<vrrp::IpAddress> new_master) {
  bool follows = false;
  if (new_master) {
    const auto r =
        co_await local_->follow(new_master->to_string(), redis_.peer_port, kRoleChangeTimeout);
    follows = r.ok();
    if (follows) {
      following_ = *new_master;
      log(Level::info, settings_.name, "redis demoted: replicates from {}:{}",
          new_master->to_string(), redis_.peer_port);
    } else {
      redis_error_log_.log(Level::error, settings_.name, "demotion " + new_master->to_string(),
                           "redis demotion (REPLICAOF {} {}) failed: {}", new_master->to_string(),
                           redis_.peer_port, r.message);
    }
  }
  // Yielding in a split brain (split_heal.cpp): the save's replica connection must not be cut
  // in its handshake; that sequence drops the clients itself once our Redis follows.
  if (split_hold_) co_return;
  const auto killed = co_await local_->kill_clients(vip_endpoints(redis_.port), kRoleChangeTimeout);
  if (!killed.ok())
    log(Level::warning, settings_.name, "CLIENT KILL failed: {}", killed.message);
  else
    log(Level::info, settings_.name, "redis clients dropped so they reconnect through the VIP");
  // The new master paused our writes to catch up; a paused Redis does not apply its master's
  // stream either, so lift it now that we are a replica and no writer is left.
  if (follows) {
    const auto resumed = co_await local_->unpause(kRoleChangeTimeout);
    if (!resumed.ok())
      log(Level::warning, settings_.name, "CLIENT UNPAUSE failed: {}", resumed.message);
  }
}

// The reason a check gives for a link that is down, with the master's own answer once we have
// it (decisions.hpp: explain_link_down): "master link down" alone sent operators to Redis's log.
std::string RedisRoleController::with_link_down_cause(const std::string& reason) {
  if (!link_down_answer_ || link_down_answer_->master != following_) return reason;
  return explain_link_down(
      reason, link_down_answer_->master.to_string() + ":" + std::to_string(redis_.peer_port),
      link_down_answer_->answer, link_down_answer_->text);
}

Awaitable<void> RedisRoleController::ask_why_link_down(vrrp::IpAddress master) {
  const auto asking = clear_on_exit(link_down_ask_.in_flight);
  // A connection of its own: the master's answer to a new connection is the cause we want (a
  // kept one to a master that refuses us only says "not connected" between its reconnects).
  const auto theirs =
      co_await peer(master.to_string(), redis_.peer_port)->replication_info(redis_.check_timeout);
  // Meanwhile the link came back (link_down_since_ reset), or we follow another master: stale.
  if (following_ != master || !link_down_since_) co_return;
  link_down_answer_ =
      LinkDownAnswer{master, master_answer(theirs.status.error), theirs.status.message};
}

// decisions.hpp: serving_from_a_replica, replicates_from. The other node's make_replica_of_us
// already ran when it left Master and its Redis now follows ours: ours taking its master role
// back ends the loop. A master there instead is a takeover not heard yet.
Awaitable<void> RedisRoleController::reclaim_master(std::string host, int port) {
  const auto reclaiming = clear_on_exit(reclaim_.in_flight);
  const auto theirs =
      co_await peer(host, static_cast<std::uint16_t>(port))->replication_info(redis_.check_timeout);
  if (!serving_) co_return;  // we left master meanwhile: a replica is what we asked for
  const auto* self = instance_.source_address();
  const bool loop =
      self != nullptr && replicates_from(theirs.info_if_ok(), self->to_string(), redis_.peer_port);
  if (!loop) {
    redis_error_log_.log(Level::warning, settings_.name, "reclaim " + host,
                         "our redis was made a replica of {}:{} while we hold the VIP, and that "
                         "redis {}: not taking ours back (a takeover we have not heard yet?)",
                         host, port,
                         !theirs.ok()                            ? "does not answer"
                         : theirs.info.role == RedisRole::master ? "is master"
                                                                 : "follows another");
    co_return;
  }
  log(Level::warning, settings_.name,
      "our redis was made a replica of {}:{}, itself a replica, while we hold the VIP (a loop: "
      "both redis servers follow each other): promoting ours back",
      host, port);
  const auto promoted = co_await local_->promote(kRoleChangeTimeout);
  replica_while_serving_ = 0;
  if (!promoted.ok()) {
    log(Level::error, settings_.name, "taking our redis back as master failed: {}",
        promoted.message);
  }
}

}  // namespace redvip::agent
