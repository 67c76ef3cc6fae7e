#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "agent/instance/eligibility.hpp"

using redvip::agent::Eligibility;

TEST_CASE("Eligibility reports a change only when the overall verdict flips", "[eligibility]") {
  Eligibility e;
  CHECK(e.eligible());
  CHECK(e.set("link eth0", true, "down") == std::optional<bool>(false));
  CHECK(e.set("redis", true, "timeout") == std::nullopt);  // already ineligible
  CHECK(e.summary() == "link eth0: down; redis: timeout");
  CHECK(e.set("link eth0", false) == std::nullopt);  // redis still blocks
  CHECK_FALSE(e.eligible());
  CHECK(e.set("redis", false) == std::optional<bool>(true));
  CHECK(e.eligible());
  CHECK(e.set("redis", false) == std::nullopt);  // clearing twice is harmless
  CHECK(e.summary().empty());
}

TEST_CASE("Eligibility: only a Redis not synced yet or not checked yet is a wait",
          "[eligibility]") {
  using Causes = std::map<std::string, std::string>;
  struct Row {
    Causes causes;
    bool waiting;
  };
  const Row rows[] = {
      {{}, false},  // eligible: nothing to wait for
      {{{"redis health", "first checks pending"}, {"redis sync", "not yet checked"}}, true},
      {{{"redis sync", "following 10.0.0.1:6379: must sync from it first"}}, true},
      {{{"redis health", "connection refused"}}, false},  // broken, not pending
      {{{"redis sync", "not yet checked"}, {"link eth0", "down"}}, false},
      {{{"sync group", "VI_2 in group G is in fault"}}, false},
      {{{"script chk", "failing"}}, false},
  };
  for (const auto& row : rows) CHECK(redvip::agent::only_waiting(row.causes) == row.waiting);
}
