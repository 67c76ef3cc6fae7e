#include "vrrp/timers.hpp"

#include <algorithm>

namespace redvip::vrrp {

namespace {
constexpr Centiseconds kOneSecond{100};
}  // namespace

Centiseconds min_advert_interval(Version version) {
  return version == Version::v2 ? kOneSecond : Centiseconds{1};
}

Centiseconds max_advert_interval(Version version) {
  return version == Version::v2 ? 255 * kOneSecond : Centiseconds{4095};
}

bool advert_interval_valid(Version version, Centiseconds interval) {
  if (interval < min_advert_interval(version) || interval > max_advert_interval(version)) {
    return false;
  }
  // The v2 header carries whole seconds: anything finer cannot be advertised.
  return version != Version::v2 || interval.count() % kOneSecond.count() == 0;
}

Microseconds skew_time(Version version, std::uint8_t priority, Centiseconds master_adver_interval) {
  const std::int64_t weight = 256 - static_cast<std::int64_t>(priority);
  const Microseconds base = version == Version::v2 ? kOneSecond : master_adver_interval;
  return Microseconds{weight * base.count() / 256};
}

Microseconds master_down_interval(Version version, std::uint8_t priority,
                                  Centiseconds master_adver_interval) {
  return Microseconds{3 * master_adver_interval} +
         skew_time(version, priority, master_adver_interval);
}

std::chrono::steady_clock::time_point next_advert_time(std::chrono::steady_clock::time_point now,
                                                       Centiseconds interval) {
  const auto whole = std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
  const auto due = now + whole;
  if (whole.count() <= 0) return due;
  const auto since_boot = due.time_since_epoch();
  auto past_grid = since_boot % whole;
  if (past_grid.count() < 0) past_grid += whole;  // a clock before its epoch: still never late
  return std::max(due - past_grid, now + whole / 2);
}

}  // namespace redvip::vrrp
