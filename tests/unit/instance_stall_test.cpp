// A stall of this host as a real instance sees it (fake ports, instance_fakes.hpp): it watches
// for stalls at its advert interval; a stall reported just before master-down gives the master
// its interval to speak (no takeover when it does, one when it does not), logs it and counts it.
#include <catch2/catch.hpp>

#include "instance_fakes.hpp"
#include "log_capture.hpp"

using namespace redvip::agent;
using namespace redvip::agent::test;
using namespace std::chrono_literals;
using Lines = std::vector<std::string>;
using redvip::vrrp::State;
using redvip::vrrp::TimerKind;

namespace {
// A backup of golden_settings() (100 ms adverts) following kHigher since t0 + 0: master-down
// would run out at 360.937 ms. The host is frozen from 40 ms to 340 ms, and on waking the hub
// reports it before the master-down deadline.
void follow_then_stall(InstanceHarness& h) {
  h.start();
  h.advert_from(kHigher, 200);
  REQUIRE(h.timers().deadline(TimerKind::master_down) == kT0 + 360937us);
  h.at(340);
  h.step([&] { h.timers().stall(300ms); });
}
}  // namespace

TEST_CASE("stall: an instance watches for stalls at its advert interval", "[instance][stall]") {
  QuietLogs quiet;
  InstanceHarness h;
  CHECK(h.timers().watch_period == std::optional<redvip::vrrp::Clock::duration>(100ms));
}

TEST_CASE("stall: the master that speaks within its interval after the stall keeps the role",
          "[instance][stall]") {
  QuietLogs quiet;
  InstanceHarness h;
  LogCapture logs;
  follow_then_stall(h);
  CHECK(h.timers().deadline(TimerKind::master_down) == kT0 + 440ms);  // resume + 100 ms
  h.at(400);
  CHECK(h.instance->state() == State::backup);
  h.advert_from(kHigher, 200);  // its overdue advert
  h.at(700);
  CHECK(h.instance->state() == State::backup);
  CHECK(h.instance->status().counters.master_down_deferred == 1);
  INFO(logs.text());
  CHECK(logs.has(
      "VI_1: this host ran nothing of ours for 300 ms (timers fired that late): the master gets "
      "100 ms to advertise before this backup takes over."));
}

TEST_CASE("stall: a master that stays silent is taken over from one interval after the stall",
          "[instance][stall]") {
  QuietLogs quiet;
  InstanceHarness h;
  follow_then_stall(h);
  h.take();
  h.at(439);
  CHECK(h.instance->state() == State::backup);
  h.at(441);
  CHECK(h.instance->state() == State::master);
  CHECK(h.take() == Lines{"440 advert prio=100", "440 vip+ 10.0.0.100/24 eth0",
                          "440 announce 10.0.0.100", "440 advert prio=100", "440 state MASTER"});
}

TEST_CASE("stall: not watched before start, and nothing moves for a master", "[instance][stall]") {
  QuietLogs quiet;
  InstanceHarness h;
  h.step([&] { h.timers().stall(300ms); });  // not started: ignored
  CHECK(h.take().empty());
  h.start();
  h.at(400);
  REQUIRE(h.instance->state() == State::master);
  h.take();
  h.step([&] { h.timers().stall(300ms); });
  CHECK(h.take().empty());
  CHECK(h.instance->status().counters.master_down_deferred == 0);
}
