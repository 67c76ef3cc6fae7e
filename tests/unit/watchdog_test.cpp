#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/daemon/systemd_notify.hpp"
#include "agent/daemon/watchdog.hpp"

using namespace std::chrono_literals;
using redvip::agent::Watchdog;
using redvip::agent::watchdog_ping_interval;
using redvip::agent::watchdog_timeout;
using Clock = std::chrono::steady_clock;

TEST_CASE("the watchdog pings at half its timeout, or not at all", "[watchdog]") {
  CHECK(watchdog_ping_interval(2s) == std::chrono::microseconds(1s));
  CHECK(watchdog_ping_interval(3000us) == std::chrono::microseconds(1500us));
  CHECK(watchdog_ping_interval(1us) == std::chrono::microseconds(1us));
  CHECK_FALSE(watchdog_ping_interval(0us));
  CHECK_FALSE(watchdog_ping_interval(-5us));
}

TEST_CASE("the watchdog timeout is the one systemd set for this process", "[watchdog]") {
  struct Env {
    ~Env() {
      ::unsetenv("WATCHDOG_USEC");
      ::unsetenv("WATCHDOG_PID");
    }
  } restore;
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  CHECK_FALSE(watchdog_timeout());

  ::setenv("WATCHDOG_USEC", "2000000", 1);
  CHECK(watchdog_timeout() == std::chrono::microseconds(2s));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(watchdog_timeout() == std::chrono::microseconds(2s));
  // Inherited from a parent that systemd watches: not ours.
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  CHECK_FALSE(watchdog_timeout());
  ::unsetenv("WATCHDOG_PID");
  ::setenv("WATCHDOG_USEC", "0", 1);
  CHECK_FALSE(watchdog_timeout());
  ::setenv("WATCHDOG_USEC", "soon", 1);
  CHECK_FALSE(watchdog_timeout());
}

namespace {
// Runs an io_context with a watchdog for `run_for`, doing `during` first; returns the ping times.
template <typename During>
std::vector<Clock::time_point> pings_over(std::chrono::milliseconds interval,
                                          std::chrono::milliseconds run_for, During during) {
  boost::asio::io_context io;
  std::vector<Clock::time_point> pings;
  Watchdog watchdog(io, interval, [&] { pings.push_back(Clock::now()); });
  watchdog.start();
  during(io);
  boost::asio::steady_timer end(io, run_for);
  end.async_wait([&](boost::system::error_code) { watchdog.stop(); });
  io.run();
  return pings;
}

std::chrono::milliseconds longest_gap(const std::vector<Clock::time_point>& pings) {
  std::chrono::milliseconds gap{0};
  for (std::size_t i = 1; i < pings.size(); ++i) {
    gap = std::max(gap,
                   std::chrono::duration_cast<std::chrono::milliseconds>(pings[i] - pings[i - 1]));
  }
  return gap;
}
}  // namespace

TEST_CASE("a running event loop pings every interval", "[watchdog]") {
  const auto pings = pings_over(20ms, 310ms, [](auto&) {});
  // At start, then every 20 ms: 16 in 310 ms, never more; a loaded machine may lose some.
  CHECK(pings.size() >= 5);
  CHECK(pings.size() <= 16);
  for (std::size_t i = 1; i < pings.size(); ++i) CHECK(pings[i] - pings[i - 1] >= 20ms);
}

TEST_CASE("a frozen event loop stops the pings for as long as it is frozen", "[watchdog]") {
  // A handler that blocks the loop for 150 ms, as a bug or SIGSTOP would: no ping comes from
  // anywhere else meanwhile, so systemd sees the freeze.
  const auto pings = pings_over(20ms, 300ms, [](boost::asio::io_context& io) {
    boost::asio::post(io, [] { std::this_thread::sleep_for(150ms); });
  });
  REQUIRE(pings.size() >= 2);
  CHECK(longest_gap(pings) >= 150ms);
  // ... and they resume once it runs again.
  CHECK(Clock::now() - pings.back() < 150ms);
}

TEST_CASE("a stopped watchdog sends nothing more", "[watchdog]") {
  boost::asio::io_context io;
  int pings = 0;
  Watchdog watchdog(io, 10ms, [&] { ++pings; });
  watchdog.start();
  CHECK(pings == 1);
  watchdog.stop();
  boost::asio::steady_timer wait(io, 50ms);
  wait.async_wait([](boost::system::error_code) {});
  io.run();
  CHECK(pings == 1);
}
