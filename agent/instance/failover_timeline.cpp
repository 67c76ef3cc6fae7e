#include "agent/instance/failover_timeline.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace redvip::agent {
namespace {

double ms(std::chrono::microseconds at) { return static_cast<double>(at.count()) / 1000.0; }

std::string escape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') out += static_cast<char>('\\');
    if (c < 0x20)
      out += fmt::format("\\u{:04x}", c);
    else
      out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

std::string FailoverTimeline::text() const {
  std::string out = fmt::format("{} -> {}", vrrp::to_string(from), vrrp::to_string(to));
  if (!reason.empty()) out += fmt::format(" ({})", reason);
  out += ":";
  for (std::size_t i = 0; i < steps.size(); ++i)
    out += fmt::format("{} {} +{:.1f} ms", i == 0 ? "" : ",", steps[i].what, ms(steps[i].at));
  return out;
}

std::string FailoverTimeline::json() const {
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::milliseconds>(seen_at.time_since_epoch()).count();
  std::string out = fmt::format(
      "{{\"from\":\"{}\",\"to\":\"{}\",\"reason\":\"{}\",\"seen_at_ms\":{},\"total_ms\":{:.3f},"
      "\"steps\":[",
      vrrp::to_string(from), vrrp::to_string(to), escape(reason), since_epoch, ms(total()));
  for (std::size_t i = 0; i < steps.size(); ++i)
    out += fmt::format("{}{{\"step\":\"{}\",\"at_ms\":{:.3f}}}", i ? "," : "",
                       escape(steps[i].what), ms(steps[i].at));
  return out + "]}";
}

std::string transition_text(vrrp::State from, vrrp::State to, const std::string& reason,
                            const std::string& waiting_for, bool leaving_wait) {
  const auto moved = fmt::format("{} -> {}", vrrp::to_string(from), vrrp::to_string(to));
  const bool starts_waiting = to == vrrp::State::fault && !waiting_for.empty() &&
                              (from == vrrp::State::initialize || from == vrrp::State::backup);
  if (starts_waiting)
    return fmt::format("{}: {}waits for {} before it may be master", moved,
                       from == vrrp::State::initialize ? "started; " : "", waiting_for);
  if (from == vrrp::State::fault && to != vrrp::State::initialize && leaving_wait)
    return fmt::format("{}: the wait is over, it may be master", moved);
  return fmt::format("{}: {}", moved, reason);
}

bool FailoverTimeline::has_actions() const {
  return std::any_of(steps.begin(), steps.end(), [](const TimelineStep& step) {
    return step.what != kCauseSeen && step.what != kDecision;
  });
}

void DurationHistogram::observe(double seconds) {
  for (std::size_t i = 0; i < kBounds.size(); ++i)
    if (seconds <= kBounds[i]) ++buckets[i];
  ++count;
  sum += seconds;
}

void TimelineRecorder::begin(vrrp::State from, vrrp::State to, std::string reason,
                             vrrp::TimePoint seen, vrrp::TimePoint now,
                             std::chrono::system_clock::time_point wall_now) {
  // A transition that starts before the last one settled (a promotion that failed) ends it.
  if (current_) finish();
  seen = std::min(seen, now);
  seen_ = seen;
  FailoverTimeline t;
  t.from = from;
  t.to = to;
  t.reason = std::move(reason);
  t.seen_at =
      wall_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(now - seen);
  t.steps.push_back({std::string(kCauseSeen), std::chrono::microseconds(0)});
  current_ = std::move(t);
  step(std::string(kDecision), now);
}

void TimelineRecorder::step(const std::string& what, vrrp::TimePoint now) {
  if (!current_) return;
  current_->steps.push_back({what, std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::max(now - seen_, vrrp::Clock::duration(0)))});
}

std::optional<FailoverTimeline> TimelineRecorder::finish() {
  if (!current_) return std::nullopt;
  FailoverTimeline done = std::move(*current_);
  current_.reset();
  const bool announced = !done.steps.empty() && done.steps.back().what == "announced" &&
                         done.to == vrrp::State::master;
  if (announced) master_durations_.observe(static_cast<double>(done.total().count()) / 1e6);
  last_ = done;
  return done;
}

}  // namespace redvip::agent
