// The failover timeline as a real instance records it (fake ports, instance_fakes.hpp): the
// Redis step with its time between the decision and the VIP, in status and in the log's
// `timeline:` line; a transition with nothing to time (a start) writes no such line.
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
