// The planned switchover (redvipctl handover) and the direct hand-off of RedisRoleController,
// against the fake Redis group (redis_fake_nodes.hpp): the successor's Redis is promoted only
// once it holds every write and while ours are paused, the release comes after that, our Redis
// follows and its clients are dropped before the pause lifts; a switchover that cannot hand
// over is refused with nothing changed; the successor takes over as soon as the release made
// its Redis master; a master whose Redis connection closed promotes the replica with the most
// data.
#include <catch2/catch.hpp>

#include "agent/redis/roles/role_controller.hpp"
#include "tests/unit/redis_fake_nodes.hpp"
#include "tests/unit/redis_fake_server.hpp"

using namespace redvip::agent;
using namespace redvip::test;
using namespace std::chrono_literals;
namespace vrrp = redvip::vrrp;

namespace {

struct SwitchRig {
  SwitchRig() {
    settings.name = "vi_test";
    settings.advert_interval = vrrp::Centiseconds{1};
    RedisSettings r;
    r.peer_port = 6379;
    r.check_timeout = 50ms;
    r.handover_timeout = 300ms;
    r.peers = {ip(k_n2), ip(k_n3)};  // as the parser resolves them (only peers are followed)
    settings.redis = r;
  }
  void start() {
    controller = std::make_unique<RedisRoleController>(io, settings, instance, group);
    controller->start();
    controller->on_health(Health::healthy, "redis answers");
  }
  void check() {
    auto& n = group->local_node();
    controller->on_check(group->info(n), n.connects);
  }
  bool run(const std::function<bool()>& done, std::chrono::milliseconds limit = 2s) {
    return run_until(io, done, limit);
  }
  void run_for(std::chrono::milliseconds d) {
    run_until(
        io, [] { return false; }, d);
  }

  // Our Redis (empty) and n2 (a master holding 7000 bytes, 70 keys), then ours a synced replica
  // of n2 with the gate open, as a backup before n2 releases. Returns ours.
  FakeNode& start_synced_to_n2() {
    auto& us = group->add(k_us, RedisRole::master, 0, 0);
    group->add(k_n2, RedisRole::master, 7000, 70);
    start();
    group->replicate(k_us, k_n2);
    controller->master_seen(ip(k_n2), kAdvertInterval);
    REQUIRE(run([&] {
      check();
      return !instance.is_blocked("redis sync");
    }));
    return us;
  }

  // We take over (nobody announced) and serve, the checks seeing our Redis master all along,
  // for longer than kHandOffMasterWindow: no release hands our Redis over any more.
  void take_over_and_serve() {
    std::optional<bool> ok;
    controller->promote(std::nullopt, false, [&](bool good, const std::string&) { ok = good; });
    REQUIRE(run([&] { return ok.has_value(); }));
    REQUIRE(*ok);
    const auto until = std::chrono::steady_clock::now() + 2 * kHandOffMasterWindow;
    while (std::chrono::steady_clock::now() < until) {
      check();
      run_for(20ms);
    }
  }

  // redvipctl handover; the instance's release is journaled with what held at that moment.
  void switchover(std::optional<std::string> to = std::nullopt) {
    controller->switchover(
        std::move(to),
        [this](const std::optional<vrrp::IpAddress>& successor, std::function<void()> released) {
          group->journal.push_back("released to " +
                                   (successor ? successor->to_string() : "nobody"));
          paused_at_release = group->local_node().paused;
          released();
        },
        [this](RedisRoleController::SwitchoverResult r) { result = std::move(r); });
  }

  boost::asio::io_context io;
  std::shared_ptr<FakeGroup> group = std::make_shared<FakeGroup>(k_us);
  FakeInstance instance{k_us};
  InstanceSettings settings;
  std::unique_ptr<RedisRoleController> controller;
  std::optional<RedisRoleController::SwitchoverResult> result;
  bool paused_at_release = false;
};

}  // namespace

TEST_CASE("switchover: the successor holds every write before the release and its promotion") {
  SwitchRig rig;
  auto& us = rig.group->add(k_us, RedisRole::master, 100000, 100);
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 0, 0);
  rig.start();
  rig.group->replicate(k_n2, k_us);
  us.writes_per_look = 100;  // clients keep writing until the pause
  n2.stream_per_look = 40;
  us.offset += 2000;  // n2 lags behind
  us.last_write_offset = us.offset;

  rig.switchover();
  REQUIRE(rig.run([&] { return rig.result.has_value(); }));
  CHECK(rig.result->ok);
  CHECK(rig.result->successor == ip(k_n2));
  CHECK(rig.paused_at_release);
  // Every write our Redis accepted is on n2 when n2 starts accepting its own.
  CHECK(n2.promoted_at == us.last_write_offset);
  const auto& j = *rig.group;
  CHECK(j.position("10.0.0.1 CLIENT PAUSE WRITE") < j.position("released to 10.0.0.2"));
  CHECK(j.position("released to 10.0.0.2") < j.position("10.0.0.2 REPLICAOF NO ONE"));
  CHECK(j.position("10.0.0.2 REPLICAOF NO ONE") < j.position("10.0.0.1 REPLICAOF 10.0.0.2 6379"));
  CHECK(j.position("10.0.0.1 REPLICAOF 10.0.0.2 6379") <
        j.position("10.0.0.1 CLIENT KILL normal pubsub"));
  CHECK(j.position("10.0.0.1 CLIENT KILL normal pubsub") < j.position("10.0.0.1 CLIENT UNPAUSE"));
  CHECK(us.role == RedisRole::replica);
  CHECK_FALSE(us.paused);
}

TEST_CASE("switchover: --to hands over to that replica") {
  SwitchRig rig;
  rig.group->add(k_us, RedisRole::master, 5000, 10);
  rig.group->add(k_n2, RedisRole::master, 0, 0);
  auto& n3 = rig.group->add(k_n3, RedisRole::master, 0, 0);
  rig.start();
  rig.group->replicate(k_n2, k_us);
  rig.group->replicate(k_n3, k_us);
  rig.switchover(k_n3);
  REQUIRE(rig.run([&] { return rig.result.has_value(); }));
  CHECK(rig.result->ok);
  CHECK(rig.result->successor == ip(k_n3));
  CHECK(n3.role == RedisRole::master);
  CHECK_FALSE(rig.group->has("10.0.0.2 REPLICAOF NO ONE"));
}

TEST_CASE("switchover: refused with nothing changed when it cannot hand over") {
  SwitchRig rig;
  auto& us = rig.group->add(k_us, RedisRole::master, 5000, 10);
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 0, 0);
  rig.group->add(k_n3, RedisRole::master, 0, 0);
  rig.start();

  SECTION("no replica connected") {
    rig.switchover();
    REQUIRE(rig.run([&] { return rig.result.has_value(); }));
    CHECK(rig.result->message == "no replica connected");
    CHECK(rig.group->journal.empty());
  }
  SECTION("--to names no replica of ours") {
    rig.group->replicate(k_n2, k_us);
    rig.switchover(k_n3);
    REQUIRE(rig.run([&] { return rig.result.has_value(); }));
    CHECK(rig.result->message == "10.0.0.3 is not a replica of our redis");
    CHECK(rig.group->journal.empty());
  }
  SECTION("our Redis is not master") {
    rig.group->replicate(k_us, k_n2);
    rig.switchover();
    REQUIRE(rig.run([&] { return rig.result.has_value(); }));
    CHECK(rig.result->message == "our redis is not master");
    CHECK(rig.group->journal.empty());
  }
  SECTION("no replica catches up within handover_timeout: writes resumed") {
    rig.group->replicate(k_n2, k_us);
    us.offset += 1000;
    n2.stream_per_look = 0;  // its stream is stuck
    rig.switchover();
    REQUIRE(rig.run([&] { return rig.result.has_value(); }));
    CHECK(rig.result->message.find("caught up with offset 6000") != std::string::npos);
    CHECK(rig.group->journal ==
          std::vector<std::string>{"10.0.0.1 CLIENT PAUSE WRITE", "10.0.0.1 CLIENT UNPAUSE"});
  }
  SECTION("the only replica has replica-priority 0: never chosen, writes resumed") {
    rig.group->replicate(k_n2, k_us);
    n2.replica_priority = 0;  // caught up, but the operator keeps it a replica
    rig.switchover();
    REQUIRE(rig.run([&] { return rig.result.has_value(); }));
    CHECK(rig.result->message.find("replica-priority 0 never is") != std::string::npos);
    CHECK_FALSE(rig.group->has("10.0.0.2 REPLICAOF NO ONE"));
    CHECK(rig.group->journal ==
          std::vector<std::string>{"10.0.0.1 CLIENT PAUSE WRITE", "10.0.0.1 CLIENT UNPAUSE"});
  }
  CHECK_FALSE(rig.result->ok);
  CHECK_FALSE(rig.group->has("released to 10.0.0.2"));
  CHECK_FALSE(us.paused);
}

TEST_CASE("switchover: a promotion that fails after the release is reported, writes resumed") {
  SwitchRig rig;
  auto& us = rig.group->add(k_us, RedisRole::master, 5000, 10);
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 0, 0);
  rig.start();
  rig.group->replicate(k_n2, k_us);
  n2.confirms_promotion = false;
  rig.switchover();
  REQUIRE(rig.run([&] { return rig.result.has_value(); }));
  CHECK_FALSE(rig.result->ok);
  CHECK(rig.result->message.find("released, but REPLICAOF NO ONE on 10.0.0.2:6379 failed") == 0);
  CHECK(rig.group->position("released to 10.0.0.2") <
        rig.group->position("10.0.0.2 REPLICAOF NO ONE"));
  CHECK(rig.group->has("10.0.0.1 CLIENT UNPAUSE"));
  CHECK_FALSE(us.paused);
}

TEST_CASE("switchover on a stop: nobody caught up, it releases all the same") {
  SwitchRig rig;
  auto& us = rig.group->add(k_us, RedisRole::master, 5000, 10);
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 0, 0);
  rig.start();
  rig.group->replicate(k_n2, k_us);
  us.offset += 1000;
  n2.stream_per_look = 0;
  bool released = false, done = false;
  rig.controller->handover(
      [&](std::function<void()> r) {
        released = true;
        r();
      },
      [&] { done = true; });
  REQUIRE(rig.run([&] { return done; }));
  CHECK(released);
  CHECK_FALSE(rig.group->has("10.0.0.2 REPLICAOF NO ONE"));
  CHECK(rig.group->has("10.0.0.1 CLIENT UNPAUSE"));
}

TEST_CASE("hand-off: the successor is told once the release made its Redis master") {
  SwitchRig rig;
  auto& us = rig.start_synced_to_n2();
  rig.group->journal.clear();  // following it (REPLICAOF, CLIENT UNPAUSE) is not the point here
  bool told = false;
  rig.controller->master_released(ip(k_n2), [&] { told = true; });
  rig.run_for(20ms);
  CHECK_FALSE(told);  // still a replica
  // The old master's switchover promotes our Redis.
  us.role = RedisRole::master;
  us.link_up = false;
  REQUIRE(rig.run([&] { return told; }));
  // promote() finds our Redis master: no REPLICAOF NO ONE, no pause of the old master.
  std::optional<bool> ok;
  rig.controller->promote(ip(k_n2), true, [&](bool good, const std::string&) { ok = good; });
  REQUIRE(rig.run([&] { return ok.has_value(); }));
  CHECK(*ok);
  CHECK(rig.group->journal.empty());
}

TEST_CASE("hand-off: a release that did not make our Redis master tells nothing") {
  SwitchRig rig;
  rig.group->add(k_us, RedisRole::master, 0, 0);
  rig.group->add(k_n2, RedisRole::master, 7000, 70);
  rig.start();
  rig.group->replicate(k_us, k_n2);
  rig.check();  // seen following n2: the release is n2's to hand over, and it did not
  bool told = false;
  rig.controller->master_released(ip(k_n2), [&] { told = true; });
  rig.run_for(400ms);  // past kHandOffWait
  CHECK_FALSE(told);
}

TEST_CASE("hand-off: a release by a master ours did not follow hands nothing over") {
  SwitchRig rig;
  rig.group->add(k_n3, RedisRole::master, 0, 0);
  auto& us = rig.start_synced_to_n2();
  bool told = false;

  SECTION("the releaser is another node: our Redis followed n2, n3 released") {
    rig.controller->master_released(ip(k_n3), [&] { told = true; });
  }
  SECTION("our Redis has been master long since it last followed the releaser") {
    // We took over (n2 silent) and serve; n2 returns, and releases before it made ours its
    // replica: our Redis was master all along, not made master by that release.
    rig.take_over_and_serve();
    rig.controller->master_released(ip(k_n2), [&] { told = true; });
  }
  us.role = RedisRole::master;  // whatever made it master, it was no hand-off
  us.link_up = false;
  rig.run_for(400ms);  // past kHandOffWait
  CHECK_FALSE(told);
}

TEST_CASE("hand-off: after a split brain, the keeper's release hands the VIP to our data at once") {
  SwitchRig rig;
  auto& us = rig.start_synced_to_n2();
  auto& n2 = rig.group->node(k_n2);
  // The split: n2 silent, we took over and served a while (no ordinary hand-off is ours now,
  // see above); n2, a master all along, is heard again.
  n2.silent = true;
  rig.take_over_and_serve();
  n2.silent = false;
  // We yielded to its priority; our Redis waits, a master, for its verdict. Its release says
  // our data keeps: the VIP comes to us now, not after the skew time.
  rig.controller->split_brain(ip(k_n2), 150, true);
  rig.run_for(20ms);
  REQUIRE(us.role == RedisRole::master);
  bool told = false;
  rig.controller->master_released(ip(k_n2), [&] { told = true; });
  CHECK(rig.run([&] { return told; }, 100ms));
}

TEST_CASE(
    "hand-off: a master whose Redis does not answer promotes the replica with the most data") {
  SwitchRig rig;
  // What a hung Redis executes when it resumes can be kept (stale_master.cpp).
  rig.settings.redis->diverged_writes_dir = "/nonexistent/diverged";
  auto& us = rig.group->add(k_us, RedisRole::master, 9000, 90);
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 0, 0);
  auto& n3 = rig.group->add(k_n3, RedisRole::master, 0, 0);
  rig.start();
  rig.group->replicate(k_n2, k_us);
  rig.group->replicate(k_n3, k_us);
  n2.offset -= 500;  // n3 got further
  rig.check();       // the last good check lists both replicas
  us.reachable = false;

  SECTION("connection closed: promoted at once") {
    rig.controller->on_health(Health::unhealthy, "connection lost: server closed the connection",
                              true);
    rig.controller->demoted(std::nullopt);
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.3 REPLICAOF NO ONE"); }));
    CHECK_FALSE(rig.group->has("10.0.0.2 REPLICAOF NO ONE"));
    CHECK(n3.role == RedisRole::master);
  }
  SECTION("the one with the most data has replica-priority 0: the other is promoted") {
    n3.replica_priority = 0;
    rig.controller->on_health(Health::unhealthy, "connection lost: server closed the connection",
                              true);
    rig.controller->demoted(std::nullopt);
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.2 REPLICAOF NO ONE"); }));
    CHECK_FALSE(rig.group->has("10.0.0.3 REPLICAOF NO ONE"));
  }
  SECTION("checks that got no answer (hung): promoted at once too") {
    // What it executes when it resumes is saved before it follows (stale_master.cpp).
    rig.controller->on_health(Health::unhealthy, "PING: no reply before its deadline", false, true);
    rig.controller->demoted(std::nullopt);
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.3 REPLICAOF NO ONE"); }));
  }
  SECTION("checks answered with errors (it may still serve): nobody is promoted") {
    // The successor's catch-up pauses a Redis that answers; promoting past it could not.
    rig.controller->on_health(Health::unhealthy, "PING: NOAUTH Authentication required", false,
                              false);
    rig.controller->demoted(std::nullopt);
    rig.run_for(50ms);
    CHECK_FALSE(rig.group->has("10.0.0.3 REPLICAOF NO ONE"));
    CHECK_FALSE(rig.group->has("10.0.0.2 REPLICAOF NO ONE"));
  }
}

TEST_CASE("hand-off: a hung Redis with nowhere to save its later writes is left to the catch-up") {
  // No diverged_writes_dir: what the Redis executes when it resumes could not be kept, so the
  // successor takes over after its skew time and its catch-up pauses a Redis that answers again.
  SwitchRig rig;
  auto& us = rig.group->add(k_us, RedisRole::master, 9000, 90);
  rig.group->add(k_n2, RedisRole::master, 0, 0);
  rig.start();
  rig.group->replicate(k_n2, k_us);
  rig.check();
  us.reachable = false;
  rig.controller->on_health(Health::unhealthy, "PING: no reply before its deadline", false, true);
  rig.controller->demoted(std::nullopt);
  rig.run_for(50ms);
  CHECK_FALSE(rig.group->has("10.0.0.2 REPLICAOF NO ONE"));
}
