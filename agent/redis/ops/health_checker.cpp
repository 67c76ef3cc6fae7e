#include "agent/redis/ops/health_checker.hpp"

#include "agent/log/log.hpp"
#include "agent/redis/model/reply.hpp"

namespace redvip::agent {

struct RedisHealthChecker::Check {
  Clock::time_point started;
  bool ping_ok = false;
  bool loading = false;
  bool unanswered = false;  // PING got no reply at all (timed out, no connection)
  std::string ping_error;
};

RedisHealthChecker::RedisHealthChecker(std::shared_ptr<RedisConnection> connection,
                                       RedisHealthOptions options, ChangeCallback on_change)
    : connection_(std::move(connection)),
      options_(options),
      on_change_(std::move(on_change)),
      counter_(options.rise, options.fall),
      timer_(connection_->io()) {}

RedisHealthChecker::~RedisHealthChecker() { stop(); }

void RedisHealthChecker::start() {
  if (running_) return;
  running_ = true;
  const auto alive = lifetime_.watch();
  connection_->set_lost_handler([this, alive](const std::string& why) {
    if (!alive.expired() && running_) on_lost(why);
  });
  connection_->start();
  next_tick_ = Clock::now();
  run_check();
  arm_timer();
}

void RedisHealthChecker::stop() {
  running_ = false;
  timer_.cancel();
  connection_->set_lost_handler(nullptr);
}

// A killed Redis refuses a new connection at once (its listening socket went with it); a
// connection closed by someone else — a new master's CLIENT KILL dropping every client after a
// failover — is not a dead Redis: it answers. So the loss counts only when a new connection is
// refused (within the check timeout); anything else is left to the checks. A process that dies
// closes our connection and its listening socket in the same exit, in either order: a probe that
// does not meet a refusal is tried once more kProbeAgain later before the loss is left to the
// checks.
void RedisHealthChecker::on_lost(const std::string& why) {
  const auto& endpoint = connection_->options().endpoint;
  boost::system::error_code bad;
  const auto address = boost::asio::ip::make_address(endpoint.host, bad);
  if (!endpoint.unix_path.empty() || bad) {
    count_lost(why);  // no cheap probe for these: the closed connection is the evidence
    return;
  }
  probe({address, endpoint.port}, why, true);
}

void RedisHealthChecker::count_lost(const std::string& reason) {
  ++stats_.failures;
  last_failure_ = "connection lost: " + reason;
  if (auto changed = counter_.record_lost()) {
    lost_ = true;
    log(Level::warning, connection_->options().log_name, "redis {}: {}", to_string(*changed),
        last_failure_);
    if (on_change_) on_change_(*changed, last_failure_);
  }
}

void RedisHealthChecker::probe(boost::asio::ip::tcp::endpoint at, std::string why, bool again) {
  auto& io = connection_->io();
  auto socket = std::make_shared<boost::asio::ip::tcp::socket>(io);
  auto deadline = std::make_shared<boost::asio::steady_timer>(io, options_.timeout);
  deadline->async_wait([socket](boost::system::error_code ec) {
    boost::system::error_code ignored;
    if (!ec) socket->close(ignored);
  });
  const auto alive = lifetime_.watch();
  socket->async_connect(
      at, [this, alive, socket, deadline, at, why, again](boost::system::error_code ec) {
        deadline->cancel();
        if (alive.expired() || !running_) return;
        if (ec == boost::asio::error::connection_refused) {
          count_lost(why + "; a new connection is refused");
        } else if (again) {
          // Connected, or reset or timed out on the way (the listener closed between the
          // handshake and this handler): neither proves Redis alive, so look once more.
          boost::system::error_code ignored;
          socket->close(ignored);
          auto later = std::make_shared<boost::asio::steady_timer>(connection_->io(), kProbeAgain);
          later->async_wait([this, alive, later, at, why](boost::system::error_code wait_ec) {
            if (wait_ec || alive.expired() || !running_) return;
            probe(at, why, false);
          });
        }
      });
}

void RedisHealthChecker::arm_timer() {
  // Fixed rate: the next check is due one interval after the previous one was due, whatever
  // happened to the previous check. After a stall (suspended process) skip, don't burst.
  next_tick_ += options_.interval;
  const auto now = Clock::now();
  if (next_tick_ + options_.interval < now) next_tick_ = now + options_.interval;
  timer_.expires_at(next_tick_);
  const auto alive = lifetime_.watch();
  timer_.async_wait([this, alive](boost::system::error_code ec) {
    if (ec || alive.expired() || !running_) return;
    if (in_flight_) {
      ++stats_.delayed;
      due_ = true;
    } else {
      run_check();
    }
    arm_timer();
  });
}

void RedisHealthChecker::run_check() {
  in_flight_ = true;
  due_ = false;
  auto check = std::make_shared<Check>();
  check->started = Clock::now();
  const auto alive = lifetime_.watch();
  connection_->command({"PING"}, options_.timeout, [check](RedisResult r) {
    if (r.ok() && r.reply.is_status("PONG")) {
      check->ping_ok = true;
    } else if (r.ok()) {
      check->ping_error = "PING: unexpected reply";
    } else {
      check->loading = r.error == RedisErrc::loading;
      check->unanswered = !redis_replied(r.error);
      check->ping_error = "PING: " + r.message;
    }
  });
  connection_->command({"INFO", "replication"}, options_.timeout,
                       [this, alive, check](RedisResult r) {
                         if (alive.expired()) return;
                         finish(*check, r);
                       });
}

void RedisHealthChecker::finish(const Check& check, const RedisResult& info) {
  in_flight_ = false;
  std::optional<ReplicationInfo> parsed;
  if (info.ok() && info.reply.is_text()) parsed = parse_info(info.reply.str);
  if (parsed) {
    parsed->loading = parsed->loading || check.loading;
    latest_ = std::move(parsed);
  }
  std::string reason;
  if (!check.ping_ok) {
    reason = check.ping_error;
  } else if (!info.ok()) {
    reason = "INFO: " + info.message;
  } else if (!latest_ || !parsed) {
    reason = "INFO: unparsable reply";
  }
  const bool ok = reason.empty();
  ++stats_.checks;
  if (ok) {
    ++stats_.successes;
    stats_.last_latency =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - check.started);
    stats_.max_latency = std::max(stats_.max_latency, stats_.last_latency);
  } else {
    ++stats_.failures;
    last_failure_ = reason;
    unanswered_ = check.unanswered;
  }
  const auto alive = lifetime_.watch();
  if (on_result_) on_result_(ok, ok ? std::string("ok") : reason);
  if (alive.expired()) return;
  if (auto changed = counter_.record(ok)) {
    if (*changed == Health::healthy) lost_ = unanswered_ = false;
    const std::string why = ok ? std::string("redis answers") : reason;
    // The role controller logs the change with the address ("redis at HOST:PORT healthy").
    log(Level::debug, connection_->options().log_name, "redis {}: {}", to_string(*changed), why);
    if (on_change_) on_change_(*changed, why);
    if (alive.expired()) return;
  }
  if (due_ && running_) run_check();
}

}  // namespace redvip::agent
