// The controller's state over the health checks (the promotion gate), its lifetime and status.
// The role changes themselves are in promotion.cpp, following.cpp, cold_start.cpp, handover.cpp.
#include "agent/redis/roles/role_controller.hpp"

#include <algorithm>

#include "agent/config/values.hpp"
#include "agent/log/log.hpp"

namespace redvip::agent {
namespace asio = boost::asio;

RedisConnectionOptions redis_connection_options(const InstanceSettings& settings) {
  const RedisSettings& redis = *settings.redis;
  RedisConnectionOptions o;
  o.endpoint.host = redis.address.to_string();
  o.endpoint.port = redis.port;
  o.user = redis.user;
  o.password = redis.password.value_or("");
  o.connect_timeout = redis.check_timeout;
  o.reconnect_min =
      std::min<std::chrono::milliseconds>(redis.check_interval, std::chrono::milliseconds(50));
  o.reconnect_max = std::chrono::milliseconds(1000);
  o.client_name = "redvip";
  o.log_name = settings.name;
  return o;
}

void log_sequence_failure(const std::string& instance, std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    log(Level::error, instance, "redis role change failed: {}", x.what());
  } catch (...) {
    log(Level::error, instance, "redis role change failed");
  }
}

RedisRoleController::RedisRoleController(asio::io_context& io, const InstanceSettings& settings,
                                         InstanceControl& instance)
    : RedisRoleController(
          io, settings, instance,
          std::make_shared<ConnectedRedisNodes>(io, redis_connection_options(settings))) {
  network_ = static_cast<ConnectedRedisNodes*>(nodes_.get());
  auto connection = network_->local_connection();
  RedisHealthOptions health;
  health.interval = redis_.check_interval;
  health.timeout = redis_.check_timeout;
  health.rise = static_cast<int>(redis_.rise);
  health.fall = static_cast<int>(redis_.fall);
  checker_ = std::make_unique<RedisHealthChecker>(
      connection, health, [this](Health h, const std::string& why) {
        on_health(h, why, checker_->lost(), checker_->unanswered());
      });
  checker_->set_result_callback([this, connection](bool ok, const std::string& why) {
    // While unhealthy, the reason shown is the latest failure, not the one that tipped it.
    if (!ok && health_ == Health::unhealthy && why != health_reason_) {
      health_reason_ = why;
      instance_.set_blocked("redis health", true, why);
    }
    const auto& latest = checker_->latest();
    if (ok && latest) {
      on_check(*latest, connection->connects());
    } else {
      latest_ = latest;
    }
  });
}

RedisRoleController::RedisRoleController(asio::io_context& io, const InstanceSettings& settings,
                                         InstanceControl& instance,
                                         std::shared_ptr<RedisNodes> nodes)
    : io_(io),
      settings_(settings),
      redis_(*settings.redis),
      instance_(instance),
      nodes_(std::move(nodes)),
      local_(stop_guarded(nodes_->local(), stop_.get_token())) {}

RedisRoleController::~RedisRoleController() { stop(); }

void RedisRoleController::start() {
  started_ = Clock::now();
  instance_.set_blocked("redis health", true, "first checks pending");
  instance_.set_blocked("redis sync", true, gate_.why);
  if (network_) network_->local_connection()->start();
  if (checker_) checker_->start();
}

void RedisRoleController::stop() {
  stop_.request_stop();
  if (checker_) checker_->stop();
  if (network_) network_->close();
}

void RedisRoleController::spawn(Awaitable<void> sequence) {
  asio::co_spawn(io_, guarded(stop_.get_token(), nullptr, std::move(sequence)),
                 [stop = stop_.get_token(), name = settings_.name](std::exception_ptr e) {
                   if (e && !stop.stop_requested()) log_sequence_failure(name, e);
                 });
}

std::vector<std::string> RedisRoleController::vip_endpoints(std::uint16_t port) const {
  std::vector<std::string> out;
  for (const auto& vip : settings_.vips) out.push_back(to_string(HostPort{vip.address, port}));
  return out;
}

std::shared_ptr<RedisOperations> RedisRoleController::peer(const std::string& host,
                                                           std::uint16_t port) {
  return stop_guarded(nodes_->connect(host, port), stop_.get_token());
}

RedisRoleController::Ms RedisRoleController::our_advert_interval() const {
  return std::chrono::duration_cast<Ms>(settings_.advert_interval);
}

void RedisRoleController::on_health(Health health, const std::string& reason, bool connection_lost,
                                    bool checks_unanswered) {
  const bool healthy = health == Health::healthy;
  health_ = health;
  local_lost_ = !healthy && hand_off_at_once(connection_lost, checks_unanswered,
                                             !redis_.diverged_writes_dir.empty());
  health_reason_ = reason;
  if (healthy)
    log(Level::info, settings_.name, "redis at {}:{} healthy", redis_.address.to_string(),
        redis_.port);
  else
    log(Level::warning, settings_.name, "redis at {}:{} unhealthy: {}", redis_.address.to_string(),
        redis_.port, reason);
  instance_.set_blocked("redis health", !healthy, reason);
}

// Each good check: may the local Redis be promoted (decisions.hpp: judge_check), and does it
// have to follow the VRRP master or look for a cold start?
void RedisRoleController::on_check(const ReplicationInfo& info, std::uint64_t connects) {
  latest_ = info;
  forget_silent_master();
  if (info.role == RedisRole::replica) {
    last_followed_.emplace(info.master_host, info.master_port);
    master_since_.reset();
  } else if (info.role == RedisRole::master && !master_since_) {
    master_since_ = Clock::now();
  }
  const bool reconnected = connects != connects_seen_;
  connects_seen_ = connects;
  const std::optional<std::string> following =
      following_ ? std::optional<std::string>(following_->to_string()) : std::nullopt;
  // While a split brain is reconciled our Redis is a master beside another on purpose; while
  // we promote it, the master we heard is the one we replace.
  const bool master_heard = master_heard_.has_value() && !split_hold_ && !promoting_;
  const auto verdict =
      judge_check(gate_, info, reconnected, following, redis_.peer_port, master_heard);
  if (verdict.forget_following) following_.reset();
  if (serving_from_a_replica(serving_, info, master_heard_.has_value(),
                             split_hold_.has_value() || split_heal_in_flight_ || promoting_)) {
    if (++replica_while_serving_ >= kReclaimAfterChecks &&
        reclaim_.try_start(Clock::now(), kReclaimRetry)) {
      spawn(reclaim_master(info.master_host, info.master_port));
    }
  } else {
    replica_while_serving_ = 0;
  }
  maybe_watch_peers();
  maybe_mark_stream_db(info);
  auto gate = verdict.gate;
  if (verdict.then == AfterCheck::explain_link_down) {
    if (!link_down_since_) link_down_since_ = Clock::now();
    gate.why = with_link_down_cause(gate.why);
  } else {
    link_down_since_.reset();
    link_down_answer_.reset();
  }
  set_gate(std::move(gate), verdict.decided);
  switch (verdict.then) {
    case AfterCheck::follow_master:
      if (master_heard_) follow(*master_heard_);
      break;
    case AfterCheck::check_cold_start:
      maybe_cold_start();
      break;
    case AfterCheck::measure_lag:
      if (following_ && !lag_check_in_flight_) {
        lag_check_in_flight_ = true;
        spawn(measure_lag(*following_));
      }
      break;
    case AfterCheck::explain_link_down:
      // A handshake takes less than kExplainLinkRetry: ask only about a link that stays down.
      if (following_ && Clock::now() - *link_down_since_ >= kExplainLinkRetry &&
          link_down_ask_.try_start(Clock::now(), kExplainLinkRetry)) {
        spawn(ask_why_link_down(*following_));
      }
      break;
    case AfterCheck::nothing:
      break;
  }
  // Status shows a synced replica's lag behind its master; while the gate is closed
  // measure_lag reads the same and notes it.
  if (info.role == RedisRole::replica && following_ && gate_.open &&
      master_offset_ask_.try_start(Clock::now(), kMasterOffsetEvery)) {
    spawn(read_master_offset(*following_, info.slave_repl_offset >= 0 ? info.slave_repl_offset
                                                                      : info.master_repl_offset));
  } else if (info.role != RedisRole::replica && master_peer_) {
    master_peer_.reset();  // a master has no master to ask
  }
}

// Synced from `master`: the gate opens once our Redis is close to its offset (decisions.hpp:
// judge_lag). The master's INFO first, then ours: ours at or past the offset read holds every
// write the master had then. Applied only if nothing changed meanwhile: the gate still closed,
// still following that master, our Redis still synced from it.
Awaitable<void> RedisRoleController::measure_lag(vrrp::IpAddress master) {
  const auto measuring = clear_on_exit(lag_check_in_flight_);
  const auto host = master.to_string();
  const auto theirs = co_await master_peer(master)->replication_info(redis_.check_timeout);
  const auto ours = co_await local_->replication_info(redis_.check_timeout);
  if (ours.ok() && following_ == master)
    note_master_offset(master, theirs.info_if_ok(), ours.info.slave_repl_offset);
  if (!ours.ok() || gate_.open || following_ != master) co_return;
  if (!judge_sync_completed(ours.info, host, redis_.peer_port).completed) co_return;
  const auto lag = judge_lag(ours.info, host, theirs.info_if_ok());
  const auto why = "synced from " + host + ":" + std::to_string(redis_.peer_port) + ", " + lag.why;
  if (!lag.close) {
    set_gate(PromotionGate{false, gate_.history, why}, false);
    co_return;
  }
  set_gate(PromotionGate{true, ours.info.master_replid, why}, true);
}

Awaitable<void> RedisRoleController::read_master_offset(vrrp::IpAddress master, long long ours) {
  const auto reading = clear_on_exit(master_offset_ask_.in_flight);
  const auto theirs = co_await master_peer(master)->replication_info(redis_.check_timeout);
  if (following_ == master) note_master_offset(master, theirs.info_if_ok(), ours);
}

// One connection to the master we follow, kept for its INFO: a check every check_interval must not
// open a connection each time. measure_lag reads through it while the gate is closed,
// read_master_offset once it is open; a new master gets a new one.
std::shared_ptr<RedisOperations> RedisRoleController::master_peer(const vrrp::IpAddress& master) {
  if (!master_peer_ || master_peer_of_ != master) {
    master_peer_ = peer(master.to_string(), redis_.peer_port);
    master_peer_of_ = master;
  }
  return master_peer_;
}

// A master that does not answer as one has no offset to show: status says unknown rather than
// an old number.
void RedisRoleController::note_master_offset(const vrrp::IpAddress& master,
                                             const std::optional<ReplicationInfo>& theirs,
                                             long long ours) {
  if (!theirs || theirs->role != RedisRole::master || theirs->master_repl_offset < 0) {
    master_reading_.reset();
    return;
  }
  master_reading_ = MasterReading{master, theirs->master_repl_offset, ours, Clock::now()};
}

// `decided`: the gate's state was judged (not only its reason text updated): tell the instance.
void RedisRoleController::set_gate(PromotionGate gate, bool decided) {
  if (decided && gate.open != gate_.open) {
    log(gate.open ? Level::info : Level::warning, settings_.name, "redis {}: {}",
        gate.open ? "may be promoted" : "may not be promoted", gate.why);
  }
  const bool closed_why_changed = !gate.open && gate.why != gate_.why;
  gate_ = std::move(gate);
  if (decided || closed_why_changed) instance_.set_blocked("redis sync", !gate_.open, gate_.why);
}

RedisStatusView RedisRoleController::view() const {
  RedisStatusView v;
  v.present = true;
  v.healthy = health_ == Health::healthy;
  if (latest_) v.role = std::string(to_string(latest_->role));
  v.replication = latest_;
  v.detail = gate_.open ? "" : gate_.why;
  const std::string& failure = checker_ ? checker_->last_failure() : health_reason_;
  if (!v.healthy && !failure.empty()) v.detail = failure;
  if (checker_) {
    v.checks_ok = checker_->stats().successes;
    v.checks_failed = checker_->stats().failures;
  }
  v.peer_loss_pauses = peer_loss_pauses_;
  v.writes_held_for_silent_peer = holding_for_silent_peer();
  v.stalled_streams_restarted = stalled_streams_restarted_;
  v.non_peer_adverts = non_peer_adverts_;
  v.last_non_peer = last_non_peer_;
  // Only a reading of the master our Redis replicates from now.
  if (master_reading_ && latest_ && latest_->role == RedisRole::replica &&
      latest_->master_host == master_reading_->master.to_string() &&
      latest_->master_port == redis_.peer_port) {
    v.master_offset = RedisStatusView::MasterOffset{
        fmt::format("{}:{}", latest_->master_host, latest_->master_port), master_reading_->offset,
        master_reading_->ours, std::chrono::duration_cast<Ms>(Clock::now() - master_reading_->at)};
  }
  return v;
}

}  // namespace redvip::agent
