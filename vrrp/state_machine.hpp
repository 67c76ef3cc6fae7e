#pragma once
// The per-instance VRRP state machine: a pure function of (state, event, now) -> actions.
// No sockets, no clock reads: the caller passes `now` and executes the actions it gets back.
#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "vrrp/advert.hpp"

namespace redvip::vrrp {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class State : std::uint8_t { initialize, backup, master, fault };
std::string_view to_string(State state);

enum class TimerKind : std::uint8_t { advert, master_down, preempt_delay };

struct InstanceConfig {
  Version version = Version::v3;
  Family family = Family::ipv4;
  std::uint8_t vrid = 1;
  std::uint8_t priority = 100;          // 1..255; 255 = address owner
  Centiseconds advert_interval{100};
  bool preempt = true;                  // keepalived "nopreempt" sets false
  Centiseconds preempt_delay{0};        // keepalived "preempt_delay" (seconds * 100)
  bool start_as_master = false;         // keepalived "state MASTER"
  IpAddress primary_address;            // our source address: breaks equal-priority ties
};

// Events in.
struct Startup {};
struct Shutdown {};
struct AdvertReceived {
  IpAddress source;
  std::uint8_t priority = 0;
  Centiseconds interval{100};
};
struct TimerFired {
  TimerKind timer;
};
struct EligibilityChanged {  // health or link: not eligible puts the instance in Fault
  bool eligible = true;
  std::string reason;
};
struct PriorityChanged {
  std::uint8_t priority = 100;
};
using Event = std::variant<Startup, Shutdown, AdvertReceived, TimerFired, EligibilityChanged,
                           PriorityChanged>;

// Actions out, executed in order by the agent.
struct SendAdvert {
  std::uint8_t priority = 0;  // 0 = release (priority-0 advert)
};
struct ArmTimer {
  TimerKind timer;
  TimePoint deadline;
};
struct CancelTimer {
  TimerKind timer;
};
struct TakeVips {};
struct ReleaseVips {};
struct Announce {};  // gratuitous ARP / unsolicited NA for the VIPs
struct Transition {
  State from;
  State to;
  std::string reason;
};
enum class DropReason : std::uint8_t { interval_mismatch, lower_priority_ignored_in_backup };
struct DropAdvert {
  DropReason reason;
};
using Action = std::variant<SendAdvert, ArmTimer, CancelTimer, TakeVips, ReleaseVips, Announce,
                            Transition, DropAdvert>;

class StateMachine {
 public:
  explicit StateMachine(InstanceConfig config);

  std::vector<Action> handle(const Event& event, TimePoint now);

  State state() const { return state_; }
  const InstanceConfig& config() const { return config_; }
  std::uint8_t effective_priority() const;
  Centiseconds master_adver_interval() const { return master_adver_interval_; }

 private:
  InstanceConfig config_;
  State state_ = State::initialize;
  Centiseconds master_adver_interval_;
  // The implementation adds what it needs below (eligibility, pending preempt, ...).
};

}  // namespace redvip::vrrp
