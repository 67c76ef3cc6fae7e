// Cold start of the whole group: our Redis is a master, no VRRP master is heard, and our Redis
// never synced. Before it may hold the VIP, ask our own Redis and every peer's (the configured
// peers; masters heard since start are among them) at once what data they hold: it may be
// promoted only when no peer holds newer data, and an empty one only when the group holds no
// data at all (decisions.hpp: judge_cold_start).
#include "agent/redis/roles/role_controller.hpp"

namespace redvip::agent {

void RedisRoleController::maybe_cold_start() {
  const auto now = Clock::now();
  std::optional<Ms> since_last;
  if (last_cold_check_) since_last = std::chrono::duration_cast<Ms>(now - *last_cold_check_);
  const auto since_start = std::chrono::duration_cast<Ms>(now - started_);
  if (cold_check_in_flight_ || !cold_check_due(since_start, since_last, our_advert_interval())) {
    return;
  }
  cold_check_in_flight_ = true;
  last_cold_check_ = now;
  spawn(cold_start_check());
}

Awaitable<void> RedisRoleController::cold_start_check() {
  std::vector<vrrp::IpAddress> peers = redis_.peers;
  for (const auto& p : peers_heard_) {
    if (std::find(peers.begin(), peers.end(), p) == peers.end()) peers.push_back(p);
  }
  const auto timeout = redis_.check_timeout * 3;
  std::vector<std::shared_ptr<RedisOperations>> servers;
  std::vector<Awaitable<PeerData>> questions;
  questions.push_back(local_->peer_data(timeout));
  for (const auto& p : peers) {
    servers.push_back(peer(p.to_string(), redis_.peer_port));
    questions.push_back(servers.back()->peer_data(timeout));
  }
  auto answers = co_await gather(
      std::move(questions), [](const PeerData&) { return false; }, stop_.get_token());
  cold_check_in_flight_ = false;
  // Meanwhile a master was heard (we follow it), or our Redis synced.
  if (master_heard_ || gate_.open) co_return;

  const PeerData self = answers[0].value_or(PeerData{});
  std::vector<PeerAnswer> others;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    others.push_back({peers[i].to_string(), answers[i + 1].value_or(PeerData{})});
  }
  const auto verdict =
      judge_cold_start(self, others, std::chrono::duration_cast<Ms>(Clock::now() - started_));
  if (verdict.promote) {
    set_gate(PromotionGate{true, "", verdict.why}, true);
  } else {
    gate_.why = verdict.why;
  }
}

}  // namespace redvip::agent
