#include "agent/log/log_limiter.hpp"

namespace redvip::agent {

LogLimiter::LogLimiter(Clock::duration interval, std::size_t max_keys, Now now)
    : interval_(interval), max_keys_(max_keys), now_(std::move(now)) {}

LogLimiter::Verdict LogLimiter::admit(std::string_view key) {
  const auto now = now_();
  // Heterogeneous lookup needs C++20 transparent hashing; a key is short, a copy is cheap.
  std::string owned(key);
  if (auto it = entries_.find(owned); it != entries_.end()) return count(it->second, now);
  if (entries_.size() >= max_keys_) {
    // Forget keys whose interval is over: their next event is logged anyway (losing only the
    // count of what they suppressed), so the table holds what is flooding now.
    std::erase_if(entries_, [&](const auto& e) { return now - e.second.logged >= interval_; });
  }
  if (entries_.size() >= max_keys_) {
    if (!overflow_used_) {
      overflow_used_ = true;
      overflow_ = Entry{now, 0};
      return Verdict{true, 0, {}};
    }
    return count(overflow_, now);
  }
  entries_.emplace(std::move(owned), Entry{now, 0});
  return Verdict{true, 0, {}};
}

LogLimiter::Verdict LogLimiter::count(Entry& entry, Clock::time_point now) {
  if (now - entry.logged < interval_) {
    ++entry.suppressed;
    return Verdict{false, entry.suppressed, now - entry.logged};
  }
  const Verdict verdict{true, entry.suppressed, now - entry.logged};
  entry = Entry{now, 0};
  return verdict;
}

std::string LogLimiter::with_suppressed(std::string message, const Verdict& verdict) {
  if (verdict.suppressed == 0) return message;
  const double seconds = std::chrono::duration<double>(verdict.since).count();
  message += fmt::format(" ({} similar line{} suppressed in the last {:.1f} s)", verdict.suppressed,
                         verdict.suppressed == 1 ? "" : "s", seconds);
  return message;
}

}  // namespace redvip::agent
