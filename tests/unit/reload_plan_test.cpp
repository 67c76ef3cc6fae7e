// Reload as a plan: running and new configuration in, kept / restarted / added / removed out.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "agent/daemon/reload_plan.hpp"

using namespace redvip::agent;
using redvip::vrrp::Family;
using redvip::vrrp::IpAddress;

namespace {

InstanceSettings instance(std::string name, std::uint8_t priority = 100,
                          Family family = Family::ipv4, int line = 1) {
  InstanceSettings s;
  s.source_file = "/etc/redvip/redvip.conf";
  s.source_line = line;
  s.name = std::move(name);
  s.interface = "eth0";
  s.vrid = 51;
  s.priority = priority;
  s.family = family;
  return s;
}

Config config(std::vector<InstanceSettings> instances) {
  Config c;
  c.instances = std::move(instances);
  return c;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("Reload plan: each instance kept, restarted, added or removed by name", "[reload]") {
  struct Row {
    const char* what;
    Config running;
    Config next;
    Names kept, restarted, added, removed;
  };
  const std::vector<Row> rows = {
      {"unchanged",
       config({instance("a"), instance("b")}),
       config({instance("a"), instance("b")}),
       {"a", "b"},
       {},
       {},
       {}},
      {"priority changed",
       config({instance("a"), instance("b")}),
       config({instance("a", 50), instance("b")}),
       {"b"},
       {"a"},
       {},
       {}},
      {"added and removed",
       config({instance("a"), instance("b")}),
       config({instance("b"), instance("c")}),
       {"b"},
       {},
       {"c"},
       {"a"}},
      {"order in the file does not matter",
       config({instance("a"), instance("b")}),
       config({instance("b"), instance("a")}),
       {"a", "b"},
       {},
       {},
       {}},
      {"everything at once",
       config({instance("a"), instance("b"), instance("c")}),
       config({instance("a"), instance("b", 20), instance("d")}),
       {"a"},
       {"b"},
       {"d"},
       {"c"}},
      {"moved to another line of the file",
       config({instance("a")}),
       config({instance("a", 100, Family::ipv4, 12)}),
       {"a"},
       {},
       {},
       {}},
      {"from nothing", config({}), config({instance("a")}), {}, {}, {"a"}, {}},
      {"to nothing", config({instance("a")}), config({}), {}, {}, {}, {"a"}},
  };
  for (const auto& row : rows) {
    INFO(row.what);
    const auto plan = plan_reload(row.running, row.next);
    CHECK(plan.kept == row.kept);
    CHECK(plan.restarted == row.restarted);
    CHECK(plan.added == row.added);
    CHECK(plan.removed == row.removed);
  }
}

TEST_CASE("Reload plan: a new multicast group restarts the instances of that family only",
          "[reload]") {
  const auto running = config({instance("v4"), instance("v6", 100, Family::ipv6)});
  auto next = running;
  next.globals.mcast_group4 = IpAddress::v4(224, 0, 0, 19);
  auto plan = plan_reload(running, next);
  CHECK(plan.restarted == Names{"v4"});
  CHECK(plan.kept == Names{"v6"});

  next = running;
  next.globals.router_id = "other";  // not used by a running instance
  plan = plan_reload(running, next);
  CHECK(plan.kept == Names{"v4", "v6"});
}

TEST_CASE("Reload plan: listeners move only when their addresses change", "[reload]") {
  const auto running = config({instance("a")});
  auto next = running;
  CHECK_FALSE(plan_reload(running, next).endpoints_changed);
  next.redvip.control_socket = "/run/other.sock";
  CHECK(plan_reload(running, next).endpoints_changed);
  next = running;
  next.redvip.metrics_address = HostPort{IpAddress::v4(127, 0, 0, 1), 9650};
  CHECK(plan_reload(running, next).endpoints_changed);
}

TEST_CASE("Reload plan: the summary counts each kind", "[reload]") {
  const auto plan = plan_reload(config({instance("a"), instance("b")}),
                                config({instance("a", 1), instance("c"), instance("d")}));
  CHECK(plan.summary() == "0 kept, 1 restarted, 2 added, 1 removed");
}
