#include <catch2/catch.hpp>

#include "agent/redis/model/health_counter.hpp"

using namespace redvip::agent;

TEST_CASE("health counter needs rise successes to become healthy") {
  HealthCounter c(3, 2);
  CHECK(c.health() == Health::unknown);
  CHECK_FALSE(c.record(true));
  CHECK_FALSE(c.record(true));
  auto changed = c.record(true);
  REQUIRE(changed);
  CHECK(*changed == Health::healthy);
  CHECK_FALSE(c.record(true));  // no repeated notification
  CHECK(c.health() == Health::healthy);
}

TEST_CASE("health counter needs fall consecutive failures to become unhealthy") {
  HealthCounter c(1, 3);
  REQUIRE(c.record(true) == Health::healthy);
  CHECK_FALSE(c.record(false));
  CHECK_FALSE(c.record(false));
  CHECK_FALSE(c.record(true));  // a success in between resets the failure run
  CHECK_FALSE(c.record(false));
  CHECK_FALSE(c.record(false));
  CHECK(c.record(false) == Health::unhealthy);
  CHECK(c.consecutive_failures() == 3);
  CHECK_FALSE(c.record(false));
}

TEST_CASE("health counter recovers after rise successes, and a failure resets the run") {
  HealthCounter c(2, 1);
  REQUIRE(c.record(false) == Health::unhealthy);
  CHECK_FALSE(c.record(true));
  CHECK_FALSE(c.record(false));
  CHECK_FALSE(c.record(true));
  CHECK(c.record(true) == Health::healthy);
}

TEST_CASE("health counter treats rise/fall below 1 as 1") {
  HealthCounter c(0, 0);
  CHECK(c.record(false) == Health::unhealthy);
  CHECK(c.record(true) == Health::healthy);
}

TEST_CASE("A lost connection is unhealthy at once; rise successes bring it back",
          "[redis][health]") {
  redvip::agent::HealthCounter c(2, 3);
  using redvip::agent::Health;
  CHECK(c.record(true) == std::nullopt);
  CHECK(c.record(true) == Health::healthy);
  CHECK(c.record_lost() == Health::unhealthy);
  CHECK(c.record_lost() == std::nullopt);
  CHECK(c.record(true) == std::nullopt);
  CHECK(c.record(true) == Health::healthy);
}
