// Every instance's timers on one Asio timer: the last deadline armed wins, a cancelled timer
// stays silent, a removed one never fires, and callbacks may arm again.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <string>
#include <vector>

#include "agent/instance/timer_hub.hpp"

using namespace std::chrono_literals;
using redvip::agent::TimerHub;
using redvip::vrrp::Clock;

TEST_CASE("timer hub: the last deadline armed fires once, in deadline order", "[timer_hub]") {
  boost::asio::io_context io;
  TimerHub hub(io);
  std::vector<std::string> fired;
  std::vector<Clock::duration> at;
  const auto t0 = Clock::now();
  auto note = [&](std::string name) {
    return [&, name] {
      fired.push_back(name);
      at.push_back(Clock::now() - t0);
    };
  };
  const auto a = hub.add(note("a"));
  const auto b = hub.add(note("b"));
  const auto c = hub.add(note("c"));
  const auto d = hub.add(note("d"));
  hub.arm(a, t0 + 10ms);
  hub.arm(a, t0 + 60ms);  // moved later, as a backup's master-down at every advert
  hub.arm(b, t0 + 30ms);
  hub.arm(c, t0 + 20ms);
  hub.cancel(c);
  hub.arm(d, t0 + 40ms);
  hub.remove(d);  // its instance is gone
  io.run_for(150ms);
  CHECK(fired == std::vector<std::string>{"b", "a"});
  REQUIRE(at.size() == 2);
  CHECK(at[0] >= 30ms);
  CHECK(at[1] >= 60ms);
  CHECK(hub.queued() == 0);
}

TEST_CASE("timer hub: an earlier deadline brings the wait forward; a callback may re-arm",
          "[timer_hub]") {
  boost::asio::io_context io;
  TimerHub hub(io);
  int ticks = 0;
  TimerHub::Id id = 0;
  id = hub.add([&] {
    if (++ticks < 3) hub.arm(id, Clock::now() + 5ms);
  });
  const auto t0 = Clock::now();
  hub.arm(id, t0 + 1s);
  hub.arm(id, t0 + 5ms);  // earlier than what the Asio timer waits for
  io.run_for(200ms);
  CHECK(ticks == 3);
  CHECK(Clock::now() - t0 < 1s);
}

namespace {
// A watcher at 10 ms and an entry due 50 ms from now, both writing what happened to `events`
// ("resumed", "fired"); `told` is how late the watcher heard the hub was.
struct StallLog {
  explicit StallLog(TimerHub& hub) {
    watcher = hub.watch(10ms, [this](Clock::duration late) {
      events.push_back("resumed");
      told = late;
    });
    hub.arm(hub.add([this] { events.push_back("fired"); }), Clock::now() + 50ms);
  }
  std::vector<std::string> events;
  Clock::duration told{};
  TimerHub::Id watcher{};
};
}  // namespace

TEST_CASE("timer hub: a stall is told to the watchers before what fell due in it fires",
          "[timer_hub][stall]") {
  boost::asio::io_context io;
  TimerHub hub(io);
  StallLog log(hub);
  auto& events = log.events;
  // The process is frozen for 120 ms: the canary (due within 10 ms) and the 50-ms entry fire
  // only after it.
  boost::asio::post(io, [] { std::this_thread::sleep_for(120ms); });
  io.run_for(150ms);
  REQUIRE(events.size() >= 2);
  CHECK(events[0] == "resumed");
  CHECK(events[1] == "fired");
  CHECK(log.told >= 100ms);  // frozen 120 ms, the canary due at most 10 ms in
  hub.unwatch(log.watcher);
  io.restart();
  io.run_for(50ms);
  CHECK(hub.queued() == 0);  // no watcher: no canary left
}

TEST_CASE(
    "timer hub: awake() stands in for the canary and tells a stall once, before what fell due",
    "[timer_hub][stall]") {
  boost::asio::io_context io;
  TimerHub hub(io);
  hub.awake();  // nobody watches: nothing to do
  CHECK(hub.queued() == 0);
  StallLog log(hub);
  auto& events = log.events;
  // Frozen 120 ms, then the receive path reads packets (awake) before any timer runs.
  boost::asio::post(io, [&] {
    std::this_thread::sleep_for(120ms);
    hub.awake();
    events.push_back("packets");
  });
  io.run_for(150ms);
  // Told once, by awake(): the hub's own late timer does not tell it again.
  CHECK(events == std::vector<std::string>{"resumed", "packets", "fired"});
  CHECK(log.told >= 100ms);
  hub.unwatch(log.watcher);
}
