// A transition's timeline: steps timed from the cause, the histogram of becoming master, and
// how status shows it with both Redis nodes' offsets and lag.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/control/status_details.hpp"
#include "agent/control/status_report.hpp"
#include "agent/instance/failover_timeline.hpp"
#include "tests/unit/status_pair.hpp"

using namespace redvip::agent;
using namespace std::chrono_literals;
using redvip::vrrp::State;

TEST_CASE("Timeline: steps count from the cause, a finished failover lands in the histogram",
          "[timeline]") {
  TimelineRecorder r;
  const redvip::vrrp::TimePoint t0{std::chrono::seconds(100)};
  r.begin(State::backup, State::master, "master down", t0, t0 + 200us,
          std::chrono::system_clock::now());
  r.step("redis promoted", t0 + 3ms);
  r.step("VIP added", t0 + 3300us);
  r.step("announced", t0 + 3400us);
  const auto done = r.finish();
  REQUIRE(done);
  CHECK(done->total() == 3400us);
  CHECK(done->text() ==
        "BACKUP -> MASTER (master down): cause seen +0.0 ms, decision +0.2 ms, redis promoted +3.0 "
        "ms, "
        "VIP added +3.3 ms, announced +3.4 ms");
  CHECK(done->json().find("\"steps\":[{\"step\":\"cause "
                          "seen\",\"at_ms\":0.000},{\"step\":\"decision\",\"at_ms\":0.200}") !=
        std::string::npos);
  CHECK(r.last());
  CHECK(r.master_durations().count == 1);
  CHECK(r.master_durations().buckets[0] == 0);  // 3.4 ms > 1 ms
  CHECK(r.master_durations().buckets[2] == 1);  // <= 5 ms
  CHECK_FALSE(r.finish());                      // nothing under way any more
}

TEST_CASE("Timeline: a failed promotion is not counted, the next transition starts a new one",
          "[timeline]") {
  TimelineRecorder r;
  const redvip::vrrp::TimePoint t0{std::chrono::seconds(5)};
  r.begin(State::backup, State::master, "master down", t0, t0, std::chrono::system_clock::now());
  r.step("redis promotion failed", t0 + 10ms);
  r.begin(State::master, State::fault, "promotion failed", t0 + 10ms, t0 + 10ms,
          std::chrono::system_clock::now());
  r.step("VIP removed", t0 + 11ms);
  r.finish();
  REQUIRE(r.last());
  CHECK(r.last()->to == State::fault);
  CHECK(r.last()->total() == 1ms);
  CHECK(r.master_durations().count == 0);
}

TEST_CASE("Timeline: only a transition that did something has steps to report", "[timeline]") {
  struct Row {
    State from, to;
    std::vector<std::string> steps;  // after the cause and the decision
    bool has_actions;
  };
  const Row rows[] = {
      {State::initialize, State::backup, {}, false},  // a start: nothing to time
      {State::backup, State::fault, {}, false},  // a backup's fault: nothing held, nothing done
      {State::fault, State::backup, {}, false},
      {State::backup, State::master, {"redis promoted", "VIP added", "announced"}, true},
      {State::backup, State::master, {"redis promotion failed"}, true},
      {State::master, State::backup, {"VIP removed", "redis told to follow"}, true},
  };
  for (const auto& row : rows) {
    TimelineRecorder r;
    const redvip::vrrp::TimePoint t0{std::chrono::seconds(1)};
    r.begin(row.from, row.to, "why", t0, t0, std::chrono::system_clock::now());
    for (const auto& step : row.steps) r.step(step, t0 + 1ms);
    const auto done = r.finish();
    REQUIRE(done);
    INFO(done->text());
    CHECK(done->has_actions() == row.has_actions);
  }
}

TEST_CASE("Transition lines: a node that waits says what for, leaving the wait says so",
          "[timeline]") {
  struct Row {
    State from, to;
    std::string reason, waiting_for;
    bool leaving_wait;
    std::string line;
  };
  const Row rows[] = {
      {State::initialize, State::fault,
       "startup while not eligible: redis health: first checks pending; redis sync: not yet "
       "checked",
       "redis health: first checks pending; redis sync: not yet checked", false,
       "INIT -> FAULT: started; waits for redis health: first checks pending; redis sync: not yet "
       "checked before it may be master"},
      {State::fault, State::backup, "eligible again", "", true,
       "FAULT -> BACKUP: the wait is over, it may be master"},
      // Pointed at a new master: a backup waits for the sync.
      {State::backup, State::fault, "not eligible: redis sync: following 10.0.0.1:6379: must sync",
       "redis sync: following 10.0.0.1:6379: must sync", false,
       "BACKUP -> FAULT: waits for redis sync: following 10.0.0.1:6379: must sync before it may be "
       "master"},
      {State::fault, State::initialize, "shutdown", "redis sync: not yet checked", true,
       "FAULT -> INIT: shutdown"},
      // A master that must stop serving is a fault, whatever the cause.
      {State::master, State::fault, "not eligible: redis sync: restarted", "redis sync: restarted",
       false, "MASTER -> FAULT: not eligible: redis sync: restarted"},
      // A fault is one: its words stay.
      {State::backup, State::fault, "not eligible: link eth0: down", "", false,
       "BACKUP -> FAULT: not eligible: link eth0: down"},
      {State::initialize, State::fault, "startup while not eligible: link eth0: down", "", false,
       "INIT -> FAULT: startup while not eligible: link eth0: down"},
      {State::fault, State::backup, "eligible again", "", false, "FAULT -> BACKUP: eligible again"},
      {State::initialize, State::backup, "startup", "", false, "INIT -> BACKUP: startup"},
  };
  for (const auto& row : rows)
    CHECK(transition_text(row.from, row.to, row.reason, row.waiting_for, row.leaving_wait) ==
          row.line);
}

TEST_CASE("Status: Redis offsets and lag, the last transition, metrics", "[timeline]") {
  auto [master, replica] = redvip::test::status_pair();
  replica.redis.master_offset = RedisStatusView::MasterOffset{"10.0.0.1:6379", 1250, 1180, 300ms};

  const std::string text = render_text({master, replica});
  INFO(text);
  CHECK(text.find("  redis: master offset 1200; replica 10.0.0.2:6379 online offset 1180 (20 bytes "
                  "behind)\n") != std::string::npos);
  CHECK(text.find("  redis: replica of 10.0.0.1:6379, link up, offset 1180, last I/O 0 s ago; "
                  "master offset 1250, 70 bytes behind (read 0.3 s ago)\n") != std::string::npos);
  CHECK(text.find(": BACKUP -> MASTER (master down): cause seen +0.0 ms, decision +0.0 ms, "
                  "announced +20.0 ms\n") != std::string::npos);

  InstanceView alone = master;
  alone.redis.replication->replicas.clear();
  CHECK(render_text({alone}).find(
            "  redis: master offset 1200; no replica connected: a stop now pauses writes "
            "for handover_timeout, then drops the VIP\n") != std::string::npos);

  // Not read yet (or its master does not answer as one): unknown, not our own offset.
  InstanceView unread = replica;
  unread.redis.master_offset.reset();
  CHECK(render_text({unread}).find("last I/O 0 s ago; master offset unknown\n") !=
        std::string::npos);
  CHECK(render_json({unread}).find(
            "\"master_offset\":null,\"lag_bytes\":null,\"master_offset_age_ms\":null") !=
        std::string::npos);
  CHECK(render_prometheus({unread}).find("redvip_redis_lag_bytes{") == std::string::npos);

  const std::string json = render_json({master, replica});
  INFO(json);
  CHECK(json.find("\"replica_offset\":1180,\"master_last_io_seconds_ago\":0,\"master_offset\":"
                  "1250,\"lag_bytes\":70,\"master_offset_age_ms\":300,\"replicas\":[]") !=
        std::string::npos);
  CHECK(json.find("\"redis\":{\"healthy\":true,\"role\":\"master\",\"detail\":\"\","
                  "\"peer_loss_pauses\":0,\"writes_held_for_silent_peer\":false,\"stalled_streams_"
                  "restarted\":0,"
                  "\"replication\":"
                  "{\"role\":\"master\","
                  "\"offset\":1200,\"replicas\":[{\"address\":\"10.0.0.2:6379\",\"state\":"
                  "\"online\",\"offset\":1180,"
                  "\"lag_bytes\":20,\"lag_seconds\":0}]}}") != std::string::npos);
  CHECK(json.find("\"last_transition_timeline\":{\"from\":\"BACKUP\",\"to\":\"MASTER\"") !=
        std::string::npos);

  const std::string metrics = render_prometheus({master, replica});
  INFO(metrics);
  CHECK(metrics.find(
            "redvip_failover_duration_seconds_bucket{instance=\"redis_vip\",le=\"0.025\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.find(
            "redvip_failover_duration_seconds_bucket{instance=\"redis_vip\",le=\"0.01\"} 0\n") !=
        std::string::npos);
  CHECK(metrics.find("redvip_failover_duration_seconds_count{instance=\"redis_vip\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.find("redvip_redis_replica_lag_bytes{instance=\"redis_vip\",replica=\"10.0.0.2:"
                     "6379\"} 20\n") != std::string::npos);
  CHECK(metrics.find("redvip_redis_offset{instance=\"other\",role=\"replica\"} 1180\n") !=
        std::string::npos);
  CHECK(metrics.find("redvip_redis_master_link_up{instance=\"other\"} 1\n") != std::string::npos);
  CHECK(metrics.find("redvip_redis_lag_bytes{instance=\"other\"} 70\n") != std::string::npos);
}
