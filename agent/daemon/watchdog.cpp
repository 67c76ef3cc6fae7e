#include "agent/daemon/watchdog.hpp"

#include <algorithm>

namespace redvip::agent {

std::optional<std::chrono::microseconds> watchdog_ping_interval(std::chrono::microseconds timeout) {
  if (timeout <= std::chrono::microseconds::zero()) return std::nullopt;
  return std::max(timeout / 2, std::chrono::microseconds(1));
}

Watchdog::Watchdog(boost::asio::io_context& io, std::chrono::microseconds interval, Ping ping)
    : timer_(io), interval_(interval), ping_(std::move(ping)) {}

void Watchdog::start() {
  if (running_) return;
  running_ = true;
  ping_();
  arm();
}

void Watchdog::stop() {
  running_ = false;
  timer_.cancel();
}

void Watchdog::arm() {
  // From now, not from the last expiry: after a stall the next ping is one interval later
  // rather than a burst of the missed ones.
  timer_.expires_after(interval_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !running_) return;
    ping_();
    arm();
  });
}

}  // namespace redvip::agent
