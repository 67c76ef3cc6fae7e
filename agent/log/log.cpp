#include "agent/log/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <ctime>

namespace redvip::agent {
namespace {
Level g_max_level = Level::info;
bool g_journal = false;

template <typename T>
bool parse_decimal(std::string_view text, T& out) {
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc() && ptr == end;
}
}  // namespace

void set_log_level(Level max_level) { g_max_level = max_level; }
bool log_enabled(Level level) { return static_cast<int>(level) <= static_cast<int>(g_max_level); }
void set_log_to_journal(bool journal) { g_journal = journal; }

bool journal_stream_names(std::string_view journal_stream, dev_t device, ino_t inode) {
  const auto colon = journal_stream.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long dev = 0, ino = 0;
  return parse_decimal(journal_stream.substr(0, colon), dev) &&
         parse_decimal(journal_stream.substr(colon + 1), ino) && dev == device && ino == inode;
}

bool stderr_is_journal() {
  // The variable is inherited by children whose stderr goes elsewhere (a shell started from a
  // service, a redirect): only a match with fd 2 itself counts.
  const char* stream = ::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (stream == nullptr || ::fstat(STDERR_FILENO, &st) != 0) return false;
  return journal_stream_names(stream, st.st_dev, st.st_ino);
}

std::string format_log_line(Level level, std::string_view instance, std::string_view message,
                            bool journal, std::chrono::system_clock::time_point now) {
  std::string line;
  if (journal) {
    line = fmt::format("<{}>", static_cast<int>(level));
  } else {
    // Wall clock only for humans reading the line; no logic depends on it.
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    ::localtime_r(&secs, &tm);
    line = fmt::format("{:02}:{:02}:{:02}.{:03} ", tm.tm_hour, tm.tm_min, tm.tm_sec,
                       ms.count() % 1000);
  }
  if (!instance.empty()) line += fmt::format("{}: ", instance);
  line.append(message);
  return line;
}

void write_log(Level level, std::string_view instance, std::string_view message) {
  if (!log_enabled(level)) return;
  std::string line =
      format_log_line(level, instance, message, g_journal, std::chrono::system_clock::now());
  line.push_back('\n');
  // One write per line so lines from concurrent writers never interleave.
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace redvip::agent
