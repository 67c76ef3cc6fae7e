#pragma once
// Checks the local Redis every `interval`: PING and INFO replication, pipelined, each with
// `timeout`. Results go through a HealthCounter (rise/fall). Checks start on a fixed rate, one
// at a time: a tick that finds the previous check still waiting (Redis stalled, `timeout` longer
// than `interval`) starts the next one as soon as that check ends. Overlapping checks would all
// fail together when the first misses its deadline (that closes the connection), so one stall
// would count as several failed checks and `fall` would protect less than it says.
// A connection the server closes or resets, when a new one is then refused (Redis killed), is
// unhealthy at once, without waiting for `fall` failed checks.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "support/lifetime.hpp"
#include "agent/redis/client/connection.hpp"
#include "agent/redis/model/health_counter.hpp"
#include "agent/redis/model/replication_info.hpp"

namespace redvip::agent {

struct RedisHealthOptions {
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{500};
  int rise = 2;
  int fall = 2;
};

class RedisHealthChecker {
 public:
  // Called on every change of health (the first one leaves Health::unknown).
  using ChangeCallback = std::function<void(Health health, const std::string& reason)>;
  // Called after every check (ok or not), e.g. for metrics and the role controller.
  using ResultCallback = std::function<void(bool ok, const std::string& reason)>;

  struct Stats {
    std::uint64_t checks = 0;
    std::uint64_t successes = 0;
    std::uint64_t failures = 0;
    std::uint64_t delayed = 0;                  // ticks that found the previous check still waiting
    std::chrono::microseconds last_latency{0};  // PING sent -> INFO answered, last success
    std::chrono::microseconds max_latency{0};
  };

  RedisHealthChecker(std::shared_ptr<RedisConnection> connection, RedisHealthOptions options,
                     ChangeCallback on_change);
  ~RedisHealthChecker();
  RedisHealthChecker(const RedisHealthChecker&) = delete;
  RedisHealthChecker& operator=(const RedisHealthChecker&) = delete;

  void start();
  void stop();
  void set_result_callback(ResultCallback cb) { on_result_ = std::move(cb); }

  Health health() const { return counter_.health(); }
  // The last change to unhealthy came from the connection closing (not from failed checks);
  // cleared when healthy again.
  bool lost() const { return lost_; }
  // The check that made it unhealthy got no answer at all (timed out, no connection: a hung or
  // gone Redis), not an error reply; cleared when healthy again.
  bool unanswered() const { return unanswered_; }
  // The last INFO replication that parsed (with loading set when PING said LOADING).
  const std::optional<ReplicationInfo>& latest() const { return latest_; }
  const std::string& last_failure() const { return last_failure_; }
  const Stats& stats() const { return stats_; }
  const RedisHealthOptions& options() const { return options_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Check;

  void arm_timer();
  void run_check();
  void finish(const Check& check, const RedisResult& info);
  void on_lost(const std::string& why);
  // Connects to the server once more: refused means it is gone (count_lost); `again`: a
  // connection that still succeeds is tried once more kProbeAgain later.
  void probe(boost::asio::ip::tcp::endpoint at, std::string why, bool again);
  void count_lost(const std::string& reason);
  static constexpr std::chrono::milliseconds kProbeAgain{10};

  std::shared_ptr<RedisConnection> connection_;
  RedisHealthOptions options_;
  ChangeCallback on_change_;
  ResultCallback on_result_;
  HealthCounter counter_;
  boost::asio::steady_timer timer_;
  Clock::time_point next_tick_{};
  bool running_ = false;
  bool in_flight_ = false;  // a check waits for its answer
  bool due_ = false;        // a tick came meanwhile: the next check starts when it ends
  std::optional<ReplicationInfo> latest_;
  std::string last_failure_;
  bool lost_ = false;
  bool unanswered_ = false;
  Stats stats_;
  Lifetime lifetime_;
};

}  // namespace redvip::agent
