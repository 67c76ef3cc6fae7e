#include "agent/log/log.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace redvip::agent {
namespace {
Level g_max_level = Level::info;
bool g_timestamps = false;
}  // namespace

void set_log_level(Level max_level) { g_max_level = max_level; }
void set_log_timestamps(bool on) { g_timestamps = on; }

void write_log(Level level, std::string_view instance, std::string_view message) {
  if (static_cast<int>(level) > static_cast<int>(g_max_level)) return;
  std::string line = fmt::format("<{}>", static_cast<int>(level));
  if (g_timestamps) {
    // Wall clock only for humans reading the line; no logic depends on it.
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    ::localtime_r(&secs, &tm);
    line += fmt::format("{:02}:{:02}:{:02}.{:03} ", tm.tm_hour, tm.tm_min, tm.tm_sec,
                        ms.count() % 1000);
  }
  if (!instance.empty()) line += fmt::format("{}: ", instance);
  line.append(message);
  line.push_back('\n');
  // One write per line so lines from concurrent writers never interleave.
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace redvip::agent
