#pragma once
// The per-instance VRRP state machine: a pure function of (state, event, now) -> actions.
// No sockets, no clock reads: the caller passes `now` and executes the actions it gets back,
// in order. RFC 5798 section 6.4 (RFC 3768 for v2) with keepalived 2.2.7's additions:
// Fault for "not eligible", nopreempt, preempt_delay, "state MASTER", an immediate advert
// from a master that hears a lower priority. Each choice is explained where it is made
// (state_machine.cpp).
//
// For the caller: pass Clock::now() read when the event happened. A TimerFired whose timer
// is not armed, or whose `now` is before the armed deadline, is stale and does nothing, so
// a completion that raced a cancel or re-arm is harmless.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vrrp/advert.hpp"

namespace redvip::vrrp {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class State : std::uint8_t { initialize, backup, master, fault };
std::string_view to_string(State state);

// The values index arrays of timers (0..kTimerKindCount-1). promotion_retry: how long a node
// whose promotion failed stays in Fault before it tries again.
enum class TimerKind : std::uint8_t { advert, master_down, preempt_delay, promotion_retry };
inline constexpr std::size_t kTimerKindCount = 4;
std::string_view to_string(TimerKind timer);

struct InstanceConfig {
  Version version = Version::v3;
  Family family = Family::ipv4;
  std::uint8_t vrid = 1;
  std::uint8_t priority = 100;  // 1..255; 255 = address owner
  Centiseconds advert_interval{100};
  bool preempt = true;                // keepalived "nopreempt" sets false
  Centiseconds preempt_delay{0};      // keepalived "preempt_delay" (seconds * 100)
  bool start_as_master = false;       // keepalived "state MASTER": clears nopreempt and
                                      // preempt_delay; startup itself is unchanged (2.2.7)
  bool lower_prio_no_advert = false;  // keepalived "lower_prio_no_advert": RFC-strict master
  IpAddress primary_address;          // our source address: breaks equal-priority ties
  Centiseconds promotion_retry{100};  // Fault this long after a failed promotion
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
struct PriorityChanged {  // the new effective priority (base + tracking weights)
  std::uint8_t priority = 100;
};
// The service behind the VIP could not be made ready after TakeVips (the VIPs were not added):
// Fault for promotion_retry, then Backup (the owner: Master) as when eligible again.
struct PromotionFailed {
  std::string reason;
};
// Planned switchover on the master: the service behind the VIP was handed to `successor` (its
// Redis holds every write and is master now). Release (priority-0 advert, VIPs removed) and
// stay Backup following the successor, without preempting it back while it is master.
struct HandOver {
  IpAddress successor;
};
// In Backup, right after `from` (the master we followed) released with priority 0: the service
// behind the VIP was handed to us (our Redis is master now). Take over at once instead of after
// the skew time. Ignored unless `from` is the master whose release we heard last.
struct HandedOver {
  IpAddress from;
};
// keepalived's vrrp_sync_group keeps its members in one state (agent/instance/sync_group.hpp):
// while another member follows a better master, this one may not be master. Held in Master:
// release (priority-0 advert, VIPs removed) and wait in Backup. Held in Backup: what would make
// us master (master-down running out after silence, a release or while preempting, a hand-off)
// only makes us want it (WantsMaster; master-down re-armed, each expiry says so again); once the
// hold lifts, a backup that wants Master takes over at once. The address owner is not held
// (keepalived: a group mixing owners and others "won't work").
struct SyncHold {
  bool held = false;
  std::string reason;  // for the transition a hold in Master makes
};
// This host ran nothing of ours for `stalled` and runs again now (the agent saw its timers fire
// that late). Meanwhile no advert was read here, nor sent by a master on the same host or VM: a
// whole-VM freeze stops both, and on waking a backup's master-down timer and the master's overdue
// advert race. In Backup, a master-down deadline within the master's advert interval from now
// moves to the end of that interval (MasterDownDeferred), once per silence: the master then had
// an interval of running time to speak. A master that died stays dead, one interval later.
struct HostResumed {
  Clock::duration stalled{};
};
using Event =
    std::variant<Startup, Shutdown, AdvertReceived, TimerFired, EligibilityChanged, PriorityChanged,
                 PromotionFailed, HandOver, HandedOver, SyncHold, HostResumed>;

// Actions out, executed in order by the agent.
struct SendAdvert {
  std::uint8_t priority = 0;  // 0 = release (priority-0 advert)
  // The last advert of a master yielding to a better one (split brain): only worth sending when
  // it had taken the VIPs (clients may follow its MAC), not when its promotion never completed.
  bool yielding = false;
  friend bool operator==(const SendAdvert&, const SendAdvert&) = default;
};
struct ArmTimer {  // (re)arm: replaces any earlier deadline of the same timer
  TimerKind timer;
  TimePoint deadline;
  friend bool operator==(const ArmTimer&, const ArmTimer&) = default;
};
struct CancelTimer {
  TimerKind timer;
  friend bool operator==(const CancelTimer&, const CancelTimer&) = default;
};
// The first action of a master entry. live_master: the router that was master until now when
// it is still alive — it released (priority 0) or is being preempted, heard within two advert
// intervals — so its data must reach us before we serve; nullopt when it went silent (or there
// was none). released: its last advert had priority 0 (it is leaving); otherwise we preempt a
// master that still serves. The agent answers a failed promotion with PromotionFailed.
struct TakeVips {
  std::optional<IpAddress> live_master;
  bool released = false;
  friend bool operator==(const TakeVips&, const TakeVips&) = default;
};
struct ReleaseVips {
  friend bool operator==(const ReleaseVips&, const ReleaseVips&) = default;
};
struct Announce {  // gratuitous ARP / unsolicited NA for the VIPs
  friend bool operator==(const Announce&, const Announce&) = default;
};
struct Transition {  // always the first action of a state change
  State from;
  State to;
  std::string reason;
  friend bool operator==(const Transition&, const Transition&) = default;
};
// Backup only: the master we now hear, or nullopt when it released (priority 0). Emitted
// when that changes, so the agent can re-point Redis replication; entering Backup starts
// with no master known, leaving Backup forgets it (the Transition says so).
struct MasterChanged {
  std::optional<IpAddress> master;
  friend bool operator==(const MasterChanged&, const MasterChanged&) = default;
};
enum class DropReason : std::uint8_t {
  interval_mismatch,                 // v2: interval differs from ours (RFC 3768 7.1)
  lower_priority_ignored_in_backup,  // preempting backup discards a lower-priority master
  interval_invalid,                  // v3: 0 or above 4095 cs
  own_address,                       // our own advert looped back
  not_active,                        // received in Initialize or Fault
};
inline constexpr std::size_t kDropReasonCount = 5;
std::string_view to_string(DropReason reason);
struct DropAdvert {
  DropReason reason;
  friend bool operator==(const DropAdvert&, const DropAdvert&) = default;
};
// Two masters at once: a partition healed, or two backups timed out together. Both see it: the
// better one (it keeps Master) when it first hears the other (`heard`) and when the other is no
// longer heard (`it_yielded`: `duration` from first hearing it to its last advert); the other
// when it yields (`we_yield`: `duration` is how long it was master). The agent logs and counts
// it; a preempted master we took over from knowingly (TakeVips::live_master) is no split brain.
struct SplitBrain {
  enum class Phase : std::uint8_t { heard, it_yielded, we_yield };
  Phase phase = Phase::heard;
  IpAddress other;
  std::uint8_t other_priority = 0;
  Clock::duration duration{};
  friend bool operator==(const SplitBrain&, const SplitBrain&) = default;
};
// Held by a sync group in Backup: we would take over now (wants), or no longer would (a master
// we accept is heard again, or we left Backup). Only ever emitted while a hold is or was set.
struct WantsMaster {
  bool wants = false;
  friend bool operator==(const WantsMaster&, const WantsMaster&) = default;
};
// HostResumed moved the master-down deadline (the ArmTimer before it says where to): for the
// agent's log and counter. grace: how long from now the master has to speak.
struct MasterDownDeferred {
  Clock::duration stalled{};
  Clock::duration grace{};
  friend bool operator==(const MasterDownDeferred&, const MasterDownDeferred&) = default;
};
using Action =
    std::variant<SendAdvert, ArmTimer, CancelTimer, TakeVips, ReleaseVips, Announce, Transition,
                 DropAdvert, MasterChanged, SplitBrain, WantsMaster, MasterDownDeferred>;

class StateMachine {
 public:
  explicit StateMachine(InstanceConfig config);

  std::vector<Action> handle(const Event& event, TimePoint now);

  State state() const { return state_; }
  const InstanceConfig& config() const { return config_; }
  std::uint8_t effective_priority() const { return priority_; }
  Centiseconds master_adver_interval() const { return master_adver_interval_; }
  bool eligible() const { return eligible_; }
  // Why the last promotion failed while its retry wait runs; empty otherwise.
  const std::string& promotion_failure() const { return promotion_failure_; }
  // In Backup, the master we follow (as the last MasterChanged said); nullopt otherwise.
  const std::optional<IpAddress>& master() const { return master_; }
  // The deadline of an armed timer, as the last ArmTimer for it said; nullopt when idle.
  std::optional<TimePoint> timer_deadline(TimerKind timer) const;
  // In Backup, the master whose priority-0 release we heard last, while nobody took over yet
  // (a HandedOver from it makes us master at once); nullopt otherwise.
  const std::optional<IpAddress>& released_by() const { return released_by_; }
  // In Backup after a HandOver: we do not preempt the successor while it is master.
  bool handed_over() const { return handed_over_; }
  // A sync group holds us out of Master (SyncHold); in Backup, whether we would take over.
  bool held() const { return held_; }
  bool wants_master() const { return wants_master_; }
  // In Backup, a master is heard that we accept (not one we are about to preempt, not a
  // release): the router we follow is the better one.
  bool follows_master() const { return state_ == State::backup && accepted_master_; }

 private:
  enum class PreemptDelay : std::uint8_t { idle, running, expired };
  using Actions = std::vector<Action>;

  void on(const Startup&, TimePoint now, Actions& out);
  void on(const Shutdown&, TimePoint now, Actions& out);
  void on(const AdvertReceived& advert, TimePoint now, Actions& out);
  void on(const TimerFired& fired, TimePoint now, Actions& out);
  void on(const EligibilityChanged& change, TimePoint now, Actions& out);
  void on(const PriorityChanged& change, TimePoint now, Actions& out);
  void on(const PromotionFailed& failure, TimePoint now, Actions& out);
  void on(const HandOver& handover, TimePoint now, Actions& out);
  void on(const HandedOver& handed, TimePoint now, Actions& out);
  void on(const SyncHold& hold, TimePoint now, Actions& out);
  void on(const HostResumed& resumed, TimePoint now, Actions& out);

  void leave_fault(TimePoint now, Actions& out);
  std::optional<IpAddress> live_master(TimePoint now) const;
  void advert_in_backup(const AdvertReceived& advert, TimePoint now, Actions& out);
  void advert_in_master(const AdvertReceived& advert, TimePoint now, Actions& out);
  void lower_master_heard(const AdvertReceived& advert, TimePoint now, Actions& out);
  void yield_to_master(const AdvertReceived& advert, TimePoint now, Actions& out);
  void check_rival_gone(TimePoint now, Actions& out);
  bool preempt_delay_holds(TimePoint now, Actions& out);
  void track_preempt_delay(bool lower, TimePoint now, Actions& out);

  void become_master(std::string reason, TimePoint now, Actions& out);
  // become_master, unless a sync group holds us: then we only want it.
  void take_over(std::string reason, TimePoint now, Actions& out);
  void want_master(bool wants, Actions& out);
  void become_backup(std::string reason, TimePoint now, Actions& out);
  void leave_master(State to, std::string reason, Actions& out);
  void transition(State to, std::string reason, Actions& out);
  void follow(std::optional<IpAddress> master, Actions& out);
  void arm(TimerKind timer, TimePoint deadline, Actions& out);
  void cancel(TimerKind timer, Actions& out);
  void cancel_all(Actions& out);
  bool owner() const { return config_.priority == kPriorityOwner; }
  Microseconds skew() const;
  Microseconds master_down() const;

  InstanceConfig config_;
  State state_ = State::initialize;
  Centiseconds master_adver_interval_;
  std::uint8_t priority_;
  bool eligible_ = true;
  std::string not_eligible_reason_;
  PreemptDelay preempt_delay_ = PreemptDelay::idle;
  std::optional<IpAddress> master_;
  std::array<std::optional<TimePoint>, kTimerKindCount> timers_{};
  std::string promotion_failure_;  // non-empty: held in Fault until promotion_retry fires
  // The last other router heard advertising (any priority, any state of ours), and when.
  std::optional<IpAddress> last_heard_;
  TimePoint last_heard_at_{};
  std::uint8_t last_heard_priority_ = 0;
  std::optional<IpAddress> released_by_;  // see released_by()
  bool handed_over_ = false;              // see handed_over()
  bool held_ = false;                     // see held()
  bool wants_master_ = false;             // see wants_master()
  std::string wanted_because_;            // why we want Master: the reason of the takeover
  bool accepted_master_ = false;          // see follows_master()
  bool deferred_ = false;  // HostResumed moved master-down since it was last armed otherwise
  // Split brain (Master only): when we became master, the live master we knowingly took over
  // from (not a rival), and the lower master we currently hear advertising.
  TimePoint master_since_{};
  std::optional<IpAddress> preempted_;  // until it goes silent (it yielded)
  TimePoint preempted_heard_at_{};
  struct Rival {
    IpAddress address;
    std::uint8_t priority = 0;
    Centiseconds interval{100};
    TimePoint first;
    TimePoint last;
  };
  std::vector<Rival> rivals_;  // at most kMaxRivals: adverts are not trusted to bound it
};

}  // namespace redvip::vrrp
