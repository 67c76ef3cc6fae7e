#include "agent/redis/roles/role_controller.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "agent/log/log.hpp"

namespace redvip::agent {
namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {
// How often the catch-up loop compares offsets while the old master's writes are paused.
constexpr std::chrono::milliseconds kCatchUpPoll{2};
// A REPLICAOF against a live server answers in well under this.
constexpr std::chrono::milliseconds kRoleChangeTimeout{1000};
// Unpaused, wait until our replica is this close (bytes of replication stream) to the old
// master before pausing its writes for the last stretch.
constexpr long long kApproachGap = 16 * 1024;
constexpr std::chrono::milliseconds kApproachPoll{5};
// kFollowRetry, kEmptyColdStartWait, kColdCheckRetry: agent/redis/model/decisions.hpp.
}  // namespace

RedisRoleController::RedisRoleController(asio::io_context& io, const InstanceSettings& settings,
                                         InstanceControl& instance)
    : io_(io), settings_(settings), redis_(*settings.redis), instance_(instance) {
  connection_ = RedisConnection::create(io_, options_for(redis_.address.to_string(), redis_.port));
  RedisHealthOptions health;
  health.interval = redis_.check_interval;
  health.timeout = redis_.check_timeout;
  health.rise = static_cast<int>(redis_.rise);
  health.fall = static_cast<int>(redis_.fall);
  checker_ = std::make_unique<RedisHealthChecker>(
      connection_, health, [this](Health h, const std::string& why) { on_health(h, why); });
  checker_->set_result_callback([this](bool ok, const std::string&) { on_check(ok); });
  roles_ = std::make_unique<RedisRoles>(connection_);
}

RedisRoleController::~RedisRoleController() {
  *alive_ = false;
  stop();
}

RedisConnectionOptions RedisRoleController::options_for(const std::string& host,
                                                        std::uint16_t port) const {
  RedisConnectionOptions o;
  o.endpoint.host = host;
  o.endpoint.port = port;
  o.user = redis_.user;
  o.password = redis_.password.value_or("");
  o.connect_timeout = redis_.check_timeout;
  o.reconnect_min = std::min<std::chrono::milliseconds>(redis_.check_interval, std::chrono::milliseconds(50));
  o.reconnect_max = std::chrono::milliseconds(1000);
  o.client_name = "redvip";
  o.log_name = settings_.name;
  return o;
}

void RedisRoleController::start() {
  started_ = SteadyClock::now();
  instance_.set_blocked("redis health", true, "first checks pending");
  instance_.set_blocked("redis sync", true, not_promotable_why_);
  connection_->start();
  checker_->start();
}

void RedisRoleController::stop() {
  if (checker_) checker_->stop();
  if (connection_) connection_->close();
}

void RedisRoleController::after(Ms delay, std::function<void()> then) {
  auto timer = std::make_shared<asio::steady_timer>(io_, delay);
  std::weak_ptr<bool> alive = alive_;
  timer->async_wait([timer, alive, then = std::move(then)](boost::system::error_code ec) {
    if (!ec && !alive.expired()) then();
  });
}

void RedisRoleController::on_health(Health health, const std::string& reason) {
  const bool healthy = health == Health::healthy;
  if (healthy) log(Level::info, settings_.name, "redis at {}:{} healthy", redis_.address.to_string(), redis_.port);
  else log(Level::warning, settings_.name, "redis at {}:{} unhealthy: {}", redis_.address.to_string(), redis_.port, reason);
  instance_.set_blocked("redis health", !healthy, reason);
}

void RedisRoleController::on_check(bool ok) {
  if (!ok || !checker_->latest()) return;
  judge_promotable(*checker_->latest());
}

void RedisRoleController::set_promotable(bool yes, const std::string& why) {
  if (yes != promotable_) {
    log(yes ? Level::info : Level::warning, settings_.name, "redis {}: {}",
        yes ? "may be promoted" : "may not be promoted", why);
  }
  promotable_ = yes;
  not_promotable_why_ = yes ? "" : why;
  instance_.set_blocked("redis sync", !yes, why);
}

void RedisRoleController::judge_promotable(const ReplicationInfo& info) {
  if (info.loading) {
    set_promotable(false, "loading its data set");
    return;
  }
  if (promotable_) {
    // A Redis without persistence that restarted is empty and starts a new history: it must
    // sync again before it may hold the VIP. Our own promotion also changes the id, but over
    // the same connection; a restart always comes with a reconnect.
    const auto connects = connection_->connects();
    if (connects != connects_seen_ && !history_.empty() && info.master_replid != history_ &&
        info.role == RedisRole::master) {
      history_.clear();
      following_.reset();
      set_promotable(false, "redis restarted with a new replication history");
    } else {
      history_ = info.master_replid;
    }
    connects_seen_ = connects;
    if (promotable_) return;
  }
  connects_seen_ = connection_->connects();
  if (info.role == RedisRole::replica) {
    if (!following_) return;
    const auto verdict = judge_sync_completed(info, following_->to_string(), redis_.peer_port);
    if (verdict.completed) {
      history_ = info.master_replid;
      set_promotable(true, fmt::format("synced from {}:{}", following_->to_string(), redis_.peer_port));
    } else {
      not_promotable_why_ = verdict.reason;
    }
    return;
  }
  if (info.role == RedisRole::master) {
    if (master_heard_) {
      follow(*master_heard_);
      return;
    }
    maybe_cold_start(info);
  }
}

void RedisRoleController::maybe_cold_start(const ReplicationInfo&) {
  const auto now = SteadyClock::now();
  // Give a running master time to be heard before concluding there is none.
  const auto wait = 4 * settings_.advert_interval;
  if (cold_check_in_flight_ || now - started_ < wait || now - last_cold_check_ < kColdCheckRetry) {
    return;
  }
  cold_check_in_flight_ = true;
  last_cold_check_ = now;
  std::vector<vrrp::IpAddress> peers = settings_.unicast_peers;
  for (const auto& p : peers_heard_) {
    if (std::find(peers.begin(), peers.end(), p) == peers.end()) peers.push_back(p);
  }
  auto results = std::make_shared<std::vector<PeerData>>(peers.size() + 1);
  auto remaining = std::make_shared<std::size_t>(peers.size() + 1);
  std::weak_ptr<bool> alive = alive_;
  auto decide = [this, alive, results, peers] {
    if (alive.expired()) return;
    cold_check_in_flight_ = false;
    if (master_heard_ || promotable_) return;
    const PeerData& self = results->front();
    if (!self.reachable) return;
    bool peer_unknown = false;
    for (std::size_t i = 0; i < peers.size(); ++i) {
      const PeerData& p = (*results)[i + 1];
      if (!p.reachable) {
        peer_unknown = true;
        continue;
      }
      const bool newer = p.has_data && (!self.has_data || p.keys > self.keys ||
                                        (p.master_replid == self.master_replid &&
                                         p.master_repl_offset > self.master_repl_offset));
      if (newer) {
        not_promotable_why_ = fmt::format("cold start: peer {} holds newer data ({} keys, ours {})",
                                          peers[i].to_string(), p.keys, self.keys);
        return;
      }
    }
    if (self.has_data) {
      set_promotable(true, fmt::format("cold start: no reachable peer holds newer data ({} keys here)", self.keys));
      return;
    }
    // An empty Redis may serve only when the group holds no data at all.
    if (peer_unknown) {
      not_promotable_why_ = "cold start: empty, and a peer's data is unknown (unreachable)";
      return;
    }
    if (peers.empty() && SteadyClock::now() - started_ < kEmptyColdStartWait) {
      not_promotable_why_ = "cold start: empty; waiting for a master holding data";
      return;
    }
    set_promotable(true, peers.empty() ? "cold start: empty, and no master appeared"
                                       : "cold start: every peer is empty too");
  };
  auto collect = [results, remaining, decide](std::size_t slot) {
    return [results, remaining, decide, slot](PeerData d) {
      (*results)[slot] = std::move(d);
      if (--*remaining == 0) decide();
    };
  };
  check_peer_data(io_, options_for(redis_.address.to_string(), redis_.port), redis_.check_timeout * 3,
                  collect(0));
  for (std::size_t i = 0; i < peers.size(); ++i) {
    check_peer_data(io_, options_for(peers[i].to_string(), redis_.peer_port),
                    redis_.check_timeout * 3, collect(i + 1));
  }
}

void RedisRoleController::follow(const vrrp::IpAddress& master) {
  const auto now = SteadyClock::now();
  if (follow_in_flight_) return;
  const auto& latest = checker_->latest();
  const bool already = following_ == master && latest && latest->role == RedisRole::replica &&
                       latest->master_host == master.to_string() &&
                       latest->master_port == redis_.peer_port;
  if (already) return;
  // One attempt per kFollowRetry at the same master, whatever the last one did: a local
  // Redis that is down must not turn every check into a REPLICAOF and a log line.
  if (last_follow_target_ == master && now - last_follow_ < kFollowRetry) return;
  follow_in_flight_ = true;
  last_follow_ = now;
  last_follow_target_ = master;
  std::weak_ptr<bool> alive = alive_;
  roles_->follow(master.to_string(), redis_.peer_port, kRoleChangeTimeout,
                 [this, alive, master](RedisOpResult r) {
                   if (alive.expired()) return;
                   follow_in_flight_ = false;
                   if (!r.ok()) {
                     log(Level::warning, settings_.name, "REPLICAOF {} {} failed: {}",
                         master.to_string(), redis_.peer_port, r.message);
                     return;
                   }
                   if (following_ != master) {
                     log(Level::info, settings_.name, "redis replicates from {}:{}",
                         master.to_string(), redis_.peer_port);
                   }
                   following_ = master;
                 });
}

void RedisRoleController::master_seen(const vrrp::IpAddress& master) {
  master_heard_ = master;
  if (std::find(peers_heard_.begin(), peers_heard_.end(), master) == peers_heard_.end()) {
    peers_heard_.push_back(master);
  }
  follow(master);
}

void RedisRoleController::demoted(const std::optional<vrrp::IpAddress>& new_master) {
  master_heard_ = new_master;
  std::weak_ptr<bool> alive = alive_;
  auto kill = [this, alive] {
    if (alive.expired()) return;
    roles_->kill_clients(kRoleChangeTimeout, [this, alive](RedisOpResult r) {
      if (alive.expired()) return;
      if (!r.ok()) log(Level::warning, settings_.name, "CLIENT KILL failed: {}", r.message);
      else log(Level::info, settings_.name, "redis clients dropped so they reconnect through the VIP");
    });
  };
  if (!new_master) {
    kill();
    return;
  }
  following_.reset();
  roles_->follow(new_master->to_string(), redis_.peer_port, kRoleChangeTimeout,
                 [this, alive, master = *new_master, kill](RedisOpResult r) {
                   if (alive.expired()) return;
                   if (r.ok()) {
                     following_ = master;
                     log(Level::info, settings_.name, "redis demoted: replicates from {}:{}",
                         master.to_string(), redis_.peer_port);
                   } else {
                     log(Level::error, settings_.name, "redis demotion (REPLICAOF {} {}) failed: {}",
                         master.to_string(), redis_.peer_port, r.message);
                   }
                   kill();
                   // The new master paused our writes to catch up; a paused Redis does not
                   // apply its master's stream either, so lift it now that we are a replica
                   // (sent after the CLIENT KILLs on the same connection: no writer is left).
                   if (r.ok()) {
                     roles_->unpause(kRoleChangeTimeout, [this, alive](RedisOpResult u) {
                       if (!alive.expired() && !u.ok()) {
                         log(Level::warning, settings_.name, "CLIENT UNPAUSE failed: {}", u.message);
                       }
                     });
                   }
                 });
}

void RedisRoleController::promote(const std::optional<vrrp::IpAddress>& live_master, Done done) {
  if (!promotable_) {
    done(false, "redis may not be promoted: " + not_promotable_why_);
    return;
  }
  const auto& latest = checker_->latest();
  // A REPLICAOF still in flight makes the last check's "master" stale: promoting must then go
  // through REPLICAOF NO ONE (queued after it on the same connection), or the VIP would front
  // a replica.
  if (latest && latest->role == RedisRole::master && !following_ && !follow_in_flight_) {
    done(true, "redis already master");
    return;
  }
  if (live_master) {
    catch_up_then_promote(*live_master, std::move(done));
  } else {
    promote_now(std::nullopt, nullptr, std::move(done));
  }
}

void RedisRoleController::catch_up_then_promote(const vrrp::IpAddress& old_master, Done done) {
  auto peer = RedisConnection::create(io_, options_for(old_master.to_string(), redis_.peer_port));
  peer->start();
  approach(peer, SteadyClock::now() + redis_.handover_timeout, old_master, std::move(done));
}

// Before the old master's writes are paused, our replica gets close on its own: after a
// diskless full sync Redis streams nothing until the replica's first (once a second) ACK, and
// that wait must not happen while clients are paused.
void RedisRoleController::approach(std::shared_ptr<RedisConnection> peer,
                                   SteadyClock::time_point deadline,
                                   const vrrp::IpAddress& old_master, Done done,
                                   long long first_offset) {
  std::weak_ptr<bool> alive = alive_;
  peer->command({"INFO", "replication"}, redis_.check_timeout,
                [this, alive, peer, deadline, old_master, first_offset,
                 done = std::move(done)](RedisResult r) mutable {
    if (alive.expired()) return;
    std::optional<ReplicationInfo> theirs;
    if (r.ok()) theirs = parse_info(r.reply.str);
    if (!theirs || theirs->role != RedisRole::master) {
      pause_and_catch_up(peer, old_master, std::move(done));
      return;
    }
    const long long target = theirs->master_repl_offset;
    roles_->replication_info(redis_.check_timeout,
                             [this, alive, peer, deadline, old_master, target, first_offset,
                              done = std::move(done)](RedisOpResult lr, ReplicationInfo ours) mutable {
      if (alive.expired()) return;
      const bool linked = lr.ok() && ours.role == RedisRole::replica && ours.master_link_up &&
                          !ours.master_sync_in_progress;
      // Close means the stream flows (our offset moved since we started looking) and little
      // is left, or nothing is left at all.
      if (linked && first_offset < 0) first_offset = ours.slave_repl_offset;
      const bool close = linked && (ours.slave_repl_offset >= target ||
                                    (ours.slave_repl_offset > first_offset &&
                                     target - ours.slave_repl_offset <= kApproachGap));
      if (close || SteadyClock::now() >= deadline) {
        pause_and_catch_up(peer, old_master, std::move(done));
        return;
      }
      after(kApproachPoll, [this, peer, deadline, old_master, first_offset,
                            done = std::move(done)]() mutable {
        approach(peer, deadline, old_master, std::move(done), first_offset);
      });
    });
  });
}

void RedisRoleController::pause_and_catch_up(std::shared_ptr<RedisConnection> peer,
                                             const vrrp::IpAddress& old_master, Done done) {
  const auto pause_ms = std::to_string(redis_.handover_timeout.count());
  std::weak_ptr<bool> alive = alive_;
  peer->command({"CLIENT", "PAUSE", pause_ms, "WRITE"}, redis_.check_timeout,
                [this, alive, peer, old_master, done = std::move(done)](RedisResult r) mutable {
                  if (alive.expired()) return;
                  if (!r.ok()) {
                    log(Level::warning, settings_.name,
                        "old master's redis at {}:{} unreachable ({}): promoting without catch-up",
                        old_master.to_string(), redis_.peer_port, r.message);
                    peer->close();
                    promote_now(std::nullopt, nullptr, std::move(done));
                    return;
                  }
                  poll_catch_up(peer, SteadyClock::now() + redis_.handover_timeout, old_master,
                                std::move(done));
                });
}

void RedisRoleController::poll_catch_up(std::shared_ptr<RedisConnection> peer,
                                        SteadyClock::time_point deadline,
                                        const vrrp::IpAddress& old_master, Done done) {
  std::weak_ptr<bool> alive = alive_;
  peer->command({"INFO", "replication"}, redis_.check_timeout,
                [this, alive, peer, deadline, old_master, done = std::move(done)](RedisResult r) mutable {
    if (alive.expired()) return;
    std::optional<ReplicationInfo> theirs;
    if (r.ok()) theirs = parse_info(r.reply.str);
    if (!theirs || theirs->role != RedisRole::master) {
      // Gone or already demoted: nothing more can reach us from there.
      promote_now(std::nullopt, nullptr, std::move(done));
      return;
    }
    const long long target = theirs->master_repl_offset;
    roles_->replication_info(redis_.check_timeout,
                             [this, alive, peer, deadline, old_master, target,
                              done = std::move(done)](RedisOpResult lr, ReplicationInfo ours) mutable {
      if (alive.expired()) return;
      // Offsets compare only once our replica finished its sync from that master: before the
      // first sync both sides may still read 0.
      const bool synced = ours.role == RedisRole::replica && ours.master_link_up &&
                          !ours.master_sync_in_progress &&
                          ours.master_host == old_master.to_string();
      if (lr.ok() && synced && ours.slave_repl_offset >= target) {
        log(Level::info, settings_.name, "caught up with {} at offset {}: promoting",
            old_master.to_string(), target);
        promote_now(old_master, peer, std::move(done));
        return;
      }
      if (SteadyClock::now() >= deadline) {
        peer->command({"CLIENT", "UNPAUSE"}, redis_.check_timeout, [peer](RedisResult) { peer->close(); });
        done(false, fmt::format("did not catch up with {} (offset {} of {}) within handover_timeout",
                                old_master.to_string(), ours.slave_repl_offset, target));
        return;
      }
      after(kCatchUpPoll, [this, peer, deadline, old_master, done = std::move(done)]() mutable {
        poll_catch_up(peer, deadline, old_master, std::move(done));
      });
    });
  });
}

void RedisRoleController::promote_now(std::optional<vrrp::IpAddress> old_master,
                                      std::shared_ptr<RedisConnection> peer, Done done) {
  std::weak_ptr<bool> alive = alive_;
  roles_->promote(kRoleChangeTimeout, [this, alive, old_master, peer,
                                       done = std::move(done)](RedisOpResult r) {
    if (alive.expired()) return;
    if (!r.ok()) {
      if (peer) peer->command({"CLIENT", "UNPAUSE"}, redis_.check_timeout, [peer](RedisResult) { peer->close(); });
      done(false, "REPLICAOF NO ONE failed: " + r.message);
      return;
    }
    following_.reset();
    master_heard_.reset();
    log(Level::notice, settings_.name, "redis promoted to master");
    if (peer && old_master) {
      // The old master keeps its writes paused; turning it into our replica now means no
      // client can write there again, whatever its own daemon is doing.
      const auto* self = instance_.source_address();
      if (self) {
        peer->command({"REPLICAOF", self->to_string(), std::to_string(redis_.peer_port)},
                      kRoleChangeTimeout, [this, alive, peer, old_master](RedisResult rr) {
                        if (!alive.expired() && !rr.ok()) {
                          log(Level::warning, settings_.name, "could not demote the old master {}: {}",
                              old_master->to_string(), rr.message);
                        }
                        // Once it is our replica, lift the pause: a paused Redis does not apply
                        // its master's stream either (7.0), so until handover_timeout ran out it
                        // would hold none of our new writes. Still a master: leave it paused.
                        const bool demoted_ok = rr.ok();
                        peer->command({"CLIENT", "KILL", "TYPE", "normal"}, kRoleChangeTimeout,
                                      [peer, demoted_ok](RedisResult) {
                                        if (!demoted_ok) {
                                          peer->close();
                                          return;
                                        }
                                        peer->command({"CLIENT", "UNPAUSE"}, kRoleChangeTimeout,
                                                      [peer](RedisResult) { peer->close(); });
                                      });
                      });
      }
    }
    done(true, "redis promoted");
  });
}

void RedisRoleController::handover(std::function<void(std::function<void()>)> release,
                                   std::function<void()> done) {
  std::weak_ptr<bool> alive = alive_;
  const auto started = SteadyClock::now();
  auto released = [this, alive, release, done] {
    if (alive.expired()) return;
    release([this, alive, done] {
      if (alive.expired()) return;
      wait_until_replica(SteadyClock::now() + redis_.handover_timeout, [this, alive, done] {
        if (alive.expired()) return;
        roles_->kill_clients(kRoleChangeTimeout, [this, alive, done](RedisOpResult) {
          if (alive.expired()) return;
          roles_->unpause(kRoleChangeTimeout, [done](RedisOpResult) { done(); });
        });
      });
    });
  };
  roles_->pause_writes(redis_.handover_timeout, redis_.check_timeout,
                       [this, alive, released, started](RedisOpResult paused) {
    if (alive.expired()) return;
    if (!paused.ok()) log(Level::warning, settings_.name, "handover: CLIENT PAUSE failed: {}", paused.message);
    roles_->replication_info(redis_.check_timeout, [this, alive, released, started](RedisOpResult r, ReplicationInfo ours) {
      if (alive.expired()) return;
      if (!r.ok() || ours.replicas.empty()) {
        log(Level::warning, settings_.name, "handover: no replica to hand over to ({})",
            r.ok() ? "none connected" : r.message);
        released();
        return;
      }
      // The master learns replica offsets only from their once-a-second acknowledgements;
      // asking the replicas themselves answers within milliseconds.
      wait_replicas_caught_up(ours, SteadyClock::now() + redis_.handover_timeout,
                              [this, alive, released, started](bool caught, const std::string& detail) {
        if (alive.expired()) return;
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started);
        if (caught) log(Level::notice, settings_.name, "handover: {} has every write ({} ms)", detail, waited.count());
        else log(Level::warning, settings_.name, "handover: no replica caught up within handover_timeout: {}", detail);
        released();
      });
    });
  });
}

void RedisRoleController::wait_replicas_caught_up(const ReplicationInfo& ours,
                                                  SteadyClock::time_point deadline,
                                                  std::function<void(bool, const std::string&)> done) {
  struct Probe {
    std::vector<std::shared_ptr<RedisConnection>> replicas;
    std::vector<std::string> names;
    long long target = 0;
    bool finished = false;
  };
  auto probe = std::make_shared<Probe>();
  probe->target = ours.master_repl_offset;
  for (const auto& r : ours.replicas) {
    auto c = RedisConnection::create(io_, options_for(r.ip, static_cast<std::uint16_t>(r.port)));
    c->start();
    probe->replicas.push_back(c);
    probe->names.push_back(fmt::format("{}:{}", r.ip, r.port));
  }
  std::weak_ptr<bool> alive = alive_;
  auto finish = [probe, done](bool ok, const std::string& detail) {
    if (probe->finished) return;
    probe->finished = true;
    for (auto& c : probe->replicas) c->close();
    done(ok, detail);
  };
  auto round = std::make_shared<std::function<void()>>();
  // The function holds itself only weakly (a strong self-reference would never be freed); the
  // replies and the timer it waits for hold it while a round is under way.
  *round = [this, alive, probe, deadline, finish, self = std::weak_ptr(round)] {
    auto poll = self.lock();
    if (!poll || alive.expired() || probe->finished) return;
    auto pending = std::make_shared<std::size_t>(probe->replicas.size());
    for (std::size_t i = 0; i < probe->replicas.size(); ++i) {
      probe->replicas[i]->command({"INFO", "replication"}, redis_.check_timeout,
                                  [this, alive, probe, i, pending, deadline, finish, poll](RedisResult r) {
        if (alive.expired() || probe->finished) return;
        if (r.ok()) {
          if (auto info = parse_info(r.reply.str); info && info->slave_repl_offset >= probe->target &&
                                                   info->master_link_up) {
            finish(true, fmt::format("replica {} (offset {})", probe->names[i], info->slave_repl_offset));
            return;
          }
        }
        if (--*pending != 0) return;
        if (SteadyClock::now() >= deadline) {
          finish(false, fmt::format("master offset {}", probe->target));
          return;
        }
        after(kCatchUpPoll, [poll] { (*poll)(); });
      });
    }
  };
  (*round)();
}

void RedisRoleController::wait_until_replica(SteadyClock::time_point deadline,
                                             std::function<void()> done) {
  std::weak_ptr<bool> alive = alive_;
  roles_->replication_info(redis_.check_timeout, [this, alive, deadline, done](RedisOpResult r, ReplicationInfo info) {
    if (alive.expired()) return;
    if (r.ok() && info.role == RedisRole::replica) {
      log(Level::notice, settings_.name, "handover: redis now replicates from {}:{}", info.master_host, info.master_port);
      done();
      return;
    }
    if (SteadyClock::now() >= deadline) {
      log(Level::warning, settings_.name, "handover: no new master took over our redis within handover_timeout");
      done();
      return;
    }
    after(std::chrono::milliseconds(5), [this, deadline, done] { wait_until_replica(deadline, done); });
  });
}

RedisStatusView RedisRoleController::view() const {
  RedisStatusView v;
  v.present = true;
  v.healthy = checker_->health() == Health::healthy;
  if (const auto& latest = checker_->latest()) v.role = std::string(to_string(latest->role));
  v.detail = promotable_ ? "" : not_promotable_why_;
  if (!v.healthy && !checker_->last_failure().empty()) v.detail = checker_->last_failure();
  v.checks_ok = checker_->stats().successes;
  v.checks_failed = checker_->stats().failures;
  return v;
}

}  // namespace redvip::agent
