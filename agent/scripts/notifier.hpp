#pragma once
// One instance's notifications: after each finished transition, its notify scripts run one at a
// time, in order, each killed at the notify timeout, and a line goes to the notify fifo. A
// script's exit status is logged and counted; it never changes what the instance does. Owned
// through a shared_ptr: a notifier whose instance is gone still runs what it has queued (the
// notify_stop of a stopping instance), bounded by the queue's size.
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "agent/config/settings.hpp"
#include "agent/log/log_limiter.hpp"
#include "agent/scripts/notification.hpp"
#include "agent/scripts/script_runner.hpp"

namespace redvip::agent {

struct NotifierCounters {
  std::uint64_t runs = 0;
  std::uint64_t failed = 0;  // non-zero exit, signal, not started
  std::uint64_t timed_out = 0;
  std::uint64_t dropped = 0;  // queue full, or the fifo would block
};

class Notifier : public std::enable_shared_from_this<Notifier> {
 public:
  // At most this many scripts wait; beyond, the oldest waiting one is dropped (and logged): a
  // flapping instance must not queue without end behind a slow script.
  static constexpr std::size_t kMaxQueued = 32;

  Notifier(ScriptRunner& runner, std::string instance, NotifySettings settings,
           NotifyKind kind = NotifyKind::instance);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void notify(NotifyState state, std::uint8_t priority);
  bool idle() const { return !running_ && queue_.empty(); }
  const NotifierCounters& counters() const { return counters_; }

 private:
  void next();
  void write_fifo(const std::string& line);

  ScriptRunner& runner_;
  std::string instance_;
  NotifySettings settings_;
  NotifyKind kind_;
  std::deque<ScriptCall> queue_;
  bool running_ = false;
  int fifo_ = -1;
  NotifierCounters counters_;
  LogLimiter limiter_{std::chrono::seconds(10)};
};

}  // namespace redvip::agent
