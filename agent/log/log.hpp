#pragma once
// One line per event on stderr, journald style: "<priority>" prefix that journald turns into the
// log level, then the instance name when there is one. No timestamps: journald adds them.
#include <fmt/format.h>

#include <string_view>

namespace redvip::agent {

enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

void set_log_level(Level max_level);
// Timestamps are prefixed when stderr is not journald (interactive runs, tests, the demo).
void set_log_timestamps(bool on);
void write_log(Level level, std::string_view instance, std::string_view message);

template <typename... Args>
void log(Level level, std::string_view instance, fmt::format_string<Args...> format,
         Args&&... args) {
  write_log(level, instance, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace redvip::agent
