#include "agent/redis/model/health_counter.hpp"

#include <algorithm>

namespace redvip::agent {

std::string_view to_string(Health health) {
  switch (health) {
    case Health::healthy:
      return "healthy";
    case Health::unhealthy:
      return "unhealthy";
    case Health::unknown:
      break;
  }
  return "unknown";
}

HealthCounter::HealthCounter(int rise, int fall)
    : rise_(std::max(rise, 1)), fall_(std::max(fall, 1)) {}

std::optional<Health> HealthCounter::record(bool success) {
  if (success) {
    failures_ = 0;
    if (successes_ < rise_) ++successes_;
    if (successes_ >= rise_ && health_ != Health::healthy) {
      health_ = Health::healthy;
      return health_;
    }
  } else {
    successes_ = 0;
    if (failures_ < fall_) ++failures_;
    if (failures_ >= fall_ && health_ != Health::unhealthy) {
      health_ = Health::unhealthy;
      return health_;
    }
  }
  return std::nullopt;
}

std::optional<Health> HealthCounter::record_lost() {
  successes_ = 0;
  failures_ = fall_;
  if (health_ == Health::unhealthy) return std::nullopt;
  health_ = Health::unhealthy;
  return health_;
}

}  // namespace redvip::agent
