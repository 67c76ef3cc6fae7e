#include <catch2/catch.hpp>

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
