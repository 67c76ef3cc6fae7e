#pragma once
// keepalived's rise/fall hysteresis for check results, as a pure value: `fall` consecutive
// failures make a healthy (or not yet known) target unhealthy, `rise` consecutive successes
// make an unhealthy (or not yet known) target healthy.
#include <optional>
#include <string_view>

namespace redvip::agent {

enum class Health { unknown, healthy, unhealthy };
std::string_view to_string(Health health);

class HealthCounter {
 public:
  HealthCounter(int rise, int fall);

  // Records one check result; returns the new state when it changed.
  std::optional<Health> record(bool success);
  // The target is certainly down (its connection was closed or reset): unhealthy at once, as
  // after `fall` failures, without waiting for more checks; `rise` successes bring it back.
  std::optional<Health> record_lost();

  Health health() const { return health_; }
  int consecutive_successes() const { return successes_; }
  int consecutive_failures() const { return failures_; }

 private:
  int rise_;
  int fall_;
  int successes_ = 0;
  int failures_ = 0;
  Health health_ = Health::unknown;
};

}  // namespace redvip::agent
