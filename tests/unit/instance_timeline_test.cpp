// The failover timeline as a real instance records it (fake ports, instance_fakes.hpp): the
// Redis step with its time between the decision and the VIP, in status and in the log's
// `timeline:` line; transitions with nothing to time (a start, a wait for Redis) write no such
// line, and a node that waits for its Redis says what it waits for.
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

std::optional<std::chrono::microseconds> step_at(const FailoverTimeline& t,
                                                 const std::string& what) {
  for (const auto& step : t.steps)
    if (step.what == what) return step.at;
  return std::nullopt;
}

Lines step_names(const FailoverTimeline& t) {
  Lines out;
  for (const auto& step : t.steps) out.push_back(step.what);
  return out;
}

}  // namespace

TEST_CASE("timeline: a takeover records its Redis promotion with its time, in status and the log",
          "[instance][timeline]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.hooks.answer.reset();  // Redis answers when the test says
  h.start();
  const auto master_down = h.timers().deadline(TimerKind::master_down);
  REQUIRE(master_down);
  h.take();
  LogCapture logs;
  h.at(361);  // master-down (360.9 ms) runs out: the promotion is asked for
  REQUIRE(h.take() ==
          Lines{"360 advert prio=100", "360 redis promote live=none", "360 state MASTER"});
  h.at(365);
  h.step([&] { h.hooks.answer_promotion(true); });  // Redis is master 4.1 ms after the cause
  CHECK(h.take() ==
        Lines{"365 vip+ 10.0.0.100/24 eth0", "365 announce 10.0.0.100", "365 advert prio=100"});

  const auto status = h.instance->status();
  REQUIRE(status.last_timeline);
  const auto& t = *status.last_timeline;
  CHECK(t.from == State::backup);
  CHECK(t.to == State::master);
  CHECK(step_names(t) ==
        Lines{"cause seen", "decision", "redis promoted", "VIP added", "announced"});
  const auto promoted = kT0 + 365ms - *master_down;  // from the cause: the master-down expiry
  CHECK(step_at(t, "redis promoted") ==
        std::chrono::duration_cast<std::chrono::microseconds>(promoted));
  CHECK(step_at(t, "decision") == 0us);
  CHECK(status.master_durations.count == 1);

  INFO(logs.text());
  CHECK(logs.has("VI_1: timeline: BACKUP -> MASTER ("));
  CHECK(
      logs.has("): cause seen +0.0 ms, decision +0.0 ms, redis promoted +4.1 ms, VIP added "
               "+4.1 ms, announced +4.1 ms\n"));
}

TEST_CASE("timeline: stepping down records the VIP removed and Redis told to follow",
          "[instance][timeline]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.start();
  h.at(400);
  REQUIRE(h.instance->state() == State::master);
  LogCapture logs;
  h.at(500);
  h.step([&] { h.instance->set_blocked("link eth0", true, "down"); });
  REQUIRE(h.instance->state() == State::fault);
  const auto status = h.instance->status();
  REQUIRE(status.last_timeline);
  CHECK(step_names(*status.last_timeline) ==
        Lines{"cause seen", "decision", "VIP removed", "redis told to follow"});
  INFO(logs.text());
  CHECK(
      logs.has("VI_1: timeline: MASTER -> FAULT (not eligible: link eth0: down): cause seen "
               "+0.0 ms, decision +0.0 ms, VIP removed +0.0 ms, redis told to follow +0.0 ms\n"));
  CHECK(status.master_durations.count == 1);  // only becoming master is a failover duration
}

TEST_CASE("timeline: a start has nothing to time and writes no timeline line",
          "[instance][timeline]") {
  LogCapture logs;
  InstanceHarness h;
  h.start();
  INFO(logs.text());
  CHECK(logs.has("VI_1: INIT -> BACKUP: startup\n"));
  CHECK_FALSE(logs.has("timeline:"));
  // Status still shows it: it is the last transition.
  REQUIRE(h.instance->status().last_timeline);
  CHECK(h.instance->status().last_timeline->to == State::backup);
}

TEST_CASE("timeline: a start that waits for its Redis says so, once, and says when it is over",
          "[instance][timeline]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  // What the role controller sets before the instance starts.
  h.instance->set_blocked("redis health", true, "first checks pending");
  h.instance->set_blocked("redis sync", true, "not yet checked");
  LogCapture logs;
  h.start();
  h.at(100);
  h.instance->set_blocked("redis health", false);
  h.instance->set_blocked("redis sync", true, "synced from 10.0.0.6:6379, catching up");
  h.at(200);
  CHECK(h.take() == Lines{"0 state FAULT"});  // never Backup before it may be one
  {
    const auto status = h.instance->status();
    CHECK(status.state == State::fault);
    CHECK(status.not_eligible_because == "redis sync: synced from 10.0.0.6:6379, catching up");
    CHECK(status.counters.transitions == 1);
  }
  h.step([&] { h.instance->set_blocked("redis sync", false); });
  CHECK(h.take() == Lines{"200 state BACKUP"});
  CHECK(h.instance->status().not_eligible_because.empty());

  INFO(logs.text());
  CHECK(
      logs.has("VI_1: INIT -> FAULT: started; waits for redis health: first checks pending; "
               "redis sync: not yet checked before it may be master\n"));
  CHECK(logs.has("VI_1: FAULT -> BACKUP: the wait is over, it may be master\n"));
  CHECK_FALSE(logs.has("BACKUP -> FAULT"));
  CHECK_FALSE(logs.has("not eligible"));
  CHECK_FALSE(logs.has("timeline:"));
}

TEST_CASE("timeline: a backup pointed at a new master waits for its sync; a master faults",
          "[instance][timeline]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.start();
  h.at(100);
  LogCapture logs;
  h.step([&] {
    h.instance->set_blocked("redis sync", true, "following 10.0.0.6:6379: must sync from it first");
  });
  CHECK(h.instance->status().state == State::fault);  // status says what it is
  h.step([&] { h.instance->set_blocked("redis sync", false); });
  h.at(1000);  // master-down from the Fault's end: master
  REQUIRE(h.instance->state() == State::master);
  h.step([&] { h.instance->set_blocked("redis sync", true, "redis restarted"); });
  INFO(logs.text());
  CHECK(
      logs.has("VI_1: BACKUP -> FAULT: waits for redis sync: following 10.0.0.6:6379: must sync "
               "from it first before it may be master\n"));
  CHECK(logs.has("VI_1: FAULT -> BACKUP: the wait is over, it may be master\n"));
  CHECK(logs.has("VI_1: MASTER -> FAULT: not eligible: redis sync: redis restarted\n"));
}

TEST_CASE("timeline: a fault after the start still reads as one", "[instance][timeline]") {
  QuietLogs quiet;
  InstanceHarness h(golden_settings(), true);
  h.start();
  h.at(100);
  LogCapture logs;
  h.step([&] { h.instance->set_blocked("link eth0", true, "down"); });
  h.step([&] { h.instance->set_blocked("link eth0", false); });
  INFO(logs.text());
  CHECK(logs.has("VI_1: BACKUP -> FAULT: not eligible: link eth0: down\n"));
  CHECK(logs.has("VI_1: FAULT -> BACKUP: eligible again\n"));
}
