#pragma once
// Scenario tables for the VRRP state machine: rows of (time, event) -> expected actions and
// state, fed to one StateMachine against a fake clock. Times are centiseconds after t0, with
// fractions where a skew is not whole centiseconds (priority 100: 60.9375 cs).
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "vrrp/state_machine.hpp"

namespace redvip::vrrp::test {

inline const TimePoint t0 = TimePoint{} + std::chrono::hours(1000);
inline TimePoint at(double centiseconds) {
  return t0 + Microseconds{std::llround(centiseconds * 10'000)};
}

// Short names for table rows.
inline Action send(std::uint8_t priority) { return SendAdvert{priority}; }
inline Action last_advert(std::uint8_t priority) { return SendAdvert{priority, true}; }
inline Action arm(TimerKind timer, double centiseconds) {
  return ArmTimer{timer, at(centiseconds)};
}
inline Action cancel(TimerKind timer) { return CancelTimer{timer}; }
inline Action drop(DropReason reason) { return DropAdvert{reason}; }
inline Action follows(const IpAddress& master) { return MasterChanged{master}; }
inline Action follows_none() { return MasterChanged{std::nullopt}; }
inline Action wants(bool yes) { return WantsMaster{yes}; }
inline Action deferred(double stalled_cs, double grace_cs) {
  return MasterDownDeferred{Microseconds{std::llround(stalled_cs * 10'000)},
                            Microseconds{std::llround(grace_cs * 10'000)}};
}
inline Event resumed(double stalled_cs) {
  return HostResumed{Microseconds{std::llround(stalled_cs * 10'000)}};
}
inline Event sync_hold(bool held,
                       std::string reason = "sync group G: VI_2 follows a better master") {
  return SyncHold{held, std::move(reason)};
}
// An empty reason matches any reason: tables check from/to, dedicated tests check reasons.
inline Action moved(State from, State to, std::string reason = {}) {
  return Transition{from, to, std::move(reason)};
}
inline Event advert(const IpAddress& source, std::uint8_t priority, std::int64_t interval = 100) {
  return AdvertReceived{source, priority, Centiseconds{interval}};
}
inline Event fired(TimerKind timer) { return TimerFired{timer}; }
inline Event eligibility(bool eligible, std::string reason = {}) {
  return EligibilityChanged{eligible, std::move(reason)};
}
inline Event priority_change(std::uint8_t priority) { return PriorityChanged{priority}; }
inline Event promotion_failed(std::string reason) { return PromotionFailed{std::move(reason)}; }
inline Action take(std::optional<IpAddress> live_master = std::nullopt) {
  return TakeVips{std::move(live_master)};
}
// Taking over from a master that released (priority 0) and is still alive.
inline Action take_released(IpAddress live_master) {
  return TakeVips{std::move(live_master), true};
}

// The states, one letter each, as the tables write them.
inline constexpr auto I = State::initialize;
inline constexpr auto B = State::backup;
inline constexpr auto M = State::master;
inline constexpr auto F = State::fault;

inline constexpr auto kAdvert = TimerKind::advert;
inline constexpr auto kMasterDown = TimerKind::master_down;
inline constexpr auto kPreemptDelay = TimerKind::preempt_delay;
inline constexpr auto kPromotionRetry = TimerKind::promotion_retry;

inline const IpAddress kUs = IpAddress::v4(10, 0, 0, 5);
inline const IpAddress kLowerAddress = IpAddress::v4(10, 0, 0, 4);
inline const IpAddress kHigherAddress = IpAddress::v4(10, 0, 0, 6);

inline InstanceConfig config(Version version, std::uint8_t priority, std::int64_t interval = 100) {
  InstanceConfig c;
  c.version = version;
  c.priority = priority;
  c.advert_interval = Centiseconds{interval};
  c.primary_address = kUs;
  return c;
}

inline std::string describe(const Action& action) {
  std::ostringstream text;
  std::visit(
      [&](const auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, SendAdvert>) {
          text << "SendAdvert(" << int{a.priority} << (a.yielding ? ", yielding" : "") << ")";
        } else if constexpr (std::is_same_v<A, ArmTimer>) {
          text << "ArmTimer(" << to_string(a.timer) << ", t0+" << std::setprecision(10)
               << std::chrono::duration_cast<Microseconds>(a.deadline - t0).count() / 10'000.0
               << "cs)";
        } else if constexpr (std::is_same_v<A, CancelTimer>) {
          text << "CancelTimer(" << to_string(a.timer) << ")";
        } else if constexpr (std::is_same_v<A, TakeVips>) {
          text << "TakeVips(live=" << (a.live_master ? a.live_master->to_string() : "none") << ")";
        } else if constexpr (std::is_same_v<A, ReleaseVips>) {
          text << "ReleaseVips";
        } else if constexpr (std::is_same_v<A, Announce>) {
          text << "Announce";
        } else if constexpr (std::is_same_v<A, Transition>) {
          text << "Transition(" << to_string(a.from) << "->" << to_string(a.to) << ", \""
               << a.reason << "\")";
        } else if constexpr (std::is_same_v<A, DropAdvert>) {
          text << "DropAdvert(" << to_string(a.reason) << ")";
        } else if constexpr (std::is_same_v<A, SplitBrain>) {
          text << "SplitBrain(" << static_cast<int>(a.phase) << ", " << a.other.to_string() << ", "
               << int{a.other_priority} << ", "
               << std::chrono::duration_cast<Centiseconds>(a.duration).count() << "cs)";
        } else if constexpr (std::is_same_v<A, WantsMaster>) {
          text << "WantsMaster(" << (a.wants ? "yes" : "no") << ")";
        } else if constexpr (std::is_same_v<A, MasterDownDeferred>) {
          text << "MasterDownDeferred(stalled "
               << std::chrono::duration_cast<Microseconds>(a.stalled).count() / 10'000.0
               << "cs, grace "
               << std::chrono::duration_cast<Microseconds>(a.grace).count() / 10'000.0 << "cs)";
        } else {
          text << "MasterChanged(" << (a.master ? a.master->to_string() : "none") << ")";
        }
      },
      action);
  return text.str();
}

inline std::string describe(const std::vector<Action>& actions) {
  std::string text = "[";
  for (const auto& action : actions) {
    if (text.size() > 1) text += ", ";
    text += describe(action);
  }
  return text + "]";
}

inline bool matches(const Action& expected, const Action& actual) {
  const auto* want = std::get_if<Transition>(&expected);
  const auto* got = std::get_if<Transition>(&actual);
  if (want && got && want->reason.empty()) return want->from == got->from && want->to == got->to;
  return expected == actual;
}

inline bool matches(const std::vector<Action>& expected, const std::vector<Action>& actual) {
  if (expected.size() != actual.size()) return false;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (!matches(expected[i], actual[i])) return false;
  }
  return true;
}

struct Step {
  std::int64_t time;  // centiseconds after t0
  Event event;
  std::vector<Action> expect;
  State state;
};

inline void run(StateMachine& machine, const std::vector<Step>& steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    const auto actual = machine.handle(step.event, at(step.time));
    INFO("row " << i << " at t0+" << step.time << "cs (event #" << step.event.index() << ")");
    INFO("expected " << describe(step.expect));
    INFO("actual   " << describe(actual));
    CHECK(matches(step.expect, actual));
    CHECK(to_string(machine.state()) == to_string(step.state));
  }
}

}  // namespace redvip::vrrp::test
