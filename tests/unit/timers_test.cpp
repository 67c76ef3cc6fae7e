#include <catch2/catch.hpp>

#include "vrrp/timers.hpp"

using redvip::vrrp::Centiseconds;
using redvip::vrrp::Version;
namespace vrrp = redvip::vrrp;

namespace {
Centiseconds cs(std::int64_t n) { return Centiseconds{n}; }
}  // namespace

// Expected values are worked out by hand from the RFC formulas (shown next to each).
TEST_CASE("v3 skew time is (256 - priority) * Master_Adver_Interval / 256 centiseconds",
          "[timers]") {
  CHECK(vrrp::skew_time(Version::v3, 100, cs(100)) == cs(60));    // 15600/256 = 60.94
  CHECK(vrrp::skew_time(Version::v3, 1, cs(100)) == cs(99));      // 25500/256 = 99.61
  CHECK(vrrp::skew_time(Version::v3, 254, cs(100)) == cs(0));     // 200/256 = 0.78
  CHECK(vrrp::skew_time(Version::v3, 200, cs(4095)) == cs(895));  // 229320/256 = 895.78
  CHECK(vrrp::skew_time(Version::v3, 100, cs(10)) == cs(6));      // 1560/256 = 6.09
  CHECK(vrrp::skew_time(Version::v3, 100, cs(1000)) == cs(609));  // 156000/256 = 609.38
  // The interval matters in v3: the same priority, a different interval, another skew.
  CHECK(vrrp::skew_time(Version::v3, 100, cs(50)) == cs(30));  // 7800/256 = 30.47
}

TEST_CASE("v2 skew time is (256 - priority) / 256 seconds whatever the interval", "[timers]") {
  CHECK(vrrp::skew_time(Version::v2, 100, cs(100)) == cs(60));  // 0.609375 s
  CHECK(vrrp::skew_time(Version::v2, 100, cs(500)) == cs(60));  // interval does not enter
  CHECK(vrrp::skew_time(Version::v2, 1, cs(100)) == cs(99));    // 0.99609 s
  CHECK(vrrp::skew_time(Version::v2, 200, cs(300)) == cs(21));  // 56/256 s = 21.875 cs
  CHECK(vrrp::skew_time(Version::v2, 255, cs(100)) == cs(0));   // 1/256 s = 0.39 cs
}

TEST_CASE("Sub-centisecond skew is truncated, never rounded up", "[timers]") {
  // (256-255) * 255 / 256 = 0.996 cs -> 0; (256-255) * 256 / 256 = 1 exactly.
  CHECK(vrrp::skew_time(Version::v3, 255, cs(255)) == cs(0));
  CHECK(vrrp::skew_time(Version::v3, 255, cs(256)) == cs(1));
  // 2 * 383 / 256 = 2.992 -> 2, not 3.
  CHECK(vrrp::skew_time(Version::v3, 254, cs(383)) == cs(2));
  // v2 priority 128: exactly 0.5 s. Priority 127: 0.50390625 s -> 50 cs.
  CHECK(vrrp::skew_time(Version::v2, 128, cs(100)) == cs(50));
  CHECK(vrrp::skew_time(Version::v2, 127, cs(100)) == cs(50));
}

TEST_CASE("Master down interval is 3 * interval + skew", "[timers]") {
  CHECK(vrrp::master_down_interval(Version::v3, 100, cs(100)) == cs(360));
  CHECK(vrrp::master_down_interval(Version::v3, 100, cs(10)) == cs(36));
  CHECK(vrrp::master_down_interval(Version::v3, 255, cs(4095)) == cs(12300));  // 12285 + 15
  CHECK(vrrp::master_down_interval(Version::v3, 1, cs(1)) == cs(3));           // 255/256 -> 0
  CHECK(vrrp::master_down_interval(Version::v2, 100, cs(300)) == cs(960));     // 900 + 60
  CHECK(vrrp::master_down_interval(Version::v2, 255, cs(100)) == cs(300));
}

TEST_CASE("A higher priority never times out later than a lower one", "[timers]") {
  for (const auto version : {Version::v2, Version::v3}) {
    for (const std::int64_t interval : {1, 10, 100, 255, 256, 1000, 4095}) {
      for (int priority = 1; priority < 255; ++priority) {
        const auto p = static_cast<std::uint8_t>(priority);
        const auto next = static_cast<std::uint8_t>(priority + 1);
        INFO("version " << int(version) << " interval " << interval << " priority " << priority);
        CHECK(vrrp::skew_time(version, next, cs(interval)) <=
              vrrp::skew_time(version, p, cs(interval)));
        CHECK(vrrp::master_down_interval(version, p, cs(interval)) >= 3 * cs(interval));
      }
    }
  }
}

TEST_CASE("Advert interval limits per version", "[timers]") {
  CHECK(vrrp::min_advert_interval(Version::v2) == cs(100));
  CHECK(vrrp::max_advert_interval(Version::v2) == cs(25500));
  CHECK(vrrp::min_advert_interval(Version::v3) == cs(1));
  CHECK(vrrp::max_advert_interval(Version::v3) == cs(4095));

  CHECK(vrrp::advert_interval_valid(Version::v2, cs(100)));
  CHECK(vrrp::advert_interval_valid(Version::v2, cs(25500)));
  CHECK_FALSE(vrrp::advert_interval_valid(Version::v2, cs(0)));
  CHECK_FALSE(vrrp::advert_interval_valid(Version::v2, cs(99)));
  CHECK_FALSE(vrrp::advert_interval_valid(Version::v2, cs(25600)));
  CHECK_FALSE(vrrp::advert_interval_valid(Version::v2, cs(150)));  // v2 carries whole seconds

  CHECK(vrrp::advert_interval_valid(Version::v3, cs(1)));
  CHECK(vrrp::advert_interval_valid(Version::v3, cs(150)));  // fractional seconds: v3 only
  CHECK(vrrp::advert_interval_valid(Version::v3, cs(4095)));
  CHECK_FALSE(vrrp::advert_interval_valid(Version::v3, cs(0)));
  CHECK_FALSE(vrrp::advert_interval_valid(Version::v3, cs(4096)));
  CHECK_FALSE(vrrp::advert_interval_valid(Version::v3, cs(-5)));
}
