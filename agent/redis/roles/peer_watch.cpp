// Shrinking a split brain's window (redvip.conf(5): peer_loss_pause; the rule and its cost are
// in redis/model/peer_loss.hpp). While we serve, each good check of our Redis asks every peer's
// Redis once; while one that answered since we became master is silent, our writes are held a
// little at a time, never by more than its window.
#include "agent/log/log.hpp"
#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {

void RedisRoleController::begin_serving() {
  serving_ = true;
  replica_while_serving_ = 0;
  ++servings_;
  peer_watch_.clear();
  for (const auto& address : redis_.peers) peer_watch_.push_back(PeerWatch{address, {}, {}});
}

void RedisRoleController::end_serving() {
  serving_ = false;
  replica_while_serving_ = 0;
  peer_watch_.clear();  // closes the peers' connections
  db_mark_peers_.clear();
}

RedisRoleController::Ms RedisRoleController::peer_loss_hold_window() const {
  return peer_loss_window(redis_.peer_loss_pause.window, our_advert_interval(),
                          redis_.check_interval, redis_.check_timeout);
}

void RedisRoleController::maybe_watch_peers() {
  if (!serving_ || !redis_.peer_loss_pause.on || peer_watch_in_flight_ || peer_watch_.empty())
    return;
  peer_watch_in_flight_ = true;
  spawn(watch_peers(servings_));
}

// One question to each peer, one after the other. A pause is renewed for two check cycles at a
// time: a late check must not open a gap, and once the peer answers again (or the window ends)
// the last one lapses on its own. Never CLIENT UNPAUSE: it would also lift a pause that another
// node's takeover put on our Redis while it catches up with us.
Awaitable<void> RedisRoleController::watch_peers(std::uint64_t term) {
  const auto watching = clear_on_exit(peer_watch_in_flight_);
  const Ms window = peer_loss_hold_window();
  const Ms renew = 2 * (redis_.check_interval + redis_.check_timeout);
  for (std::size_t i = 0; i < peer_watch_.size(); ++i) {
    const auto host = peer_watch_[i].peer.to_string();
    auto ops = peer_watch_[i].ops;
    const bool kept = ops != nullptr;
    if (!kept) ops = peer(host, redis_.peer_port);
    auto answer = co_await ops->replication_info(redis_.check_timeout);
    if (term != servings_ || !serving_) co_return;
    bool new_connection = !kept;
    // A kept connection that broke (the peer's Redis restarted) or waits out a reconnect
    // backoff says nothing about the peer's host: ask once more on a new connection.
    if (kept && (answer.status.error == RedisErrc::connection_lost ||
                 answer.status.error == RedisErrc::not_connected)) {
      ops = peer(host, redis_.peer_port);
      answer = co_await ops->replication_info(redis_.check_timeout);
      new_connection = true;
    }
    // We left master meanwhile, or left and came back: this term's watch is over.
    if (term != servings_ || !serving_) co_return;
    auto& watch = peer_watch_[i];
    const bool answered = peer_answered(answer.status.error, new_connection);
    // Kept only after a real reply: a refused connection or a failed handshake sends it into
    // reconnect backoff, where it answers not_connected without asking anyone.
    watch.ops = answer.ok() ? ops : nullptr;
    const auto step = peer_loss_step(watch.sight, answered, Clock::now(), window, renew);
    watch.sight = step.sight;
    log_peer_loss(watch.peer, step.event, window);
    // Not on a Redis that stopped being master meanwhile (a preemption made it a replica).
    if (step.hold > Ms(0) && latest_ && latest_->role == RedisRole::master) {
      const auto paused = co_await local_->pause_writes(step.hold, kRoleChangeTimeout);
      if (!paused.ok()) log_pause_failure(paused.message);
    }
  }
}

// One line per peer and event per 10 s: a flapping link is counted, not a flood of lines.
void RedisRoleController::log_peer_loss(const vrrp::IpAddress& address, PeerLossEvent event,
                                        Ms window) {
  if (event == PeerLossEvent::none) return;
  if (event == PeerLossEvent::lost) ++peer_loss_pauses_;
  const auto host = address.to_string();
  const auto key = std::string(to_string(event)) + " " + host;
  switch (event) {
    case PeerLossEvent::none:
      return;
    case PeerLossEvent::lost:
      peer_loss_log_.log(Level::warning, settings_.name, key,
                         "redis peer {}:{} does not answer: writes held (CLIENT PAUSE WRITE) until "
                         "it answers, at most {} ms after its last answer (peer_loss_pause)",
                         host, redis_.peer_port, window.count());
      return;
    case PeerLossEvent::back:
      peer_loss_log_.log(Level::notice, settings_.name, key,
                         "redis peer {}:{} answers again: writes go through", host,
                         redis_.peer_port);
      return;
    case PeerLossEvent::gave_up:
      peer_loss_log_.log(Level::warning, settings_.name, key,
                         "redis peer {}:{} silent for {} ms: writes go through again (had it taken "
                         "over, the split brain is reconciled when it heals)",
                         host, redis_.peer_port, window.count());
      return;
  }
}

void RedisRoleController::log_pause_failure(const std::string& why) {
  redis_error_log_.log(Level::warning, settings_.name, "peer loss pause",
                       "holding writes while a redis peer is silent: CLIENT PAUSE failed: {}", why);
}

bool RedisRoleController::holding_for_silent_peer() const {
  for (const auto& watch : peer_watch_) {
    if (watch.sight.holding) return true;
  }
  return false;
}

}  // namespace redvip::agent
