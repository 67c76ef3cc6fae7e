#pragma once
// One line per event on stderr. Where stderr goes decides the format:
// - journald (JOURNAL_STREAM names fd 2): "<priority>" prefix, which journald turns into the log
//   level, and no timestamp (journald adds its own);
// - a terminal, a file, a pipe: a local timestamp and no prefix, for people reading it.
// Then the instance name when there is one, then the message.
//
// Anything a peer, a packet or a local user can make happen again and again is logged through a
// LogLimiter (agent/log/log_limiter.hpp): one line per key (the reason and the source) per
// interval, the next line after it says how many were suppressed. Keep one as a member of whoever
// logs the event:
//
//   LogLimiter rejects_{std::chrono::seconds(10)};
//   rejects_.log(Level::warning, name_, fmt::format("{} from {}", reason, source),
//                "advert from {} rejected: {} (interval {} ms)", source, reason, interval_ms);
//
// prints "VI_1: advert from 10.0.0.2 rejected: ..." once, suppresses the same key for 10 s, and
// the first one after that ends in "(1234 similar lines suppressed in the last 10.0 s)". The
// key names the reason and the source, never a changing detail (a counter, a sequence number),
// or every line is new. Only what is logged is formatted; a suppressed event costs its key and a
// lookup.
#include <fmt/format.h>

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>

namespace redvip::agent {

enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

void set_log_level(Level max_level);
bool log_enabled(Level level);

// True when JOURNAL_STREAM ("DEVICE:INODE") names the file stderr is: the systemd way of telling
// a service that its stderr is the journal (what sd_journal_stream_fd sets up).
bool stderr_is_journal();
bool journal_stream_names(std::string_view journal_stream, dev_t device, ino_t inode);
// Journal format ("<6>" prefix, no timestamp) or terminal format (timestamp, no prefix); the
// terminal format is the default.
void set_log_to_journal(bool journal);

// The line as written, without the newline: pure, for tests.
std::string format_log_line(Level level, std::string_view instance, std::string_view message,
                            bool journal, std::chrono::system_clock::time_point now);
void write_log(Level level, std::string_view instance, std::string_view message);

template <typename... Args>
void log(Level level, std::string_view instance, fmt::format_string<Args...> format,
         Args&&... args) {
  if (!log_enabled(level)) return;
  write_log(level, instance, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace redvip::agent
