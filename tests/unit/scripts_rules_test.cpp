// keepalived's notification calls and fifo lines, and its tracking arithmetic, as tables.
#include <catch2/catch.hpp>

#include "agent/scripts/notification.hpp"
#include "agent/scripts/tracking_rules.hpp"

using namespace redvip::agent;

TEST_CASE("Notifications: notify_<state> first, then notify with keepalived's arguments",
          "[scripts]") {
  NotifySettings s;
  s.any = ScriptCommand{"/n.sh", "", "", "t:1"};
  s.master = ScriptCommand{"/m.sh", "", "", "t:2"};
  s.stop = ScriptCommand{"/s.sh", "", "", "t:3"};
  auto calls = notification_calls(s, "VI_1", NotifyState::master, 150);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].label == "notify_master");
  CHECK(calls[0].command.command == "/m.sh");
  CHECK(calls[0].args.empty());
  CHECK(calls[1].label == "notify");
  CHECK(calls[1].args == std::vector<std::string>{"INSTANCE", "VI_1", "MASTER", "150"});
  calls = notification_calls(s, "VI_1", NotifyState::backup, 100);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].args == std::vector<std::string>{"INSTANCE", "VI_1", "BACKUP", "100"});
  calls = notification_calls(s, "VI_1", NotifyState::stop, 100);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].label == "notify_stop");
  CHECK(calls[1].args[2] == "STOP");
  CHECK(notification_calls(NotifySettings{}, "VI_1", NotifyState::fault, 1).empty());
}

TEST_CASE("Notifications: the fifo line is keepalived's", "[scripts]") {
  CHECK(fifo_line("VI_1", NotifyState::master, 150) == "INSTANCE \"VI_1\" MASTER 150\n");
  CHECK(fifo_line("redis", NotifyState::fault, 100) == "INSTANCE \"redis\" FAULT 100\n");
  CHECK(fifo_line("redis", NotifyState::stop, 0) == "INSTANCE \"redis\" STOP 0\n");
}

TEST_CASE("Notifications: a sync group's say GROUP, with priority 0", "[scripts]") {
  NotifySettings s;
  s.any = ScriptCommand{"/n.sh", "", "", "t:1"};
  s.fault = ScriptCommand{"/f.sh", "", "", "t:2"};
  const auto calls = notification_calls(s, "G1", NotifyState::fault, 0, NotifyKind::group);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].label == "notify_fault");
  CHECK(calls[1].args == std::vector<std::string>{"GROUP", "G1", "FAULT", "0"});
  CHECK(fifo_line("G1", NotifyState::master, 0, NotifyKind::group) == "GROUP \"G1\" MASTER 0\n");
}

TEST_CASE("Tracking: weights and faults as keepalived counts them", "[scripts]") {
  struct Case {
    const char* what;
    std::uint8_t base;
    std::vector<ScriptState> scripts;
    std::vector<FileState> files;
    int priority;
    std::vector<std::string> faults;
  };
  const std::vector<Case> cases = {
      {"nothing tracked", 100, {}, {}, 100, {}},
      {"weight 0 failing: fault", 100, {{"chk", 0, false}}, {}, 100, {"script chk"}},
      {"weight 0 ok", 100, {{"chk", 0, true}}, {}, 100, {}},
      {"positive weight adds while ok", 100, {{"a", 20, true}, {"b", 5, false}}, {}, 120, {}},
      {"negative weight subtracts while failing",
       100,
       {{"a", -30, false}, {"b", -5, true}},
       {},
       70,
       {}},
      {"clamped to 254", 250, {{"a", 20, true}}, {}, 254, {}},
      {"clamped to 1", 10, {{"a", -50, false}}, {}, 1, {}},
      {"an owner stays 255", 255, {{"a", -50, false}}, {}, 255, {}},
      {"file value times weight", 100, {}, {{"f", 5, 3}}, 115, {}},
      {"file negative", 100, {}, {{"f", -10, 2}}, 80, {}},
      {"file weight 0 non-zero: fault", 100, {}, {{"f", 0, 1}}, 100, {"file f"}},
      {"file weight 0 zero", 100, {}, {{"f", 0, 0}}, 100, {}},
      {"file at -254: fault", 100, {}, {{"f", 1, -254}}, 1, {"file f"}},
      {"file huge number stays bounded", 100, {}, {{"f", 253, 99999999999LL}}, 254, {}},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.what) {
      const auto v = tracking_verdict(c.base, c.scripts, c.files);
      CHECK(int{v.priority} == c.priority);
      std::vector<std::string> faults;
      for (const auto& [cause, detail] : v.faults) faults.push_back(cause);
      CHECK(faults == c.faults);
    }
  }
}

TEST_CASE("Tracking: a weighted track_interface moves the priority, never faults", "[scripts]") {
  // keepalived.conf.vrrp.localcheck's VI_1: eth1 weight 2 (+2 while up), eth2 weight -2
  // (-2 while down), beside chk_haproxy weight 2.
  const std::vector<ScriptState> scripts = {{"chk_haproxy", 2, true}};
  auto verdict = [&](bool eth1_up, bool eth2_up) {
    return tracking_verdict(100, scripts, {}, {{"eth1", 2, eth1_up}, {"eth2", -2, eth2_up}});
  };
  CHECK(int{verdict(true, true).priority} == 104);
  CHECK(int{verdict(false, true).priority} == 102);
  CHECK(int{verdict(true, false).priority} == 102);
  CHECK(int{verdict(false, false).priority} == 100);
  CHECK(verdict(false, false).faults.empty());
  // The sum is clamped once, as for scripts.
  CHECK(int{tracking_verdict(253, {}, {}, {{"eth1", 2, true}}).priority} == 254);
  CHECK(int{tracking_verdict(2, {}, {}, {{"eth1", -253, false}}).priority} == 1);
}

TEST_CASE("Tracking: a track file's number", "[scripts]") {
  CHECK(track_file_value("5\n") == 5);
  CHECK(track_file_value("  -12 trailing") == -12);
  CHECK(track_file_value("+3") == 3);
  CHECK(track_file_value("") == 0);
  CHECK(track_file_value("abc") == 0);
  CHECK(track_file_value("-") == 0);
  CHECK(track_file_value("999999999999999999999999") > 0);
}
