#include <catch2/catch.hpp>

#include <regex>

#include "agent/log/log.hpp"
#include "agent/log/log_limiter.hpp"

using redvip::agent::format_log_line;
using redvip::agent::journal_stream_names;
using redvip::agent::Level;
using redvip::agent::LogLimiter;
using namespace std::chrono_literals;

TEST_CASE("Log lines for the journal carry the priority and no timestamp", "[log]") {
  const auto line = format_log_line(Level::warning, "VI_1", "went BACKUP", true,
                                    std::chrono::system_clock::now());
  CHECK(line == "<4>VI_1: went BACKUP");
  CHECK(format_log_line(Level::info, "", "started", true, {}) == "<6>started");
}

TEST_CASE("Log lines for people carry a timestamp and no priority", "[log]") {
  const auto line =
      format_log_line(Level::error, "VI_1", "lost", false, std::chrono::system_clock::now());
  CHECK(std::regex_match(line, std::regex(R"(\d\d:\d\d:\d\d\.\d\d\d VI_1: lost)")));
}

TEST_CASE("JOURNAL_STREAM counts only when it names the file stderr is", "[log]") {
  CHECK(journal_stream_names("8:12345", 8, 12345));
  CHECK_FALSE(journal_stream_names("8:12345", 8, 12346));  // inherited, stderr redirected since
  CHECK_FALSE(journal_stream_names("9:12345", 8, 12345));
  CHECK_FALSE(journal_stream_names("", 8, 12345));
  CHECK_FALSE(journal_stream_names("8", 8, 12345));
  CHECK_FALSE(journal_stream_names("8:12345x", 8, 12345));
  CHECK_FALSE(journal_stream_names(":12345", 0, 12345));
}

namespace {
struct FakeClock {
  LogLimiter::Clock::time_point now{std::chrono::hours(1)};
  LogLimiter::Now fn() {
    return [this] { return now; };
  }
};
}  // namespace

TEST_CASE("Log limiter: one line per key per interval, the next says how many were suppressed",
          "[log]") {
  FakeClock clock;
  LogLimiter limiter(10s, 64, clock.fn());
  const auto start = clock.now;
  auto first = limiter.admit("interval mismatch from 10.0.0.2");
  CHECK(first.log);
  CHECK(first.suppressed == 0);
  for (int i = 0; i < 999; ++i) {
    clock.now += 5ms;
    CHECK_FALSE(limiter.admit("interval mismatch from 10.0.0.2").log);
  }
  // Another source or another reason is another key: its first line is not held back.
  CHECK(limiter.admit("interval mismatch from 10.0.0.3").log);
  CHECK(limiter.admit("bad checksum from 10.0.0.2").log);
  clock.now = start + 11s;
  const auto next = limiter.admit("interval mismatch from 10.0.0.2");
  CHECK(next.log);
  CHECK(next.suppressed == 999);
  CHECK(next.since == 11s);
  CHECK(LogLimiter::with_suppressed("advert rejected", next) ==
        "advert rejected (999 similar lines suppressed in the last 11.0 s)");
  // The window starts again at that line.
  clock.now += 1s;
  CHECK_FALSE(limiter.admit("interval mismatch from 10.0.0.2").log);
  clock.now += 10s;
  const auto after = limiter.admit("interval mismatch from 10.0.0.2");
  CHECK(after.log);
  CHECK(after.suppressed == 1);
  CHECK(LogLimiter::with_suppressed("x", after) ==
        "x (1 similar line suppressed in the last 11.0 s)");
}

TEST_CASE("Log limiter: a quiet key logs every time, unchanged", "[log]") {
  FakeClock clock;
  LogLimiter limiter(1s, 64, clock.fn());
  for (int i = 0; i < 5; ++i) {
    const auto v = limiter.admit("k");
    CHECK(v.log);
    CHECK(v.suppressed == 0);
    CHECK(LogLimiter::with_suppressed("m", v) == "m");
    clock.now += 2s;
  }
}

TEST_CASE("Log limiter: ever new keys share one overflow entry, so lines stay bounded", "[log]") {
  FakeClock clock;
  LogLimiter limiter(10s, 4, clock.fn());
  int logged = 0;
  // A flood from 10,000 spoofed sources within one interval.
  for (int i = 0; i < 10000; ++i) {
    if (limiter.admit("from 10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)).log)
      ++logged;
  }
  CHECK(logged == 5);  // four keys, then one line for all the others
  clock.now += 10s;
  // Expired keys make room again; the first new key after that is logged.
  const auto v = limiter.admit("from 192.0.2.1");
  CHECK(v.log);
  CHECK(v.suppressed == 0);
}

TEST_CASE("Log limiter: a level that is off neither logs nor counts", "[log]") {
  FakeClock clock;
  LogLimiter limiter(10s, 64, clock.fn());
  redvip::agent::set_log_level(Level::info);
  CHECK_FALSE(limiter.log(Level::debug, "", "k", "dropped {}", 1));
  // Nothing counted: the first event at a logged level is not a repeat.
  CHECK(limiter.admit("k").log);
}
