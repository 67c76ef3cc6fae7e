// The split-brain settings of the redis block: diverged_writes_dir, diverged_writes_merge and
// peer_loss_pause.
#include <catch2/catch.hpp>

#include <string>

#include "agent/config/parser.hpp"

using namespace redvip::agent;

namespace {
std::string with_redis(const std::string& lines) {
  return "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 7\n"
         "  virtual_ipaddress {\n    192.0.2.1\n  }\n  redis {\n    peers {\n      192.0.2.2\n    "
         "}\n" +
         lines + "  }\n}\n";
}
}  // namespace

TEST_CASE("Config: split-brain settings in the redis block", "[config][split_brain]") {
  SECTION("defaults: nothing saved, no merge") {
    const auto result = parse_config_text(with_redis(""), "t.conf");
    REQUIRE(result.errors.empty());
    const auto& r = *result.config->instances.at(0).redis;
    CHECK(r.diverged_writes_dir.empty());
    CHECK_FALSE(r.diverged_writes_merge);
    CHECK_FALSE(r.peer_loss_pause.on);
  }
  SECTION("set") {
    const auto result =
        parse_config_text(with_redis("    diverged_writes_dir /var/lib/redvip/diverged\n"
                                     "    diverged_writes_merge on\n"),
                          "t.conf");
    REQUIRE(result.errors.empty());
    const auto& r = *result.config->instances.at(0).redis;
    CHECK(r.diverged_writes_dir == "/var/lib/redvip/diverged");
    CHECK(r.diverged_writes_merge);
  }
  SECTION("refused: merge neither on nor off, a second directory") {
    CHECK_FALSE(
        parse_config_text(with_redis("    diverged_writes_merge yes\n"), "t.conf").errors.empty());
    CHECK_FALSE(
        parse_config_text(with_redis("    diverged_writes_dir /a\n    diverged_writes_dir /b\n"),
                          "t.conf")
            .errors.empty());
  }
}

TEST_CASE("Config: peer_loss_pause", "[config][split_brain]") {
  auto parsed = [](const std::string& value) {
    return parse_config_text(with_redis("    peer_loss_pause " + value + "\n"), "t.conf");
  };
  using Pause = RedisSettings::PeerLossPause;
  const struct {
    const char* value;
    Pause expected;
  } accepted[] = {
      {"off", Pause{false, std::nullopt}},
      {"auto", Pause{true, std::nullopt}},
      {"0.5", Pause{true, std::chrono::milliseconds(500)}},
      {"0.01", Pause{true, std::chrono::milliseconds(10)}},
      {"600", Pause{true, std::chrono::milliseconds(600000)}},
  };
  for (const auto& row : accepted) {
    INFO(row.value);
    const auto result = parsed(row.value);
    REQUIRE(result.errors.empty());
    CHECK(result.config->instances.at(0).redis->peer_loss_pause == row.expected);
  }
  for (const char* refused : {"on", "0", "0.001", "601", "-1", "auto auto"}) {
    INFO(refused);
    CHECK_FALSE(parsed(refused).errors.empty());
  }
  const auto message = parsed("soon").errors.at(0).message;
  CHECK(message.find("0.01..600 seconds, or off or auto") != std::string::npos);
}
