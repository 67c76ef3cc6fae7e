#pragma once
// A failover as a timeline: when the cause was seen, when the state machine decided, when
// Redis was promoted (or told to follow), when the VIP was added (or removed), when the
// announcements went out — each step with its time from the cause. The instance records one
// per transition; the last one goes to the log, `redvipctl status` and metrics (a histogram of
// how long becoming master took, cause seen to announcements).
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vrrp/state_machine.hpp"

namespace redvip::agent {

// The two steps every timeline begins with.
inline constexpr std::string_view kCauseSeen = "cause seen";
inline constexpr std::string_view kDecision = "decision";

struct TimelineStep {
  std::string what;                 // "cause seen", "decision", "redis promoted", "VIP added", ...
  std::chrono::microseconds at{0};  // since the cause was seen
};

struct FailoverTimeline {
  vrrp::State from = vrrp::State::initialize;
  vrrp::State to = vrrp::State::initialize;
  std::string reason;
  std::chrono::system_clock::time_point seen_at;  // wall clock, for people
  std::vector<TimelineStep> steps;

  std::chrono::microseconds total() const {
    return steps.empty() ? std::chrono::microseconds(0) : steps.back().at;
  }
  // Something was done past the cause and the decision (Redis, the VIP, announcements): only
  // then is it a failover worth a log line. A start (INIT -> BACKUP) or a backup's move into or
  // out of Fault has nothing to time, and a line of zeros read like a failover that took none.
  bool has_actions() const;
  // "BACKUP -> MASTER (master down): cause seen +0.0 ms, decision +0.1 ms, ..., total 4.6 ms"
  std::string text() const;
  std::string json() const;
};

// Prometheus-style cumulative buckets, in seconds.
struct DurationHistogram {
  static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
  std::array<std::uint64_t, kBounds.size()> buckets{};  // observations <= each bound
  std::uint64_t count = 0;
  double sum = 0;

  void observe(double seconds);
};

// How a transition reads in the log. A node that is only waiting (eligibility.hpp:
// only_waiting: its Redis's first checks at start, a sync from the master it was pointed at) is
// VRRP's Fault, but nothing failed: going there from INIT or BACKUP the line says what it waits
// for, and leaving that Fault says the wait is over, where "BACKUP -> FAULT: not eligible" at
// every clean start read like an error. A master that must stop serving is a fault and reads as
// one. `waiting_for`: the eligibility summary when only waiting, else empty; `leaving_wait`: the
// Fault being left was such a wait.
std::string transition_text(vrrp::State from, vrrp::State to, const std::string& reason,
                            const std::string& waiting_for, bool leaving_wait);

// What the instance records as a transition runs; pure (times are passed in).
class TimelineRecorder {
 public:
  // A transition starts: the cause was seen at `seen`, the machine decided at `now`.
  void begin(vrrp::State from, vrrp::State to, std::string reason, vrrp::TimePoint seen,
             vrrp::TimePoint now, std::chrono::system_clock::time_point wall_now);
  void step(const std::string& what, vrrp::TimePoint now);
  // The transition has settled: the timeline becomes last(); a finished Backup -> Master or
  // Fault -> Master (it reached its announcements) is counted in the histogram. Returns the
  // timeline finished, if one was under way.
  std::optional<FailoverTimeline> finish();

  const std::optional<FailoverTimeline>& last() const { return last_; }
  const DurationHistogram& master_durations() const { return master_durations_; }

 private:
  std::optional<FailoverTimeline> current_;
  vrrp::TimePoint seen_{};
  std::optional<FailoverTimeline> last_;
  DurationHistogram master_durations_;
};

}  // namespace redvip::agent
