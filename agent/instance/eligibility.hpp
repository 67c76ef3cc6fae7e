#pragma once
// Why an instance may not be master right now. Several independent causes (link down, a tracked
// interface down, Redis unhealthy, Redis not yet synced) each hold the instance in Fault; it is
// eligible again only when every one has cleared.
#include <map>
#include <optional>
#include <string>

namespace redvip::agent {

// Causes that mean "not yet" rather than "broken": a Redis that has not synced from the master
// it follows (at start, or after it was pointed at a new master), and the first health checks
// at start. A node whose only causes are these waits; the log says so instead of a fault.
inline constexpr const char* kRedisSyncCause = "redis sync";
inline constexpr const char* kRedisHealthCause = "redis health";
inline constexpr const char* kFirstChecksPending = "first checks pending";
bool only_waiting(const std::map<std::string, std::string>& causes);

class Eligibility {
 public:
  // Sets or clears one cause. Returns the new overall verdict when it changed.
  std::optional<bool> set(const std::string& cause, bool blocking, const std::string& detail = {});

  bool eligible() const { return blocking_.empty(); }
  // "link eth0 down; redis unhealthy: timeout" — for logs and status.
  std::string summary() const;
  const std::map<std::string, std::string>& causes() const { return blocking_; }

 private:
  std::map<std::string, std::string> blocking_;  // cause -> detail
};

}  // namespace redvip::agent
