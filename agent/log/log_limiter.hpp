#pragma once
// Keeps an event that repeats (a flood of bad packets, a client reconnecting in a loop) to one log
// line per key per interval, and says in the next line how many were suppressed. How to use it:
// agent/log/log.hpp. Single-threaded, like the io_context that owns whoever logs.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/log/log.hpp"

namespace redvip::agent {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  // At most max_keys keys are tracked: a flood of ever new keys (spoofed sources) shares one
  // more, so memory and lines stay bounded whatever arrives.
  explicit LogLimiter(Clock::duration interval = std::chrono::seconds(10),
                      std::size_t max_keys = 64, Now now = &Clock::now);

  struct Verdict {
    bool log = false;              // write this one
    std::uint64_t suppressed = 0;  // events of this key not logged since its last line
    Clock::duration since{};       // since that last line
  };
  // Counts one event of this key.
  Verdict admit(std::string_view key);

  // The message, with " (N similar lines suppressed in the last S s)" when some were; nothing
  // when the level is off or the key is within its interval. True when a line was written.
  template <typename... Args>
  bool log(Level level, std::string_view instance, std::string_view key,
           fmt::format_string<Args...> format, Args&&... args) {
    if (!log_enabled(level)) return false;
    const Verdict verdict = admit(key);
    if (!verdict.log) return false;
    write_log(level, instance,
              with_suppressed(fmt::format(format, std::forward<Args>(args)...), verdict));
    return true;
  }

  static std::string with_suppressed(std::string message, const Verdict& verdict);

 private:
  struct Entry {
    Clock::time_point logged;
    std::uint64_t suppressed = 0;
  };
  Verdict count(Entry& entry, Clock::time_point now);

  Clock::duration interval_;
  std::size_t max_keys_;
  Now now_;
  std::unordered_map<std::string, Entry> entries_;
  Entry overflow_;
  bool overflow_used_ = false;
};

}  // namespace redvip::agent
