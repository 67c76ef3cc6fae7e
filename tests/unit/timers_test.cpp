#include <catch2/catch.hpp>

#include "vrrp/timers.hpp"

using redvip::vrrp::Centiseconds;
using redvip::vrrp::Microseconds;
using redvip::vrrp::Version;
namespace vrrp = redvip::vrrp;

namespace {
Centiseconds cs(std::int64_t n) { return Centiseconds{n}; }
Microseconds us(std::int64_t n) { return Microseconds{n}; }
}  // namespace

// Expected values are worked out by hand from the RFC formulas (shown next to each), in
// microseconds as keepalived keeps them (1 cs = 10,000 us).
TEST_CASE("v3 skew time is (256 - priority) * Master_Adver_Interval / 256", "[timers]") {
  CHECK(vrrp::skew_time(Version::v3, 100, cs(100)) == us(609375));    // 156 * 1 s / 256
  CHECK(vrrp::skew_time(Version::v3, 1, cs(100)) == us(996093));      // 996093.75
  CHECK(vrrp::skew_time(Version::v3, 254, cs(100)) == us(7812));      // 7812.5
  CHECK(vrrp::skew_time(Version::v3, 200, cs(4095)) == us(8957812));  // 56 * 40.95 s / 256
  CHECK(vrrp::skew_time(Version::v3, 100, cs(10)) == us(60937));      // 60937.5
  CHECK(vrrp::skew_time(Version::v3, 100, cs(1000)) == us(6093750));  // 156 * 10 s / 256
  // The interval matters in v3: the same priority, a different interval, another skew.
  CHECK(vrrp::skew_time(Version::v3, 100, cs(50)) == us(304687));  // 304687.5
  // 10 ms adverts: whole centiseconds would make this 0 (master-down 30 ms, not 36.09).
  CHECK(vrrp::skew_time(Version::v3, 100, cs(1)) == us(6093));  // 6093.75
}

TEST_CASE("v2 skew time is (256 - priority) / 256 seconds whatever the interval", "[timers]") {
  CHECK(vrrp::skew_time(Version::v2, 100, cs(100)) == us(609375));  // 0.609375 s
  CHECK(vrrp::skew_time(Version::v2, 100, cs(500)) == us(609375));  // interval does not enter
  CHECK(vrrp::skew_time(Version::v2, 1, cs(100)) == us(996093));    // 0.99609375 s
  CHECK(vrrp::skew_time(Version::v2, 200, cs(300)) == us(218750));  // 56/256 s
  CHECK(vrrp::skew_time(Version::v2, 255, cs(100)) == us(3906));    // 1/256 s = 3906.25 us
}

TEST_CASE("Sub-microsecond skew is truncated, never rounded up", "[timers]") {
  // 1 * 2.55 s / 256 = 9960.94 us -> 9960; 1 * 2.56 s / 256 = 10000 exactly.
  CHECK(vrrp::skew_time(Version::v3, 255, cs(255)) == us(9960));
  CHECK(vrrp::skew_time(Version::v3, 255, cs(256)) == us(10000));
  // 2 * 3.83 s / 256 = 29921.875 -> 29921.
  CHECK(vrrp::skew_time(Version::v3, 254, cs(383)) == us(29921));
  // v2 priority 128: exactly 0.5 s. Priority 127: 0.50390625 s.
  CHECK(vrrp::skew_time(Version::v2, 128, cs(100)) == us(500000));
  CHECK(vrrp::skew_time(Version::v2, 127, cs(100)) == us(503906));
}

TEST_CASE("Backups of a three-node group time out apart, the higher priority first", "[timers]") {
  // Whole centiseconds gave both 6 cs at 0.1 s adverts: the two backups took over in the same
  // millisecond. 166 and 176 * 0.1 s / 256: 3.9 ms apart.
  CHECK(vrrp::skew_time(Version::v3, 90, cs(10)) == us(64843));
  CHECK(vrrp::skew_time(Version::v3, 80, cs(10)) == us(68750));
}

TEST_CASE("Master down interval is 3 * interval + skew", "[timers]") {
  CHECK(vrrp::master_down_interval(Version::v3, 100, cs(100)) == us(3609375));
  CHECK(vrrp::master_down_interval(Version::v3, 100, cs(10)) == us(360937));
  CHECK(vrrp::master_down_interval(Version::v3, 100, cs(1)) == us(36093));         // 10 ms adverts
  CHECK(vrrp::master_down_interval(Version::v3, 255, cs(4095)) == us(123009960));  // + 159960
  CHECK(vrrp::master_down_interval(Version::v3, 1, cs(1)) == us(39960));           // 30000 + 9960
  CHECK(vrrp::master_down_interval(Version::v2, 100, cs(300)) == us(9609375));     // 9 s + 0.609
  CHECK(vrrp::master_down_interval(Version::v2, 255, cs(100)) == us(3003906));
}

TEST_CASE("A higher priority always times out before a lower one", "[timers]") {
  for (const auto version : {Version::v2, Version::v3}) {
    for (const std::int64_t interval : {1, 10, 100, 255, 256, 1000, 4095}) {
      for (int priority = 1; priority < 255; ++priority) {
        const auto p = static_cast<std::uint8_t>(priority);
        const auto next = static_cast<std::uint8_t>(priority + 1);
        INFO("version " << int(version) << " interval " << interval << " priority " << priority);
        // One priority step is interval / 256, at least 39 us: never lost to truncation.
        CHECK(vrrp::skew_time(version, next, cs(interval)) <
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

TEST_CASE("The next advert is due on the interval's grid, at least half an interval on",
          "[timers]") {
  using std::chrono::milliseconds;
  const auto boot = std::chrono::steady_clock::time_point{};
  const auto ms = [&](std::int64_t n) { return boot + milliseconds(n); };
  struct Row {
    std::int64_t now_ms;
    std::int64_t interval_cs;
    std::int64_t due_ms;
  };
  for (const auto& row : std::vector<Row>{
           {0, 10, 100},              // on the grid already: one whole interval
           {1, 10, 100},              // 101 brought forward to the 100 ms grid
           {49, 10, 100},             // 149 -> 100
           {50, 10, 100},             // 150 -> 100: exactly half an interval, the earliest
           {61, 10, 111},             // 161: the grid point is too soon, half an interval
           {111, 10, 200},            // ... and from there the grid
           {3709, 100, 4209},         // 1 s adverts: 4709, the grid point 4000 too soon
           {5, 1, 10},                // 10 ms adverts: the 10 ms grid
           {7, 1, 12},                // 17: the grid point 10 too soon
           {1234567, 4095, 1269450},  // the longest v3 interval: its grid is 40950 ms
       }) {
    INFO("now " << row.now_ms << " ms, interval " << row.interval_cs << " cs");
    const auto due = vrrp::next_advert_time(ms(row.now_ms), cs(row.interval_cs));
    CHECK(due == ms(row.due_ms));
    CHECK(due <= ms(row.now_ms) + cs(row.interval_cs));
    CHECK(due >= ms(row.now_ms) + cs(row.interval_cs) / 2);
  }
  // Instances armed at different moments meet on the same grid point, at most two adverts on.
  CHECK(vrrp::next_advert_time(ms(3), cs(10)) == vrrp::next_advert_time(ms(42), cs(10)));
  CHECK(vrrp::next_advert_time(vrrp::next_advert_time(ms(87), cs(10)), cs(10)) == ms(200));
  // A clock before its epoch (a test's fake clock) is still never late.
  const auto early = boot - milliseconds(30);
  const auto due = vrrp::next_advert_time(early, cs(10));
  CHECK(due <= early + cs(10));
  CHECK(due == boot + milliseconds(20));
}
