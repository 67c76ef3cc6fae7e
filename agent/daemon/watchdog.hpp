#pragma once
// systemd's watchdog (WatchdogSec= in redvip.service). The pings come from a timer on the
// daemon's own io_context, never from a thread of their own: when the event loop freezes (a bug,
// SIGSTOP) the pings stop, systemd kills the daemon, ExecStopPost removes the VIP it still holds
// while a peer has taken over, and Restart= brings it back.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace redvip::agent {

// How often to ping for a watchdog timeout: half of it, as sd_watchdog_enabled(3) advises, so a
// ping a little late costs nothing; only a loop frozen for about the whole timeout is killed.
// nullopt for no watchdog (a timeout of 0).
std::optional<std::chrono::microseconds> watchdog_ping_interval(std::chrono::microseconds timeout);

// Sends `ping` every `interval` from the io_context it runs on, first at start().
class Watchdog {
 public:
  using Ping = std::function<void()>;
  Watchdog(boost::asio::io_context& io, std::chrono::microseconds interval, Ping ping);
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void start();
  void stop();
  std::chrono::microseconds interval() const { return interval_; }

 private:
  void arm();

  boost::asio::steady_timer timer_;
  std::chrono::microseconds interval_;
  Ping ping_;
  bool running_ = false;
};

}  // namespace redvip::agent
