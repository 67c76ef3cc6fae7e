#include "agent/instance/eligibility.hpp"

namespace redvip::agent {

std::optional<bool> Eligibility::set(const std::string& cause, bool blocking,
                                     const std::string& detail) {
  const bool before = eligible();
  if (blocking)
    blocking_[cause] = detail;
  else
    blocking_.erase(cause);
  const bool after = eligible();
  if (before == after) return std::nullopt;
  return after;
}

bool only_waiting(const std::map<std::string, std::string>& causes) {
  if (causes.empty()) return false;
  for (const auto& [cause, detail] : causes) {
    const bool waits =
        cause == kRedisSyncCause || (cause == kRedisHealthCause && detail == kFirstChecksPending);
    if (!waits) return false;
  }
  return true;
}

std::string Eligibility::summary() const {
  std::string out;
  for (const auto& [cause, detail] : blocking_) {
    if (!out.empty()) out += "; ";
    out += cause;
    if (!detail.empty()) out += ": " + detail;
  }
  return out;
}

}  // namespace redvip::agent
