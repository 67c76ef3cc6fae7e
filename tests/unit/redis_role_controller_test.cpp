// The Redis role changes of RedisRoleController, run against a fake group of Redis servers and a
// fake instance (redis_fake_nodes.hpp). Each rule of the design has a test that fails when the
// rule breaks: no promotion of an unsynced, restarted-empty or stale (hung while another node
// took over) Redis, no VIP before REPLICAOF NO ONE is confirmed, no takeover of a live master
// before its last write is ours, no demotion without dropping the clients, no handover release
// before a replica has every write; and a controller that stops or goes away mid-sequence is
// never called back into.
#include "tests/unit/redis_fake_nodes.hpp"

#include <catch2/catch.hpp>

#include "agent/redis/roles/role_controller.hpp"
#include "tests/unit/redis_fake_server.hpp"

using namespace redvip::agent;
using namespace redvip::test;
using namespace std::chrono_literals;
namespace vrrp = redvip::vrrp;

namespace {

InstanceSettings settings_for_test(std::vector<vrrp::IpAddress> unicast_peers = {}) {
  InstanceSettings s;
  s.name = "vi_test";
  s.advert_interval = vrrp::Centiseconds{1};
  s.unicast_peers = std::move(unicast_peers);
  for (const char* vip : {"10.0.0.100", "fd00::100"}) {
    VirtualAddress v;
    v.address = ip(vip);
    s.vips.push_back(v);
  }
  RedisSettings r;
  // As the parser resolves it: the unicast peers, else the block's peers { }.
  r.peers =
      s.unicast_peers.empty() ? std::vector<vrrp::IpAddress>{ip(k_n2), ip(k_n3)} : s.unicast_peers;
  r.peer_port = 6379;
  r.check_timeout = 50ms;
  r.handover_timeout = 300ms;
  s.redis = r;
  return s;
}

// One controller on a fake group whose local Redis is k_us, with the instance's side recorded.
struct Rig {
  explicit Rig(InstanceSettings s = settings_for_test()) : settings(std::move(s)) {}

  void start() {
    controller = std::make_unique<RedisRoleController>(io, settings, instance, group);
    controller->start();
    controller->on_health(Health::healthy, "redis answers");
  }
  // One health check of the local Redis, as the checker reports it.
  void check() {
    auto& n = group->local_node();
    controller->on_check(group->info(n), n.connects);
  }
  // Checks every 5 ms until `done` (or the limit).
  bool check_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 2s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < end) {
      check();
      run_for(5ms);
    }
    return done();
  }
  void run_for(std::chrono::milliseconds d) {
    run_until(
        io, [] { return false; }, d);
  }
  bool run(const std::function<bool()>& done, std::chrono::milliseconds limit = 2s) {
    return run_until(io, done, limit);
  }
  // RoleHooks::promote as the instance calls it: the VIP goes up only on done(true). A live
  // master is one we preempt unless `released` (it sent priority 0).
  void promote(std::optional<vrrp::IpAddress> live_master = std::nullopt, bool released = false) {
    answer.reset();
    controller->promote(live_master, released, [this](bool ok, const std::string& why) {
      answer = std::make_pair(ok, why);
      if (ok) group->journal.push_back("VIP added");
    });
  }
  bool answered() const { return answer.has_value(); }
  // A synced replica of n2 whose gate is open.
  void synced_replica_of_n2() {
    group->replicate(k_us, k_n2);
    controller->master_seen(ip(k_n2), kAdvertInterval);
    REQUIRE(check_until([&] { return !instance.is_blocked("redis sync"); }));
  }
  // The usual start: our Redis (empty) and n2 (a master with `n2_offset` bytes of history and
  // 100 keys), then ours a synced replica of n2 with the gate open. Returns n2.
  FakeNode& start_synced_to_n2(long long n2_offset = 5000) {
    group->add(k_us, RedisRole::master, 0, 0);
    auto& n2 = group->add(k_n2, RedisRole::master, n2_offset, 100);
    start();
    synced_replica_of_n2();
    return n2;
  }

  boost::asio::io_context io;
  std::shared_ptr<FakeGroup> group = std::make_shared<FakeGroup>(k_us);
  FakeInstance instance{k_us};
  InstanceSettings settings;
  std::unique_ptr<RedisRoleController> controller;
  std::optional<std::pair<bool, std::string>> answer;
};

}  // namespace

TEST_CASE("role controller: an unsynced replica is never promoted") {
  Rig rig;
  rig.group->add(k_us, RedisRole::master, 0, 0).syncs = false;
  rig.group->add(k_n2, RedisRole::master, 5000, 100);
  rig.start();
  CHECK(rig.instance.is_blocked("redis sync"));

  rig.controller->master_seen(ip(k_n2), kAdvertInterval);
  REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"); }));
  rig.run_for(20ms);
  rig.check();
  CHECK(rig.instance.is_blocked("redis sync"));
  rig.promote();
  REQUIRE(rig.answered());  // refused at once
  CHECK_FALSE(rig.answer->first);
  CHECK(rig.answer->second.find("sync in progress") != std::string::npos);
  rig.run_for(20ms);
  CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF NO ONE"));

  // The sync completes and it is at the master's offset: now it may be promoted.
  rig.group->replicate(k_us, k_n2);
  REQUIRE(rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }));
  rig.promote();
  REQUIRE(rig.run([&] { return rig.answered(); }));
  CHECK(rig.answer->first);
  CHECK(rig.group->position("10.0.0.1 REPLICAOF NO ONE") < rig.group->position("VIP added"));
}

TEST_CASE("role controller: a replica whose Redis restarted empty is never promoted") {
  Rig rig;
  rig.start_synced_to_n2();

  // redis-server restarts without persistence: an empty master of a new history, on a new
  // connection. The old master is gone meanwhile.
  rig.group->local_node().restart_empty();
  rig.group->node(k_n2).reachable = false;
  rig.check();
  CHECK(rig.instance.is_blocked("redis sync"));
  CHECK(rig.instance.details["redis sync"].find("restarted") != std::string::npos);
  rig.promote();
  REQUIRE(rig.answered());
  CHECK_FALSE(rig.answer->first);
  rig.run_for(30ms);
  CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF NO ONE"));
  CHECK_FALSE(rig.group->has("VIP added"));
}

TEST_CASE(
    "role controller: a master whose Redis hung while another took over syncs from it first") {
  Rig rig;
  auto& n2 = rig.start_synced_to_n2();
  auto& us = rig.group->local_node();
  n2.reachable = false;  // n2 dies: we take over
  rig.promote();
  REQUIRE(rig.run([&] { return rig.answered(); }));
  REQUIRE(rig.answer->first);

  // Our Redis hangs: the instance releases (fault), n2 returns and takes over with new writes.
  us.reachable = false;
  rig.controller->demoted(std::nullopt);
  n2.reachable = true;
  n2.offset = us.offset + 1000;
  n2.last_write_offset = n2.offset;
  n2.replid = "n2-took-over";
  rig.controller->master_seen(ip(k_n2), kAdvertInterval);
  rig.run_for(20ms);
  // Ours resumes, still a master, of a history that is stale now.
  us.reachable = true;
  rig.check();
  CHECK(rig.instance.is_blocked("redis sync"));
  rig.promote(ip(k_n2));
  REQUIRE(rig.answered());
  CHECK_FALSE(rig.answer->first);

  // Once it follows n2 and synced, it may take over again, by catching up. (n2 advertises
  // all along: a master not heard for 4 intervals is forgotten.)
  REQUIRE(rig.check_until([&] {
    rig.controller->master_seen(ip(k_n2), kAdvertInterval);
    return !rig.instance.is_blocked("redis sync");
  }));
  CHECK(us.role == RedisRole::replica);
  rig.promote(ip(k_n2));
  REQUIRE(rig.run([&] { return rig.answered(); }));
  REQUIRE(rig.answer->first);
  CHECK(us.promoted_at == n2.last_write_offset);
}

TEST_CASE(
    "role controller: a returning master is eligible only once close to the master's offset") {
  // Its Redis hung (or its link was down) while n2 took over: it resyncs from n2 in milliseconds,
  // but its Redis is still far behind (here: it applies nothing yet, as a Redis left paused).
  // Eligible at the completed sync, it preempted (priority) and n2's writes stayed paused while
  // it caught up: the outage of the return.
  Rig rig;
  rig.settings.redis->handover_timeout = 2s;
  auto& us = rig.group->add(k_us, RedisRole::master, 50000, 10);
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 900000, 100);
  n2.replid = "n2-took-over";
  n2.writes_per_look = 100;
  rig.start();
  us.resync_behind = 200000;
  us.stream_per_look = 0;
  rig.controller->master_seen(ip(k_n2), kAdvertInterval);
  REQUIRE(rig.check_until([&] { return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"); }));
  REQUIRE(rig.check_until([&] { return us.role == RedisRole::replica && us.link_up; }));
  // Synced, but far behind: not eligible, and status says how far.
  rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }, 200ms);
  CHECK(rig.instance.is_blocked("redis sync"));
  CHECK(rig.instance.details["redis sync"].find("bytes behind 10.0.0.2") != std::string::npos);
  rig.promote(ip(k_n2));
  REQUIRE(rig.answered());  // refused at once: n2 was never paused
  CHECK_FALSE(rig.answer->first);
  CHECK_FALSE(rig.group->has("10.0.0.2 CLIENT PAUSE WRITE"));

  // The stream flows again: close to n2's offset, it may take over, pausing n2 only briefly.
  us.stream_per_look = 20000;
  REQUIRE(rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }));
  CHECK(rig.instance.details["redis sync"].find("caught up with 10.0.0.2") != std::string::npos);
  const auto started = std::chrono::steady_clock::now();
  rig.promote(ip(k_n2));
  REQUIRE(rig.run([&] { return rig.answered(); }));
  CHECK(rig.answer->first);
  CHECK(std::chrono::steady_clock::now() - started < kMaxCatchUpPause);
  CHECK(us.promoted_at == n2.last_write_offset);
}

TEST_CASE(
    "role controller: a master whose link was down closes its gate as it follows the new one") {
  // Its Redis stayed healthy: it is re-pointed the moment the new master is heard, before any
  // check could see it a master beside another. An open gate let it preempt with a stale history.
  Rig rig;
  auto& n2 = rig.start_synced_to_n2();
  auto& us = rig.group->local_node();
  n2.reachable = false;
  rig.promote();
  REQUIRE(rig.run([&] { return rig.answered(); }));
  REQUIRE(rig.answer->first);
  REQUIRE_FALSE(rig.instance.is_blocked("redis sync"));

  // Link down: fault, VIP released; n2 took over with writes of its own. Link up: n2 is heard.
  rig.controller->demoted(std::nullopt);
  n2.reachable = true;
  n2.replid = "n2-took-over";
  n2.offset = us.offset + 100000;
  us.resync_behind = 90000;
  us.stream_per_look = 0;
  rig.run_for(kFollowRetry);  // the link was down a while
  rig.controller->master_seen(ip(k_n2), kAdvertInterval);
  REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"); }));
  rig.run_for(5ms);
  CHECK(rig.instance.is_blocked("redis sync"));  // no check has run since
  rig.promote(ip(k_n2));
  REQUIRE(rig.answered());
  CHECK_FALSE(rig.answer->first);
  // Synced but far behind: still closed; once close, open.
  rig.check_until([] { return false; }, 50ms);
  CHECK(rig.instance.is_blocked("redis sync"));
  us.stream_per_look = -1;
  REQUIRE(rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }));
}

TEST_CASE("role controller: a backup's Redis left paused is unpaused once it follows the master") {
  // A takeover's CLIENT PAUSE queued while our Redis hung runs when it resumes: paused, it would
  // apply none of the new master's stream (and stay ineligible) until the pause expired.
  Rig rig;
  auto& us = rig.group->add(k_us, RedisRole::master, 1000, 10);
  rig.group->add(k_n2, RedisRole::master, 5000, 100);
  us.paused = true;
  rig.start();
  rig.controller->master_seen(ip(k_n2), kAdvertInterval);
  REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 CLIENT UNPAUSE"); }));
  CHECK(rig.group->position("10.0.0.1 REPLICAOF 10.0.0.2 6379") <
        rig.group->position("10.0.0.1 CLIENT UNPAUSE"));
  CHECK_FALSE(us.paused);
}

TEST_CASE("role controller: a backup whose master's Redis does not answer stays promotable") {
  // The lag cannot be measured without the master: the completed sync stands (a failover must
  // not wait for a dead master).
  Rig rig;
  rig.group->add(k_us, RedisRole::master, 0, 0);
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 5000, 100);
  rig.start();
  rig.controller->master_seen(ip(k_n2), kAdvertInterval);
  REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"); }));
  n2.reachable = false;
  REQUIRE(rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }));
}

TEST_CASE("role controller: a replica with replica-priority 0 follows, and is never promoted") {
  // The operator keeps this Redis for reads or another site (as Sentinel reads the setting).
  Rig rig;
  auto& us = rig.group->add(k_us, RedisRole::master, 0, 0);
  us.replica_priority = 0;
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 5000, 100);
  rig.start();
  rig.controller->master_seen(ip(k_n2), kAdvertInterval);
  REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"); }));
  rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }, 100ms);
  CHECK(us.role == RedisRole::replica);
  CHECK(us.offset == n2.offset);  // synced and caught up: only the setting keeps it closed
  CHECK(rig.instance.is_blocked("redis sync"));
  CHECK(rig.instance.details["redis sync"] == kNeverPromoted);
  n2.reachable = false;  // the master died: still not us
  rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }, 50ms);
  rig.promote();
  REQUIRE(rig.answered());
  CHECK_FALSE(rig.answer->first);
  CHECK(rig.answer->second.find(kNeverPromoted) != std::string::npos);
  CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF NO ONE"));

  // CONFIG SET replica-priority 100 at run time: eligible at the next checks.
  n2.reachable = true;
  us.replica_priority = 100;
  REQUIRE(rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }));
}

TEST_CASE("role controller: a replica whose link stays down shows the master's own answer") {
  // Redis says only "master_link_status:down"; a newcomer's pair sat in FAULT with that while
  // the cause (protected mode) was in the other node's answer.
  Rig rig;
  rig.group->add(k_us, RedisRole::master, 0, 0);
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 5000, 100);
  n2.denies = "DENIED Redis is running in protected mode because protected mode is enabled\r\n" +
              std::string(500, 'x');
  rig.start();
  rig.controller->master_seen(ip(k_n2), kAdvertInterval);
  REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"); }));
  const auto& why = rig.instance.details["redis sync"];
  REQUIRE(rig.check_until([&] { return why.find("DENIED") != std::string::npos; }));
  CHECK(why.find("master link down (10.0.0.2:6379 answers: DENIED Redis is running in protected "
                 "mode") == 0);
  CHECK(why.find('\r') == std::string::npos);
  CHECK(why.size() < kMaxPeerAnswer + 100);  // a hostile peer's answer is cut
  CHECK(rig.instance.is_blocked("redis sync"));

  // The master answers us, yet the link stays down: the replica's own credentials.
  n2.denies.clear();
  rig.group->local_node().auth_fails = true;
  REQUIRE(rig.check_until([&] { return why.find("masterauth") != std::string::npos; }));
  // Asked at most once per kExplainLinkRetry, not at every check.
  const auto asked = std::count(rig.group->connected.begin(), rig.group->connected.end(), k_n2);
  rig.check_until([] { return false; }, 200ms);
  CHECK(std::count(rig.group->connected.begin(), rig.group->connected.end(), k_n2) <= asked + 1);

  // Synced at last: the gate opens, the explanation goes.
  rig.group->local_node().auth_fails = false;
  rig.group->replicate(k_us, k_n2);
  REQUIRE(rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }));
}

TEST_CASE("role controller: a master whose Redis was made a replica takes it back") {
  // A 60-minute soak: n1 took over from us, made our Redis its replica, then went to Fault
  // (its own Redis had hung) and pointed its Redis at ours. Both replicas of each other, no
  // master for 30 s, and n1 restarting empty then wiped ours.
  Rig rig;
  auto& n2 = rig.start_synced_to_n2();
  n2.reachable = false;
  rig.promote();
  REQUIRE(rig.run([&] { return rig.answered(); }));
  REQUIRE(rig.answer->first);
  n2.reachable = true;
  auto& us = rig.group->local_node();

  SECTION("made a replica while we serve and nobody else is master: promoted back") {
    rig.group->replicate(k_us, k_n2);  // n2's abandoned make_replica_of_us
    n2.role = RedisRole::replica;      // and n2's Redis follows ours
    n2.master_host = k_us;
    n2.master_port = 6379;
    REQUIRE(rig.check_until([&] { return rig.group->count("10.0.0.1 REPLICAOF NO ONE") == 2; }));
    CHECK(us.role == RedisRole::master);
  }
  SECTION("one check is not enough (a takeover's advert is heard within one interval)") {
    rig.group->replicate(k_us, k_n2);
    n2.role = RedisRole::replica;
    n2.master_host = k_us;  // a loop: n2's Redis follows ours
    n2.master_port = 6379;
    rig.check();
    rig.run_for(20ms);
    CHECK(rig.group->count("10.0.0.1 REPLICAOF NO ONE") == 1);
  }
  SECTION("made a replica of a master whose advert we have not heard: never taken back") {
    // A preemption whose first advert was lost (or only the adverts are partitioned): taking
    // ours back would make two writable masters; as a replica ours refuses writes instead.
    rig.group->replicate(k_us, k_n2);  // n2 stays master
    rig.check_until([] { return false; }, 800ms);
    CHECK(rig.group->count("10.0.0.1 REPLICAOF NO ONE") == 1);
    CHECK(us.role == RedisRole::replica);
  }
  SECTION("after we left master (no new master known), a replica is what we asked for") {
    rig.controller->demoted(std::nullopt);
    rig.run_for(10ms);
    rig.group->replicate(k_us, k_n2);
    n2.role = RedisRole::replica;
    n2.master_host = k_us;  // a loop: n2's Redis follows ours
    n2.master_port = 6379;
    rig.check_until([] { return false; }, 100ms);
    CHECK(rig.group->count("10.0.0.1 REPLICAOF NO ONE") == 1);
  }
}

TEST_CASE("role controller: our Redis never follows a Redis that replicates from ours") {
  // The soak's loop: we preempt n2 (its Redis made ours), go to Fault at once (a health check
  // failed while the promotion ran), and n2's last advert, sent as it yields, reaches us in Fault.
  Rig rig;
  auto& n2 = rig.start_synced_to_n2();
  rig.promote(ip(k_n2));
  REQUIRE(rig.run([&] { return rig.answered(); }));
  REQUIRE(rig.answer->first);
  REQUIRE(rig.run([&] { return n2.role == RedisRole::replica; }));
  rig.controller->demoted(std::nullopt);  // Fault
  rig.group->journal.clear();

  SECTION("n2 advertises on, caught up with ours: its Redis is handed back, then ours follows") {
    // n2 serves from a replica of ours (every write refused) and we do not serve.
    REQUIRE(rig.check_until([&] {
      rig.controller->master_seen(ip(k_n2), kAdvertInterval);
      return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379");
    }));
    const auto& j = *rig.group;
    CHECK(j.position("10.0.0.2 REPLICAOF NO ONE") >= 0);
    CHECK(j.position("10.0.0.2 REPLICAOF NO ONE") < j.position("10.0.0.1 REPLICAOF 10.0.0.2 6379"));
    CHECK(n2.role == RedisRole::master);
  }
  SECTION("n2 advertises on but lacks writes of ours: never followed, nothing handed back") {
    n2.link_up = false;             // its sync from ours has not completed
    for (int i = 0; i < 16; ++i) {  // 800 ms: past kFollowRetry since the first ask
      rig.controller->master_seen(ip(k_n2), kAdvertInterval);
      rig.check();
      rig.run_for(50ms);
    }
    CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"));
    CHECK_FALSE(rig.group->has("10.0.0.2 REPLICAOF NO ONE"));
    CHECK(rig.group->local_node().role == RedisRole::master);
    // Status says why ours follows nobody.
    CHECK(rig.instance.details["redis sync"].find("its redis replicates from ours") !=
          std::string::npos);
    n2.role = RedisRole::master;  // n2 took over: its Redis is master now, and ours follows it
    REQUIRE(rig.check_until([&] {
      rig.controller->master_seen(ip(k_n2), kAdvertInterval);
      return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379");
    }));
  }
  SECTION("heard once, then silent: ours is master with nobody heard, and n2 holds nothing newer") {
    // A successor whose Redis was handed over while it sat in Fault heard the old master last;
    // waiting for a sync from it (it had stopped) left nobody with the VIP.
    rig.controller->master_seen(ip(k_n2), kAdvertInterval);
    rig.check();
    rig.run_for(5ms);
    CHECK(rig.instance.is_blocked("redis sync"));  // another master took over, it seemed
    REQUIRE(rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }));
    CHECK(rig.controller->view().detail.empty());
    CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"));
  }
}

TEST_CASE("role controller: our own promotion is not mistaken for a restart") {
  Rig rig;
  rig.start_synced_to_n2();
  rig.group->node(k_n2).reachable = false;
  rig.promote();
  REQUIRE(rig.run([&] { return rig.answered(); }));
  REQUIRE(rig.answer->first);
  rig.check();  // a new replication id, same connection
  CHECK_FALSE(rig.instance.is_blocked("redis sync"));
  rig.promote();
  REQUIRE(rig.answered());
  CHECK(rig.answer->second == "redis already master");
}

TEST_CASE("role controller: a silent peer holds our writes until it answers or its window ends") {
  auto settings = settings_for_test();
  settings.redis->peer_loss_pause = {true, 500ms};
  Rig rig(settings);
  rig.start_synced_to_n2();
  // n3 never answers: silent since before we serve (as a crashed master we replace), it holds
  // nothing. n2's Redis is down but its host answers (refused): reached.
  rig.group->add(k_n3, RedisRole::replica, 0, 0).silent = true;
  auto& n2 = rig.group->node(k_n2);
  n2.reachable = false;
  rig.promote();
  REQUIRE(rig.run([&] { return rig.answered(); }));
  REQUIRE(rig.answer->first);
  rig.group->journal.clear();  // following n2 unpaused ours; from here on nothing may
  const auto& us = rig.group->local_node();
  const auto held = [&] { return rig.controller->view().writes_held_for_silent_peer; };
  rig.check_until([] { return false; }, 100ms);
  CHECK(us.pauses.empty());
  CHECK(rig.controller->view().peer_loss_pauses == 0);

  // n2 falls silent (the link is cut): our writes are held a little at a time.
  n2.silent = true;
  REQUIRE(rig.check_until(held));
  CHECK(rig.controller->view().peer_loss_pauses == 1);
  REQUIRE(rig.check_until([&] { return !us.pauses.empty(); }));
  for (const auto pause : us.pauses) CHECK(pause <= 300ms);  // renewed 2 x (interval + timeout)
  // It answers again: the hold is not renewed (and never lifted by UNPAUSE, see peer_watch.cpp).
  n2.silent = false;
  REQUIRE(rig.check_until([&] { return !held(); }));
  auto pauses = us.pauses.size();
  rig.check_until([] { return false; }, 100ms);
  CHECK(us.pauses.size() == pauses);
  CHECK_FALSE(rig.group->has("10.0.0.1 CLIENT UNPAUSE"));

  // Silent again at once (a flapping peer): not steady for a window since its hold, no new one.
  n2.silent = true;
  rig.check_until([] { return false; }, 100ms);
  CHECK_FALSE(held());
  CHECK(us.pauses.size() == pauses);
  // Answering steadily for a window, then silent for longer than one: held, then writes go
  // through.
  n2.silent = false;
  rig.check_until([] { return false; }, 600ms);
  n2.silent = true;
  REQUIRE(rig.check_until(held));
  CHECK(rig.controller->view().peer_loss_pauses == 2);
  REQUIRE(rig.check_until([&] { return !held(); }, 1s));
  pauses = us.pauses.size();
  CHECK(pauses > 0);
  rig.check_until([] { return false; }, 100ms);
  CHECK(us.pauses.size() == pauses);

  // Off (the default): a silent peer holds nothing.
  Rig off;
  off.start_synced_to_n2();
  off.group->node(k_n2).reachable = false;
  off.promote();
  REQUIRE(off.run([&] { return off.answered(); }));
  off.check_until([] { return false; }, 50ms);
  off.group->node(k_n2).silent = true;
  off.check_until([] { return false; }, 100ms);
  CHECK(off.group->local_node().pauses.empty());
  CHECK_FALSE(off.controller->view().writes_held_for_silent_peer);
}

TEST_CASE("role controller: a peer whose Redis dies as we connect is reached: nothing is held") {
  auto settings = settings_for_test();
  settings.redis->peer_loss_pause = {true, 500ms};
  Rig rig(settings);
  rig.start_synced_to_n2();
  auto& n2 = rig.group->node(k_n2);
  n2.reachable = false;
  rig.promote();
  REQUIRE(rig.run([&] { return rig.answered(); }));
  REQUIRE(rig.answer->first);
  rig.check_until([] { return false; }, 100ms);  // it answered (refused) since we serve
  // Its host accepts each new connection, then resets it: it is up, its daemon takes nothing
  // over.
  n2.resets = true;
  const auto asked = rig.group->connected.size();
  rig.check_until([] { return false; }, 300ms);
  CHECK(rig.group->connected.size() > asked);
  CHECK(rig.group->local_node().pauses.empty());
  CHECK(rig.controller->view().peer_loss_pauses == 0);
  CHECK_FALSE(rig.controller->view().writes_held_for_silent_peer);
}

TEST_CASE(
    "role controller: the stream's database is noted from our replica's link, then from the "
    "peer that follows ours") {
  auto settings = settings_for_test();
  settings.redis->diverged_writes_dir = "/nonexistent/diverged";
  Rig rig(settings);
  auto& n2 = rig.start_synced_to_n2();
  auto& us = rig.group->local_node();
  us.stream_db = 3;
  REQUIRE(rig.check_until(
      [&] {
        const auto& m = rig.controller->stream_db_mark();
        return m && m->db == 3;
      },
      3s));
  const auto first = *rig.controller->stream_db_mark();
  CHECK(first.replid == n2.replid);
  CHECK(first.offset == us.offset);
  CHECK(first.db == 3);
  // At most once per kStreamDbMarkEvery, however often we check.
  const int asked = us.db_marks_asked;
  rig.check_until([] { return false; }, 100ms);
  CHECK(us.db_marks_asked == asked);

  // We serve (n2's Redis down); n2 comes back as our replica: its link says database 5.
  n2.reachable = false;
  rig.promote();
  REQUIRE(rig.run([&] { return rig.answered(); }));
  REQUIRE(rig.answer->first);
  n2.reachable = true;
  rig.group->replicate(k_n2, k_us);
  n2.stream_db = 5;
  REQUIRE(rig.check_until(
      [&] {
        const auto& m = rig.controller->stream_db_mark();
        return m && m->db == 5;
      },
      3s));
  CHECK(*rig.controller->stream_db_mark() == StreamDbMark{us.replid, n2.offset, 5});
}

TEST_CASE(
    "role controller: a peer that refuses CLIENT LIST or follows another master gives no mark of "
    "our stream") {
  auto settings = settings_for_test();
  settings.redis->diverged_writes_dir = "/nonexistent/diverged";
  Rig rig(settings);
  auto& n2 = rig.start_synced_to_n2();
  auto& n3 = rig.group->add(k_n3, RedisRole::master, 7000, 10);
  auto& us = rig.group->local_node();
  n2.reachable = false;
  n3.reachable = false;
  rig.promote();
  REQUIRE(rig.run([&] { return rig.answered(); }));
  REQUIRE(rig.answer->first);
  const auto ours = [&] {
    const auto m = rig.controller->stream_db_mark();
    return m && m->replid == us.replid;
  };
  // n2 follows us but its ACL refuses CLIENT LIST: asked again each second, never a mark.
  n2.reachable = true;
  rig.group->replicate(k_n2, k_us);
  n2.refuses_client_list = "NOPERM this user has no permissions to run the 'client|list' command";
  rig.check_until([] { return false; }, 1500ms);
  CHECK(n2.db_marks_asked >= 1);
  CHECK_FALSE(ours());
  // n2 follows n3: its link's database is of n3's stream.
  n2.refuses_client_list.clear();
  n3.reachable = true;
  rig.group->replicate(k_n2, k_n3);
  const int asked = n2.db_marks_asked;
  rig.check_until([&] { return n2.db_marks_asked > asked; }, 1500ms);
  rig.run_for(20ms);
  CHECK(n2.db_marks_asked > asked);
  CHECK_FALSE(ours());
  CHECK(rig.controller->stream_db_mark()->replid != n3.replid);
  // Back to us: marked.
  rig.group->replicate(k_n2, k_us);
  CHECK(rig.check_until(ours, 1500ms));
}

TEST_CASE("role controller: without a diverged_writes_dir nothing asks for the stream's database") {
  Rig rig;
  rig.start_synced_to_n2();
  rig.check_until([] { return false; }, 100ms);
  CHECK(rig.group->local_node().db_marks_asked == 0);
  CHECK_FALSE(rig.controller->stream_db_mark());
}

TEST_CASE("role controller: the VIP waits until REPLICAOF NO ONE is confirmed") {
  Rig rig;
  rig.start_synced_to_n2();
  rig.group->node(k_n2).reachable = false;  // the master died: promote without catch-up

  SECTION("not before the confirmation arrives") {
    rig.group->local_node().hold_promotion = true;
    rig.promote();
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF NO ONE"); }));
    rig.run_for(50ms);
    CHECK_FALSE(rig.answered());
    rig.group->local_node().release();
    REQUIRE(rig.run([&] { return rig.answered(); }));
    CHECK(rig.answer->first);
  }
  SECTION("a check that sees our Redis master before the confirmation keeps the gate open") {
    // The health check's INFO can answer between REPLICAOF NO ONE and its confirmation: that is
    // our own promotion, not "another master took over" (it closed the gate as the VIP went up,
    // and the new master went straight to FAULT).
    rig.group->local_node().hold_promotion = true;
    rig.promote();
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF NO ONE"); }));
    rig.check();
    CHECK_FALSE(rig.instance.is_blocked("redis sync"));
    rig.group->local_node().release();
    REQUIRE(rig.run([&] { return rig.answered(); }));
    CHECK(rig.answer->first);
    rig.check();
    CHECK_FALSE(rig.instance.is_blocked("redis sync"));
  }
  SECTION("never when ROLE does not confirm it") {
    rig.group->local_node().confirms_promotion = false;
    rig.promote();
    REQUIRE(rig.run([&] { return rig.answered(); }));
    CHECK_FALSE(rig.answer->first);
    CHECK(rig.answer->second.find("REPLICAOF NO ONE failed") != std::string::npos);
    CHECK_FALSE(rig.group->has("VIP added"));
  }
}

TEST_CASE("role controller: preempting a live master takes its last write first") {
  Rig rig;
  auto& n2 = rig.start_synced_to_n2(100000);
  // Clients keep writing to n2; our replica streams a little slower than they write.
  n2.writes_per_look = 100;
  rig.group->local_node().stream_per_look = 60;

  SECTION("pause, equal offsets, then REPLICAOF NO ONE, then the VIP; the old master follows us") {
    rig.promote(ip(k_n2));
    REQUIRE(rig.run([&] { return rig.answered(); }));
    REQUIRE(rig.answer->first);
    const auto& j = *rig.group;
    CHECK(j.position("10.0.0.2 CLIENT PAUSE WRITE") >= 0);
    CHECK(j.position("10.0.0.2 CLIENT PAUSE WRITE") < j.position("10.0.0.1 REPLICAOF NO ONE"));
    CHECK(j.position("10.0.0.1 REPLICAOF NO ONE") < j.position("VIP added"));
    // Not one write the old master accepted is missing here.
    CHECK(rig.group->local_node().promoted_at == n2.last_write_offset);
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.2 CLIENT UNPAUSE"); }));
    CHECK(j.position("10.0.0.2 REPLICAOF 10.0.0.1 6379") <
          j.position("10.0.0.2 CLIENT KILL normal pubsub"));
    CHECK(j.position("10.0.0.2 CLIENT KILL normal pubsub") < j.position("10.0.0.2 CLIENT UNPAUSE"));
    CHECK(n2.role == RedisRole::replica);
  }
  SECTION("a replica that does not get close is not promoted, and the old master never paused") {
    // Pausing it anyway held the clients' writes for handover_timeout, then refused all the same.
    rig.group->local_node().stream_per_look = 0;
    rig.promote(ip(k_n2));
    REQUIRE(rig.run([&] { return rig.answered(); }));
    CHECK_FALSE(rig.answer->first);
    CHECK(rig.answer->second.find("not close") != std::string::npos);
    CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF NO ONE"));
    CHECK_FALSE(rig.group->has("10.0.0.2 CLIENT PAUSE WRITE"));
    CHECK_FALSE(n2.paused);
    CHECK(n2.role == RedisRole::master);
  }
  SECTION("a replica that stalls once the old master is paused: the pause is short, then lifted") {
    // Close (the stream flows) when the pause starts, then a byte per look: catching up would
    // take seconds. The pause ends after kMaxCatchUpPause, not handover_timeout.
    auto& us = rig.group->local_node();
    us.offset -= 5000;
    us.stream_per_look = 1;
    n2.writes_per_look = 0;
    const auto started = std::chrono::steady_clock::now();
    rig.promote(ip(k_n2));
    REQUIRE(rig.run([&] { return rig.answered(); }, 5s));
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK_FALSE(rig.answer->first);
    CHECK(rig.answer->second.find("did not catch up") != std::string::npos);
    CHECK(rig.group->has("10.0.0.2 CLIENT PAUSE WRITE"));
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.2 CLIENT UNPAUSE"); }));
    CHECK_FALSE(n2.paused);
    CHECK(took < rig.settings.redis->handover_timeout);
    CHECK(took < kMaxCatchUpPause + 150ms);
    CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF NO ONE"));
  }
  SECTION("an old master that released and cannot be paused is gone: promote without it") {
    n2.reachable = false;
    rig.promote(ip(k_n2), true);
    REQUIRE(rig.run([&] { return rig.answered(); }));
    CHECK(rig.answer->first);
  }
  SECTION("a master we preempt still serves: when its Redis does not answer, no promotion") {
    // It still advertises, so its Redis takes writes we cannot reach (a link just back up):
    // promoting made two masters and lost what it took. It keeps serving; the instance retries.
    n2.reachable = false;
    rig.promote(ip(k_n2));
    REQUIRE(rig.run([&] { return rig.answered(); }));
    CHECK_FALSE(rig.answer->first);
    CHECK(rig.answer->second.find("still serves") != std::string::npos);
    CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF NO ONE"));
  }
}

TEST_CASE(
    "role controller: a silent master whose Redis still answers is paused and caught up with "
    "first") {
  // Master-down expired and nobody announced: its daemon may be dead (SIGKILL) while its Redis
  // still takes writes. Promoting without pausing it lost the writes it took meanwhile.
  Rig rig;
  auto& n2 = rig.start_synced_to_n2(100000);
  n2.writes_per_look = 100;
  auto& us = rig.group->local_node();
  us.stream_per_look = 60;
  const auto& j = *rig.group;

  SECTION("pause, equal offsets, REPLICAOF NO ONE, the VIP; then it follows us, unpaused") {
    rig.promote();
    REQUIRE(rig.run([&] { return rig.answered(); }));
    REQUIRE(rig.answer->first);
    CHECK(j.position("10.0.0.2 CLIENT PAUSE WRITE") >= 0);
    CHECK(j.position("10.0.0.2 CLIENT PAUSE WRITE") < j.position("10.0.0.1 REPLICAOF NO ONE"));
    CHECK(us.promoted_at == n2.last_write_offset);
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.2 CLIENT UNPAUSE"); }));
    CHECK(j.position("10.0.0.2 REPLICAOF 10.0.0.1 6379") < j.position("10.0.0.2 CLIENT UNPAUSE"));
    CHECK(n2.role == RedisRole::replica);
  }
  SECTION(
      "a catch-up that times out still promotes: nobody else will; it stays paused until it "
      "follows us") {
    us.offset -= 5000;
    us.stream_per_look = 1;
    n2.writes_per_look = 0;
    rig.promote();
    REQUIRE(rig.run([&] { return rig.answered(); }, 5s));
    CHECK(rig.answer->first);
    CHECK(j.position("10.0.0.2 CLIENT PAUSE WRITE") < j.position("10.0.0.1 REPLICAOF NO ONE"));
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.2 CLIENT UNPAUSE"); }));
    CHECK(j.position("10.0.0.2 REPLICAOF 10.0.0.1 6379") < j.position("10.0.0.2 CLIENT UNPAUSE"));
    CHECK(n2.role == RedisRole::replica);
  }
  SECTION(
      "a silent master heard again during the catch-up (only cut off) is refused, unpaused, "
      "never made our replica") {
    // (No ": " in this name: Catch2's header printer loops forever on a long one after it.)
    // A cut ending as our master-down ran out: its Redis holds the writes of the cut, and as
    // our replica a full resync would wipe them.
    us.offset -= 5000;
    us.stream_per_look = 1;
    n2.writes_per_look = 0;
    rig.promote();
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.2 CLIENT PAUSE WRITE"); }));
    // As master we hear its equal or lower priority without following it: only advert_heard.
    rig.controller->advert_heard(ip(k_n2));
    REQUIRE(rig.run([&] { return rig.answered(); }, 5s));
    CHECK_FALSE(rig.answer->first);
    CHECK(rig.answer->second.find("advertises again") != std::string::npos);
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.2 CLIENT UNPAUSE"); }));
    CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF NO ONE"));
    CHECK_FALSE(rig.group->has("10.0.0.2 REPLICAOF 10.0.0.1 6379"));
    CHECK(n2.role == RedisRole::master);
  }
  SECTION("a silent master whose Redis does not answer is gone: promoted without it") {
    n2.reachable = false;
    rig.promote();
    REQUIRE(rig.run([&] { return rig.answered(); }));
    CHECK(rig.answer->first);
    CHECK_FALSE(rig.group->has("10.0.0.2 CLIENT PAUSE WRITE"));
  }
}

TEST_CASE("role controller: leaving master follows the new master, then drops the VIP's clients") {
  Rig rig;
  rig.group->add(k_us, RedisRole::master, 1000, 10);
  rig.group->add(k_n2, RedisRole::master, 1000, 10);
  rig.start();
  rig.group->local_node().paused = true;  // the new master paused our writes to catch up

  rig.controller->demoted(ip(k_n2));
  REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 CLIENT UNPAUSE"); }));
  const auto& j = *rig.group;
  CHECK(j.position("10.0.0.1 REPLICAOF 10.0.0.2 6379") >= 0);
  CHECK(j.position("10.0.0.1 REPLICAOF 10.0.0.2 6379") <
        j.position("10.0.0.1 CLIENT KILL normal pubsub"));
  CHECK(j.position("10.0.0.1 CLIENT KILL normal pubsub") < j.position("10.0.0.1 CLIENT UNPAUSE"));

  // No new master known (a fault, a stop): the clients go all the same.
  rig.group->journal.clear();
  rig.controller->demoted(std::nullopt);
  REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 CLIENT KILL normal pubsub"); }));
  // Only the clients that came through a VIP: the other daemon's connections stay.
  CHECK(rig.group->local_node().killed_through ==
        std::vector<std::string>{"10.0.0.100:6379", "[fd00::100]:6379"});
}

TEST_CASE(
    "role controller: an advert from a non-peer never costs a REPLICAOF, a connection or data") {
  constexpr const char* k_forger = "10.0.0.66";
  Rig rig;
  rig.group->add(k_us, RedisRole::master, 1000, 100);
  rig.group->add(k_n2, RedisRole::master, 1000, 100);
  rig.group->add(k_forger, RedisRole::master, 0, 0);
  rig.start();

  SECTION("a backup hears it as master: not followed") {
    for (int i = 0; i < 3; ++i) {
      rig.controller->master_seen(ip(k_forger), kAdvertInterval);
      rig.check();
      rig.run_for(5ms);
    }
    CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF 10.0.0.66 6379"));
    CHECK(rig.controller->view().non_peer_adverts == 3);
    CHECK(rig.controller->view().last_non_peer == k_forger);
    // A peer is followed as before.
    rig.controller->master_seen(ip(k_n2), kAdvertInterval);
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"); }));
  }
  SECTION("the master is preempted by it: our Redis keeps its role, only clients are dropped") {
    rig.controller->demoted(ip(k_forger));
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 CLIENT KILL normal pubsub"); }));
    rig.run_for(20ms);
    CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF 10.0.0.66 6379"));
    CHECK(rig.group->local_node().role == RedisRole::master);
    CHECK(rig.controller->view().non_peer_adverts == 1);
  }
  SECTION("promoted while it still advertises: never paused, asked or caught up with") {
    rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }, 300ms);
    rig.promote(ip(k_forger));
    REQUIRE(rig.run([&] { return rig.answered(); }));
    rig.run_for(20ms);
    for (const auto& line : rig.group->journal)
      CHECK(line.rfind("10.0.0.66 ", 0) == std::string::npos);
    CHECK(rig.controller->view().non_peer_adverts == 1);
  }
  const auto& hosts = rig.group->connected;
  CHECK(std::find(hosts.begin(), hosts.end(), k_forger) == hosts.end());
}

TEST_CASE(
    "role controller: a refused REPLICAOF is the eligibility reason, until something else is") {
  Rig rig;
  auto& us = rig.group->add(k_us, RedisRole::master, 0, 0);
  us.refuses_replicaof =
      "ERR unknown command 'REPLICAOF', with args beginning with: '10.0.0.2' '6379' ";
  rig.group->add(k_n2, RedisRole::master, 500, 5);
  rig.start();
  rig.controller->master_seen(ip(k_n2), kAdvertInterval);
  REQUIRE(rig.check_until([&] {
    return rig.instance.details["redis sync"].find(
               "REPLICAOF 10.0.0.2:6379: ERR unknown command 'REPLICAOF'") != std::string::npos;
  }));
  CHECK(rig.instance.is_blocked("redis sync"));
  CHECK(rig.controller->view().detail.find("unknown command 'REPLICAOF'") != std::string::npos);
  // Redis is fixed: the next attempt follows, and the reason moves on.
  us.refuses_replicaof.clear();
  REQUIRE(rig.check_until([&] {
    rig.controller->master_seen(ip(k_n2), kAdvertInterval);
    return !rig.instance.is_blocked("redis sync");
  }));
}

TEST_CASE("role controller: a backup follows the VRRP master, once per master") {
  Rig rig;
  rig.group->add(k_us, RedisRole::master, 0, 0);
  rig.group->add(k_n2, RedisRole::master, 500, 5);
  rig.group->add(k_n3, RedisRole::master, 900, 9);
  rig.start();
  for (int i = 0; i < 5; ++i) {
    rig.controller->master_seen(ip(k_n2), kAdvertInterval);
    rig.check();
    rig.run_for(5ms);
  }
  CHECK(rig.group->count("10.0.0.1 REPLICAOF 10.0.0.2 6379") == 1);
  // Synced from that master: promotable.
  CHECK_FALSE(rig.instance.is_blocked("redis sync"));
  // The master changed: re-pointed.
  rig.controller->master_seen(ip(k_n3), kAdvertInterval);
  REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.3 6379"); }));
}

TEST_CASE("role controller: a stream that stands still after a silence is restarted") {
  Rig rig;
  auto& n2 = rig.start_synced_to_n2();
  auto& us = rig.group->local_node();
  n2.writes_per_look = 100;  // clients write to n2 all along
  n2.backlog = 1 << 20;
  const auto restarted = [&] { return rig.controller->view().stalled_streams_restarted; };
  const auto kills = [&] { return rig.group->count("10.0.0.1 CLIENT KILL TYPE master"); };
  // The master falls silent (the link between us is down) until ours forgets it.
  const auto silence = [&] { rig.check_until([] { return false; }, 100ms); };

  SECTION("a stream that flows is left alone, heard again or not") {
    silence();
    rig.controller->master_seen(ip(k_n2), kAdvertInterval);
    rig.check_until([] { return false; }, 150ms);
    CHECK(kills() == 0);
    CHECK(restarted() == 0);
  }
  SECTION("a stream that stands still is restarted once the master is heard again") {
    us.stream_per_look = 0;  // the master's next retransmission is far off
    // Heard all along: a slow stream is none of this.
    for (int i = 0; i < 10; ++i) {
      rig.controller->master_seen(ip(k_n2), kAdvertInterval);
      rig.check();
      rig.run_for(5ms);
    }
    CHECK(kills() == 0);
    silence();
    rig.controller->master_seen(ip(k_n2), kAdvertInterval);
    REQUIRE(rig.check_until([&] { return kills() == 1; }, 500ms));
    CHECK(restarted() == 1);
    // Redis continues from its offset: ours catches up with the master's.
    REQUIRE(rig.check_until([&] { return us.offset == n2.offset; }, 500ms));
    rig.check_until([] { return false; }, 100ms);
    CHECK(kills() == 1);
  }
  SECTION("beyond the master's backlog it is left to resume by itself (no full sync)") {
    us.stream_per_look = 0;
    n2.backlog = 50;  // trimmed past our offset by the writes of the silence
    silence();
    rig.controller->master_seen(ip(k_n2), kAdvertInterval);
    rig.check_until([] { return false; }, 150ms);
    CHECK(kills() == 0);
    CHECK(restarted() == 0);
  }
}

TEST_CASE("role controller: a stale master is paused and read again before it follows") {
  // Ours hung as master at offset 900; n2 was promoted from it (fork at 900) and took writes.
  // When ours resumes it may execute what its clients had sent meanwhile; the writes past the
  // fork are saved before REPLICAOF (stale_master.cpp), so ours is paused and read again first.
  // A Redis of an unrelated history (fresh, restarted empty) follows at once, as before.
  auto settings = settings_for_test();
  settings.redis->diverged_writes_dir = "/nonexistent/diverged";
  Rig rig(settings);
  auto& us = rig.group->add(k_us, RedisRole::master, 900, 10);
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 3000, 30);
  us.replid = "history-a";
  SECTION("n2 continued our history: paused, read again, then REPLICAOF") {
    n2.replid2 = "history-a";
    n2.second_offset = 901;
    rig.start();
    rig.controller->master_seen(ip(k_n2), kAdvertInterval);
    REQUIRE(rig.check_until([&] { return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"); }));
    const auto& j = *rig.group;
    CHECK(j.position("10.0.0.1 CLIENT PAUSE WRITE") >= 0);
    CHECK(j.position("10.0.0.1 CLIENT PAUSE WRITE") <
          j.position("10.0.0.1 REPLICAOF 10.0.0.2 6379"));
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 CLIENT UNPAUSE"); }));
    CHECK(us.role == RedisRole::replica);
  }
  SECTION("n2's Redis does not answer: ours, a master, does not follow until it does") {
    // Fails closed: its history unknown, a plain REPLICAOF could discard ours since the fork.
    n2.replid2 = "history-a";
    n2.second_offset = 901;
    n2.reachable = false;
    rig.start();
    rig.controller->master_seen(ip(k_n2), kAdvertInterval);
    for (int i = 0; i < 20; ++i) {
      rig.check();
      rig.run_for(5ms);
    }
    CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"));
    n2.reachable = true;
    REQUIRE(rig.check_until(
        [&] {
          rig.controller->master_seen(ip(k_n2), kAdvertInterval);
          return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379");
        },
        3s));
    CHECK(rig.group->position("10.0.0.1 CLIENT PAUSE WRITE") <
          rig.group->position("10.0.0.1 REPLICAOF 10.0.0.2 6379"));
  }
  SECTION("unrelated histories: a plain follow, no pause") {
    rig.start();
    rig.controller->master_seen(ip(k_n2), kAdvertInterval);
    REQUIRE(rig.check_until([&] { return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.2 6379"); }));
    CHECK_FALSE(rig.group->has("10.0.0.1 CLIENT PAUSE WRITE"));
  }
}

TEST_CASE("role controller: a REPLICAOF answered during our promotion does not close the gate") {
  // Three nodes starting at once: ours was told to follow n3, and we took over before the reply.
  // The promotion's REPLICAOF NO ONE runs after it on the same connection; closing the gate on
  // that late reply put the new master in FAULT right after its promotion.
  Rig rig;
  rig.start_synced_to_n2();
  auto& us = rig.group->local_node();
  rig.group->add(k_n3, RedisRole::master, 5000, 100);
  us.hold_follow = true;
  rig.controller->master_seen(ip(k_n3), kAdvertInterval);
  REQUIRE(rig.run([&] { return static_cast<bool>(us.held_follow); }));

  SECTION("the promotion succeeds: the late reply changes nothing") {
    us.hold_promotion = true;
    rig.promote(ip(k_n3));
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF NO ONE"); }));
    us.release_follow();
    rig.run_for(10ms);
    us.release();
    REQUIRE(rig.run([&] { return rig.answered(); }));
    CHECK(rig.answer->first);
    rig.run_for(20ms);
    rig.check();
    CHECK_FALSE(rig.instance.is_blocked("redis sync"));
  }
  SECTION("the promotion fails: the REPLICAOF counts, and the gate closes until synced") {
    // REPLICAOF NO ONE answers +OK, ROLE still says replica (of n3): not promoted.
    us.hold_promotion = true;
    us.confirms_promotion = false;
    rig.promote(ip(k_n3));
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF NO ONE"); }));
    us.release_follow();
    rig.run_for(10ms);
    REQUIRE_FALSE(rig.answered());
    us.release();
    REQUIRE(rig.run([&] { return rig.answered(); }));
    CHECK_FALSE(rig.answer->first);
    CHECK(rig.instance.is_blocked("redis sync"));
    CHECK(rig.instance.details["redis sync"].find("following 10.0.0.3") != std::string::npos);
  }
}

TEST_CASE("role controller: a master whose Redis is not master yet is followed once it is") {
  // n3 takes over from the silent n2 and advertises before its promotion (vrrp): pointed at
  // n3's Redis, still a replica of n2, ours was refused its sync and its gate closed.
  Rig rig;
  rig.start_synced_to_n2();
  auto& n3 = rig.group->add(k_n3, RedisRole::master, 0, 0);
  rig.group->replicate(k_n3, k_n2);
  rig.controller->master_seen(ip(k_n3), kAdvertInterval);
  rig.run_for(100ms);
  CHECK_FALSE(rig.group->has("10.0.0.1 REPLICAOF 10.0.0.3 6379"));
  CHECK_FALSE(rig.instance.is_blocked("redis sync"));  // the gate untouched
  // n3's Redis is promoted; its next advert after the retry interval re-points ours.
  n3.role = RedisRole::master;
  n3.master_host.clear();
  REQUIRE(rig.run([&] {
    rig.controller->master_seen(ip(k_n3), kAdvertInterval);
    return rig.group->has("10.0.0.1 REPLICAOF 10.0.0.3 6379");
  }));
}

TEST_CASE("role controller: planned handover releases only once a replica has every write") {
  Rig rig;
  auto& us = rig.group->add(k_us, RedisRole::master, 100000, 100);
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 0, 0);
  rig.start();
  rig.group->replicate(k_n2, k_us);
  us.writes_per_look = 100;
  n2.stream_per_look = 40;
  us.offset += 2000;  // n2 lags behind
  us.last_write_offset = us.offset;

  bool done = false;
  long long replica_at_release = -1, ours_at_release = -1;
  bool paused_at_release = false;
  rig.controller->handover(
      [&](std::function<void()> released) {
        rig.group->journal.push_back("released");
        replica_at_release = n2.offset;
        ours_at_release = us.offset;
        paused_at_release = us.paused;
        // The new master promotes itself and makes our Redis its replica.
        n2.role = RedisRole::master;
        rig.group->replicate(k_us, k_n2);
        released();
      },
      [&] { done = true; });
  REQUIRE(rig.run([&] { return done; }));
  const auto& j = *rig.group;
  CHECK(paused_at_release);
  CHECK(replica_at_release == ours_at_release);
  CHECK(j.position("10.0.0.1 CLIENT PAUSE WRITE") < j.position("released"));
  CHECK(j.position("released") < j.position("10.0.0.1 CLIENT KILL normal pubsub"));
  CHECK(j.position("10.0.0.1 CLIENT KILL normal pubsub") < j.position("10.0.0.1 CLIENT UNPAUSE"));
}

TEST_CASE("role controller: a handover without a replica still releases and finishes") {
  Rig rig;
  rig.group->add(k_us, RedisRole::master, 1000, 10);
  rig.start();
  bool released = false, done = false;
  rig.controller->handover(
      [&](std::function<void()> r) {
        released = true;
        r();
      },
      [&] { done = true; });
  REQUIRE(rig.run([&] { return done; }));
  CHECK(released);
  CHECK(rig.group->has("10.0.0.1 CLIENT UNPAUSE"));
}

TEST_CASE("role controller: cold start promotes only when no peer holds newer data") {
  Rig rig(settings_for_test({ip(k_n2), ip(k_n3)}));
  rig.group->add(k_us, RedisRole::master, 300, 10);
  auto& n2 = rig.group->add(k_n2, RedisRole::master, 900, 50);
  auto& n3 = rig.group->add(k_n3, RedisRole::master, 0, 0);
  rig.start();

  SECTION("a peer holds more keys: wait (and follow it once it is master)") {
    rig.check_until([] { return false; }, 150ms);
    CHECK(rig.instance.is_blocked("redis sync"));
    CHECK(rig.controller->view().detail.find("peer 10.0.0.2 holds newer data") !=
          std::string::npos);
  }
  SECTION("the peers are empty or unreachable: ours is the data") {
    n2.keys = 0;
    n3.reachable = false;
    REQUIRE(rig.check_until([&] { return !rig.instance.is_blocked("redis sync"); }));
  }
  SECTION("we are empty and a peer's data is unknown: wait") {
    rig.group->local_node().keys = 0;
    n2.keys = 0;
    n3.reachable = false;
    rig.check_until([] { return false; }, 150ms);
    CHECK(rig.instance.is_blocked("redis sync"));
  }
}

TEST_CASE("role controller: destroyed mid-sequence, it is never called back and no step follows") {
  Rig rig;
  auto& n2 = rig.start_synced_to_n2(100000);

  SECTION("during a catch-up") {
    // Close enough to pause, then a byte per look: the sequence keeps polling while paused.
    rig.group->local_node().offset -= 5000;
    rig.group->local_node().stream_per_look = 1;
    rig.promote(ip(k_n2));
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.2 CLIENT PAUSE WRITE"); }));
    rig.controller.reset();
    const auto journal = rig.group->journal.size();
    rig.run_for(400ms);  // past handover_timeout
    CHECK_FALSE(rig.answered());
    CHECK(rig.group->journal.size() == journal);
  }
  SECTION("while REPLICAOF NO ONE waits for its confirmation") {
    n2.reachable = false;
    rig.group->local_node().hold_promotion = true;
    rig.promote();
    REQUIRE(rig.run([&] { return rig.group->has("10.0.0.1 REPLICAOF NO ONE"); }));
    rig.controller->stop();
    rig.group->local_node().release();
    rig.run_for(30ms);
    CHECK_FALSE(rig.answered());
    rig.controller.reset();
    rig.run_for(10ms);
    CHECK_FALSE(rig.answered());
  }
}

TEST_CASE("role controller: destroyed during a handover, it is never called back") {
  Rig rig;
  rig.group->add(k_us, RedisRole::master, 1000, 10);
  rig.group->add(k_n2, RedisRole::master, 0, 0);
  rig.start();
  rig.group->replicate(k_n2, k_us);
  bool called = false;
  std::function<void()> keep;
  rig.controller->handover([&](std::function<void()> released) { keep = std::move(released); },
                           [&] { called = true; });
  REQUIRE(rig.run([&] { return static_cast<bool>(keep); }));
  rig.controller.reset();
  keep();  // the instance finished its release after the controller went away
  rig.run_for(50ms);
  CHECK_FALSE(called);
  CHECK_FALSE(rig.group->has("10.0.0.1 CLIENT KILL normal pubsub"));
}

TEST_CASE("role controller: status keeps a synced replica's master offset and lag fresh") {
  // A replica's own INFO has only its own offset: the master's is read from the master, also
  // after the gate opened (measure_lag reads it no more), at most once a second.
  Rig rig;
  auto& n2 = rig.start_synced_to_n2();
  auto& us = rig.group->local_node();
  REQUIRE(rig.controller->view().master_offset);
  CHECK(rig.controller->view().master_offset->master == "10.0.0.2:6379");

  us.stream_per_look = 0;  // the stream stalls: n2's next 300 bytes do not reach us
  n2.offset += 300;
  REQUIRE(rig.check_until([&] {
    const auto m = rig.controller->view().master_offset;
    return m && m->offset == n2.offset;
  }));
  const auto m = *rig.controller->view().master_offset;
  CHECK(m.ours == us.offset);
  CHECK(m.offset - m.ours == 300);
  CHECK_FALSE(rig.instance.is_blocked("redis sync"));  // for status only: the gate stays open

  // A master that does not answer has no offset to show.
  n2.reachable = false;
  CHECK(rig.check_until([&] { return !rig.controller->view().master_offset; }));
}
