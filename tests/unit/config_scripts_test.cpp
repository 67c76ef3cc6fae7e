// keepalived's notify and track keywords: what they turn into, and the old Redis recipe's
// scripts named with what to write instead (warnings without a redis block, an error for a
// role-changing script beside one).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "agent/config/parser.hpp"
#include "agent/config/script_hints.hpp"
#include "agent/config/values.hpp"

using namespace redvip::agent;
using std::chrono::milliseconds;

namespace {

std::string errors_of(const LoadResult& result) {
  std::string all;
  for (const auto& e : result.errors) all += e.to_string() + "\n";
  return all;
}
std::string warnings_of(const LoadResult& result) {
  std::string all;
  for (const auto& w : result.warnings) all += w + "\n";
  return all;
}

std::string instance(const std::string& extra) {
  return "vrrp_instance VI_1 {\n"
         "    interface eth0\n"
         "    virtual_router_id 51\n"
         "    priority 100\n"
         "    virtual_ipaddress {\n"
         "        192.0.2.1\n"
         "    }\n" +
         extra + "\n}\n";
}

}  // namespace

TEST_CASE("Config: notify scripts and the fifo as keepalived writes them", "[config][scripts]") {
  const std::string text =
      "global_defs {\n"
      "  notify_fifo /run/keepalived.fifo\n"
      "  script_user nobody nogroup\n"
      "}\n"
      "redvip_defs {\n"
      "  notify_timeout 2.5\n"
      "}\n" +
      instance(
          "    notify \"/usr/local/bin/notify.sh --all\"\n"
          "    notify_master /usr/local/bin/master.sh root\n"
          "    notify_backup /usr/local/bin/backup.sh\n"
          "    notify_fault /usr/local/bin/fault.sh daemon adm\n"
          "    notify_stop /usr/local/bin/stop.sh\n");
  const LoadResult result = parse_config_text(text, "t.conf");
  INFO(errors_of(result));
  REQUIRE(result.config);
  const auto& n = result.config->instances.at(0).notify;
  REQUIRE(n.any);
  CHECK(n.any->command == "/usr/local/bin/notify.sh --all");
  CHECK(n.any->user == "nobody");
  CHECK(n.any->group == "nogroup");
  CHECK(n.any->source == "t.conf:15");
  REQUIRE(n.master);
  CHECK(n.master->user == "root");
  CHECK(n.master->group.empty());
  CHECK(n.fault->user == "daemon");
  CHECK(n.fault->group == "adm");
  CHECK(n.backup->command == "/usr/local/bin/backup.sh");
  CHECK(n.stop->command == "/usr/local/bin/stop.sh");
  CHECK(n.fifo == "/run/keepalived.fifo");
  CHECK(n.timeout == milliseconds(2500));
  CHECK(!n.empty());
  CHECK(result.config->instances.at(0).notify != NotifySettings{});
}

TEST_CASE("Config: vrrp_script, track_script and track_file with keepalived's defaults",
          "[config][scripts]") {
  const std::string text =
      "vrrp_script chk_gw {\n"
      "  script \"/bin/ping -c1 -W1 192.0.2.254\"\n"
      "  interval 2\n"
      "  weight -20\n"
      "  fall 3\n"
      "  rise 2\n"
      "  user nobody\n"
      "}\n"
      "vrrp_script chk_maint {\n"
      "  script \"/usr/bin/test ! -e /etc/maint\"\n"
      "  timeout 0.5\n"
      "  init_fail\n"
      "}\n"
      "vrrp_track_file maint {\n"
      "  file /run/maint\n"
      "  weight 0\n"
      "}\n" +
      instance(
          "    track_script {\n"
          "        chk_gw\n"
          "        chk_maint weight 10\n"
          "    }\n"
          "    track_file {\n"
          "        maint\n"
          "    }\n");
  const LoadResult result = parse_config_text(text, "t.conf");
  INFO(errors_of(result));
  REQUIRE(result.config);
  const auto& s = result.config->instances.at(0);
  REQUIRE(s.track_scripts.size() == 2);
  const auto& gw = s.track_scripts[0].script;
  CHECK(gw.name == "chk_gw");
  CHECK(gw.interval == milliseconds(2000));
  CHECK(gw.timeout == milliseconds(2000));  // the interval when not given
  CHECK(gw.weight == -20);
  CHECK(gw.fall == 3);
  CHECK(gw.rise == 2);
  CHECK(gw.script.user == "nobody");
  CHECK_FALSE(gw.init_fail);
  const auto& maint = s.track_scripts[1].script;
  CHECK(maint.interval == milliseconds(1000));
  CHECK(maint.timeout == milliseconds(500));
  CHECK(maint.weight == 10);  // the instance's weight
  CHECK(maint.rise == 1);
  CHECK(maint.fall == 1);
  CHECK(maint.init_fail);
  REQUIRE(s.track_files.size() == 1);
  CHECK(s.track_files[0].file.path == "/run/maint");
  CHECK(s.track_files[0].file.weight == 0);
  CHECK(result.warnings.empty());
}

TEST_CASE("Config: command lines split like keepalived's", "[config][scripts]") {
  using V = std::vector<std::string>;
  CHECK(split_command_line("/bin/echo a  b") == V{"/bin/echo", "a", "b"});
  CHECK(split_command_line("/bin/sh -c 'exit 3'") == V{"/bin/sh", "-c", "exit 3"});
  CHECK(split_command_line("a \"b c\" d\\ e") == V{"a", "b c", "d e"});
  CHECK(split_command_line("a ''") == V{"a", ""});
  CHECK_FALSE(split_command_line("a 'b"));
  CHECK_FALSE(split_command_line("   "));
}

TEST_CASE("Config: the old Redis recipe is recognised in command lines and script files",
          "[config][scripts]") {
  CHECK(runs_role_change({"redis-cli SLAVEOF NO ONE", ""}));
  CHECK(runs_role_change({"/x.sh", "#!/bin/sh\nredis-cli -p 6380 replicaof 10.0.0.1 6379\n"}));
  CHECK_FALSE(runs_role_change({"/usr/bin/slaveofthings", ""}));
  CHECK_FALSE(runs_role_change({"/bin/logger master", "echo slaveoff"}));
  CHECK(runs_redis_ping({"/usr/bin/redis-cli -h 127.0.0.1 -p 6380 PING", ""}));
  CHECK(runs_redis_ping({"/x.sh", "test \"$(redis-cli ping)\" = PONG"}));
  CHECK_FALSE(runs_redis_ping({"/bin/ping -c1 192.0.2.1", ""}));
  CHECK(redis_cli_address("redis-cli -h 10.0.0.5 -p 6380 ping") == "10.0.0.5 6380");
  CHECK(redis_cli_address("redis-cli ping") == "127.0.0.1 6379");
  using T = ReplicationTarget;
  CHECK(replication_target({"/usr/bin/redis-cli -p 6379 SLAVEOF 192.0.2.2 6379", ""}) ==
        T{"192.0.2.2", "6379"});
  CHECK(replication_target({"/x.sh", "#!/bin/sh\nredis-cli replicaof 10.0.0.1 6380\n"}) ==
        T{"10.0.0.1", "6380"});
  CHECK_FALSE(replication_target({"redis-cli SLAVEOF NO ONE", ""}));
  CHECK_FALSE(replication_target({"/x.sh", "redis-cli SLAVEOF $MASTER 6379"}));
}

TEST_CASE("Config: the old Redis recipe without a redis block names each line to change",
          "[config][scripts]") {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("redvip-recipe-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string master_sh = dir + "/redis-master.sh";
  std::ofstream(master_sh) << "#!/bin/sh\nredis-cli SLAVEOF NO ONE\n";
  const std::string text =
      "vrrp_script chk_redis {\n"
      "  script \"/usr/bin/redis-cli -p 6380 PING\"\n"
      "  interval 1\n"
      "}\n" +
      instance(
          "    track_script {\n"
          "        chk_redis\n"
          "    }\n"
          "    notify_master " +
          master_sh +
          "\n"
          "    notify_backup \"/usr/bin/redis-cli SLAVEOF 10.0.0.1 6380\"\n");
  const LoadResult result = parse_config_text(text, "t.conf");
  INFO(errors_of(result));
  REQUIRE(result.config);  // it runs as keepalived would
  const std::string w = warnings_of(result);
  INFO(w);
  // One block for every line, with the peer the scripts point Redis at.
  CHECK(w.find("t.conf:13: vrrp_instance VI_1: track_script chk_redis checks Redis with redis-cli: "
               "replace this line (and vrrp_script chk_redis at t.conf:1) with redis { peers { "
               "10.0.0.1 } address 127.0.0.1 6380 }") != std::string::npos);
  CHECK(w.find(
            "t.conf:15: vrrp_instance VI_1: notify_master runs SLAVEOF/REPLICAOF: remove this line "
            "and add redis { peers { 10.0.0.1 } address 127.0.0.1 6380 }") != std::string::npos);
  CHECK(w.find("t.conf:16: vrrp_instance VI_1: notify_backup runs SLAVEOF/REPLICAOF") !=
        std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("Config: a recipe that points Redis at the VIP gets no VIP as a peer in its hint",
          "[config][scripts]") {
  const LoadResult result = parse_config_text(
      instance("    notify_backup \"/usr/bin/redis-cli SLAVEOF 192.0.2.1 6379\"\n"), "t.conf");
  REQUIRE(result.config);
  const std::string w = warnings_of(result);
  INFO(w);
  CHECK(w.find("add redis { address 127.0.0.1 6379 } (with peers { ADDRESS } inside it") !=
        std::string::npos);
  CHECK(w.find("peers { 192.0.2.1 }") == std::string::npos);
}

TEST_CASE("Config: a role-changing notify script beside a redis block is refused",
          "[config][scripts]") {
  const std::string text = instance(
      "    notify_master \"/usr/bin/redis-cli REPLICAOF NO ONE\"\n"
      "    notify \"/usr/bin/logger -t vip\"\n"
      "    redis {\n"
      "        address 127.0.0.1 6379\n"
      "        peers {\n"
      "            192.0.2.2\n"
      "        }\n"
      "    }\n");
  const LoadResult result = parse_config_text(text, "t.conf");
  REQUIRE_FALSE(result.config);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].line == 8);
  CHECK(result.errors[0].message.find(
            "notify_master runs SLAVEOF/REPLICAOF, which would fight the role "
            "changes of the redis { } block") != std::string::npos);
  // A notify script that only tells others is fine beside it.
  const LoadResult fine = parse_config_text(
      instance(
          "    notify \"/usr/bin/logger -t vip\"\n    redis {\n        "
          "address 127.0.0.1 6379\n        peers {\n            192.0.2.2\n        }\n    }\n"),
      "t.conf");
  CHECK(fine.config);
}

namespace {

// The text of the block a hint says to write: from "redis {" to its matching "}".
std::string hinted_block(const std::string& hint) {
  const std::size_t begin = hint.find("redis {");
  if (begin == std::string::npos) return {};
  int depth = 0;
  for (std::size_t i = begin; i < hint.size(); ++i) {
    if (hint[i] == '{') ++depth;
    if (hint[i] == '}' && --depth == 0) return hint.substr(begin, i + 1 - begin);
  }
  return {};
}

// Does what each warning of -t says, literally: removes the lines it names (a "vrrp_script X at
// FILE:L" named with it goes from L to its closing brace) and adds the block it names to the
// instance, once.
std::string apply_hints(const std::string& text, const std::string& file,
                        const std::vector<std::string>& warnings) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::vector<bool> removed(lines.size(), false);
  std::string block;
  auto line_at = [&](const std::string& w, std::size_t at) {
    return static_cast<std::size_t>(std::stoul(w.substr(at + file.size() + 1))) - 1;
  };
  for (const auto& w : warnings) {
    if (w.rfind(file + ":", 0) != 0) continue;
    if (w.find("remove this line") == std::string::npos &&
        w.find("replace this line") == std::string::npos)
      continue;
    removed.at(line_at(w, 0)) = true;
    if (const auto at = w.find("vrrp_script chk_redis at " + file); at != std::string::npos) {
      std::size_t l = line_at(w, at + std::string("vrrp_script chk_redis at ").size());
      while (lines.at(l) != "}") removed[l++] = true;
      removed[l] = true;
    }
    if (block.empty()) block = hinted_block(w);
  }
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i + 1 == lines.size() && lines[i] == "}") out += "    " + block + "\n";
    if (!removed[i]) out += lines[i] + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("Config: the recipe with exactly the lines -t names changed passes -t",
          "[config][scripts]") {
  const std::string path =
      std::string(REDVIP_FIXTURES_DIR) + "/keepalived_samples/redis_recipe.conf";
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const LoadResult before = parse_config_text(text, "recipe.conf");
  REQUIRE(before.config);
  INFO(warnings_of(before));
  const std::string converted = apply_hints(text, "recipe.conf", before.warnings);
  INFO(converted);
  REQUIRE(converted.find("redis { peers { 192.0.2.2 } address 127.0.0.1 6379 }") !=
          std::string::npos);
  const LoadResult after = parse_config_text(converted, "converted.conf");
  INFO(errors_of(after));
  REQUIRE(after.config);
  CHECK(warnings_of(after).find("SLAVEOF") == std::string::npos);
  const auto& redis = after.config->instances.at(0).redis;
  REQUIRE(redis);
  CHECK(redis->peers ==
        std::vector<redvip::vrrp::IpAddress>{*redvip::vrrp::IpAddress::parse("192.0.2.2")});
  CHECK(after.config->instances.at(0).track_scripts.empty());
}

TEST_CASE("Config: a sync group's role-changing notify script is judged as an instance's",
          "[config][scripts]") {
  auto config = [](const std::string& member_extra) {
    return instance(member_extra) +
           "vrrp_instance VI_2 {\n    interface eth0\n    virtual_router_id 52\n"
           "    virtual_ipaddress {\n        192.0.2.3\n    }\n}\n"
           "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n"
           "    notify_master \"/usr/bin/redis-cli SLAVEOF NO ONE\"\n"
           "    notify_backup \"/usr/bin/redis-cli SLAVEOF 192.0.2.2 6379\"\n"
           "    notify \"/usr/bin/logger -t vip\"\n}\n";
  };
  SECTION("beside a member's redis block: refused, naming the lines") {
    const LoadResult result =
        parse_config_text(config("    redis {\n        address 127.0.0.1 6379\n        peers {\n"
                                 "            192.0.2.2\n        }\n    }\n"),
                          "t.conf");
    REQUIRE_FALSE(result.config);
    INFO(errors_of(result));
    REQUIRE(result.errors.size() == 2);
    CHECK(result.errors[0].line == 28);
    CHECK(result.errors[0].message.find(
              "vrrp_sync_group G: notify_master runs SLAVEOF/REPLICAOF, which would fight the "
              "role changes of the redis { } block of vrrp_instance VI_1: remove it") !=
          std::string::npos);
    CHECK(result.errors[1].line == 29);
  }
  SECTION("without one: each line named with the block to write") {
    const LoadResult result = parse_config_text(config(""), "t.conf");
    INFO(errors_of(result));
    REQUIRE(result.config);
    const std::string w = warnings_of(result);
    INFO(w);
    CHECK(w.find("t.conf:22: vrrp_sync_group G: notify_master runs SLAVEOF/REPLICAOF: remove this "
                 "line and add redis { peers { 192.0.2.2 } address 127.0.0.1 6379 } to the member "
                 "vrrp_instance in front of this Redis") != std::string::npos);
    CHECK(w.find("t.conf:23: vrrp_sync_group G: notify_backup") != std::string::npos);
    CHECK(w.find("t.conf:24") == std::string::npos);
  }
}
