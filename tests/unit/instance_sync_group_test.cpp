// Two VrrpInstances (fake ports) in one SyncGroup: the group's orders reach the members as the
// daemon wires them (each member tells the group of its changes; the group looks from the
// io_context): one member's fault takes the other down, and back; a member that follows a
// better master makes the other master release; two backups take over only together.
#include <catch2/catch.hpp>

#include <algorithm>

#include "agent/instance/sync_group.hpp"
#include "instance_fakes.hpp"

using namespace redvip::agent;
using namespace redvip::agent::test;
using redvip::vrrp::State;

namespace {

InstanceSettings member_settings(const char* name, std::uint8_t vrid) {
  auto s = golden_settings();
  s.name = name;
  s.vrid = vrid;
  s.vips.at(0).address = redvip::vrrp::IpAddress::v4(10, 0, 0, vrid);
  s.sync_group = "G";
  return s;
}

struct GroupRig {
  GroupRig()
      : a(member_settings("VA", 71)),
        b(member_settings("VB", 72)),
        group(io, "G", {"VA", "VB"},
              [this](const std::string& name) -> VrrpInstance* {
                return name == "VA" ? a.instance.get() : b.instance.get();
              },
              {}) {
    for (auto* h : {&a, &b}) h->instance->set_sync_listener([this] { group.changed(); });
  }
  // Both members' clocks to `ms`, then the group's look (and what it sets off) runs.
  void at(std::int64_t ms) {
    a.at(ms);
    b.at(ms);
    settle();
  }
  void settle() {
    io.restart();
    io.poll();
  }
  boost::asio::io_context io;
  InstanceHarness a, b;
  SyncGroup group;
};

}  // namespace

TEST_CASE("sync group: one member's fault takes the other out, and both come back",
          "[instance][sync_group]") {
  QuietLogs quiet;
  GroupRig g;
  g.a.start();
  g.b.start();
  g.settle();
  g.at(400);  // both master-down intervals (360 ms) ran out: both ready, both master
  REQUIRE(g.a.instance->state() == State::master);
  REQUIRE(g.b.instance->state() == State::master);

  g.a.instance->set_blocked("link eth0", true, "down");
  g.settle();
  CHECK(g.a.instance->state() == State::fault);
  CHECK(g.b.instance->state() == State::fault);
  CHECK(g.b.instance->status().not_eligible_because == "sync group: VA in group G is in fault");
  CHECK_FALSE(g.b.vips.holds(g.b.vip()));

  g.a.instance->set_blocked("link eth0", false);
  g.settle();
  CHECK(g.a.instance->state() == State::backup);
  CHECK(g.b.instance->state() == State::backup);
  CHECK(g.b.instance->status().not_eligible_because.empty());
  g.at(800);
  CHECK(g.a.instance->state() == State::master);
  CHECK(g.b.instance->state() == State::master);
}

TEST_CASE("sync group: a member that follows a better master makes the other release",
          "[instance][sync_group]") {
  QuietLogs quiet;
  GroupRig g;
  g.a.start();
  g.b.start();
  g.settle();
  g.at(400);
  REQUIRE(g.b.instance->state() == State::master);
  g.a.take();
  g.b.take();
  g.a.advert_from(kHigher, 200);  // VA hears a better master: Backup
  g.settle();
  CHECK(g.a.instance->state() == State::backup);
  CHECK(g.b.instance->state() == State::backup);
  const auto released = g.b.take();
  CHECK(std::find(released.begin(), released.end(), "400 advert prio=0") != released.end());
  CHECK_FALSE(g.b.vips.holds(g.b.vip()));
  CHECK(g.b.instance->status().held_by_sync_group == "sync group G: VA follows a better master");
  // VB's master-down runs out (nobody advertises for it): it only wants Master while VA
  // follows its master, which advertises every 100 ms.
  for (std::int64_t t = 500; t <= 1000; t += 100) {
    g.at(t);
    g.a.advert_from(kHigher, 200);
    g.settle();
  }
  CHECK(g.b.instance->state() == State::backup);
  CHECK(g.b.instance->status().held_by_sync_group == "sync group G: VA follows a better master");
  // VA's master goes silent: VA's master-down runs out (1360 ms), and both take over together.
  g.at(1400);
  CHECK(g.a.instance->state() == State::master);
  CHECK(g.b.instance->state() == State::master);
}

TEST_CASE("sync group: two backups take over only together", "[instance][sync_group]") {
  QuietLogs quiet;
  GroupRig g;
  g.a.start();
  g.b.start();
  g.settle();
  // VB hears a master, VA does not: VA is ready at 360 ms but waits for VB.
  g.b.advert_from(kHigher, 200);
  g.settle();
  g.at(300);
  g.b.advert_from(kHigher, 200);
  g.settle();
  g.at(500);
  CHECK(g.a.instance->state() == State::backup);
  CHECK_FALSE(g.a.vips.holds(g.a.vip()));
  // VB's master goes silent: at 300 + 360 ms VB is ready too, and both become master.
  g.at(700);
  CHECK(g.a.instance->state() == State::master);
  CHECK(g.b.instance->state() == State::master);
}
