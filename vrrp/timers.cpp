#include "vrrp/timers.hpp"

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

}  // namespace redvip::vrrp
