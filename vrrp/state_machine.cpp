#include "vrrp/state_machine.hpp"

#include <algorithm>
#include <utility>

#include "vrrp/timers.hpp"

namespace redvip::vrrp {

namespace {

constexpr std::uint8_t kHighestNonOwner = kPriorityOwner - 1;
// Other masters tracked at once; more are answered but not reported (a VRRP group has a few
// routers; spoofed sources must not grow the list).
constexpr std::size_t kMaxRivals = 8;

// Constructs the action in place: moving a temporary variant that holds a std::string
// trips GCC 12's -Wmaybe-uninitialized false positive.
template <class A>
void emit(std::vector<Action>& out, A action) {
  out.emplace_back(std::in_place_type<A>, std::move(action));
}

// Makes the configuration runnable whatever the loader let through, and applies the
// combinations keepalived 2.2.7 resolves at load time (vrrp_complete_instance):
// the address owner always preempts; "state MASTER" clears nopreempt and preempt_delay
// (2.2.7 logs "nopreempt will not work with initial state MASTER - clearing");
// preempt_delay means nothing without preemption.
InstanceConfig normalized(InstanceConfig config) {
  if (config.priority == kPriorityRelease) config.priority = 1;
  const auto low = min_advert_interval(config.version);
  const auto high = max_advert_interval(config.version);
  config.advert_interval = std::clamp(config.advert_interval, low, high);
  if (config.version == Version::v2) {
    config.advert_interval = std::chrono::floor<std::chrono::seconds>(config.advert_interval);
  }
  if (config.priority == kPriorityOwner || config.start_as_master) {
    config.preempt = true;
  }
  if (config.start_as_master || !config.preempt || config.preempt_delay < Centiseconds{0}) {
    config.preempt_delay = Centiseconds{0};
  }
  config.promotion_retry = std::max(config.promotion_retry, Centiseconds{1});
  return config;
}

}  // namespace

StateMachine::StateMachine(InstanceConfig config)
    : config_(normalized(std::move(config))),
      master_adver_interval_(config_.advert_interval),
      priority_(config_.priority) {}

std::optional<TimePoint> StateMachine::timer_deadline(TimerKind timer) const {
  return timers_[static_cast<std::size_t>(timer)];
}

std::vector<Action> StateMachine::handle(const Event& event, TimePoint now) {
  Actions out;
  std::visit([&](const auto& e) { on(e, now, out); }, event);
  return out;
}

// RFC 5798 6.4.1: the address owner goes straight to Master, everyone else to Backup with a
// full master-down wait. keepalived 2.2.7 differs for the owner: it only skips the wait when
// also configured "state MASTER" (measured: owner with state BACKUP became master after
// 3.4 s at advert_int 1). We follow the RFC. "state MASTER" on a non-owner changes nothing
// at startup in 2.2.7 (measured: 3.9 s, the same as state BACKUP), so start_as_master only
// has its load-time effects (see normalized()).
void StateMachine::on(const Startup&, TimePoint now, Actions& out) {
  if (state_ != State::initialize) return;
  master_adver_interval_ = config_.advert_interval;
  preempt_delay_ = PreemptDelay::idle;
  promotion_failure_.clear();
  if (!eligible_) {
    transition(State::fault, "startup while not eligible: " + not_eligible_reason_, out);
  } else if (owner()) {
    become_master("startup as address owner (priority 255)", now, out);
  } else {
    become_backup("startup", now, out);
  }
}

void StateMachine::on(const Shutdown&, TimePoint, Actions& out) {
  switch (state_) {
    case State::initialize:
      return;
    case State::master:
      leave_master(State::initialize, "shutdown", out);
      return;
    case State::backup:
    case State::fault:
      transition(State::initialize, "shutdown", out);
      cancel_all(out);
      return;
  }
}

void StateMachine::on(const AdvertReceived& advert, TimePoint now, Actions& out) {
  if (advert.source != config_.primary_address) {
    last_heard_ = advert.source;
    last_heard_at_ = now;
    last_heard_priority_ = advert.priority;
  }
  if (state_ == State::initialize || state_ == State::fault) {
    emit(out, DropAdvert{DropReason::not_active});
    return;
  }
  if (advert.source == config_.primary_address) {
    emit(out, DropAdvert{DropReason::own_address});
    return;
  }
  if (config_.version == Version::v2) {
    if (advert.interval != config_.advert_interval) {
      emit(out, DropAdvert{DropReason::interval_mismatch});
      return;
    }
  } else if (!advert_interval_valid(Version::v3, advert.interval)) {
    // A zero interval would make master-down nothing but skew: refuse to learn it.
    emit(out, DropAdvert{DropReason::interval_invalid});
    return;
  }
  if (state_ == State::backup) {
    advert_in_backup(advert, now, out);
  } else {
    advert_in_master(advert, now, out);
  }
}

// RFC 5798 6.4.2 with keepalived's preempt_delay (vrrp_state_backup).
void StateMachine::advert_in_backup(const AdvertReceived& advert, TimePoint now, Actions& out) {
  if (advert.priority == kPriorityRelease) {
    // The master is leaving: take over after skew time, the highest priority first, or at
    // once when it handed its service to us (HandedOver).
    released_by_ = advert.source;
    accepted_master_ = false;
    arm(TimerKind::master_down, now + skew(), out);
    follow(std::nullopt, out);
    return;
  }
  released_by_.reset();
  const bool lower = advert.priority < priority_;
  // After handing over, the successor stays master whatever its priority: preempting it would
  // undo the switchover the operator asked for.
  if (lower && config_.preempt && !handed_over_ && !preempt_delay_holds(now, out)) {
    // Preempt: ignore the lower master, so master-down runs out and we take over. Until
    // then it is still the master (and the one holding the data).
    emit(out, DropAdvert{DropReason::lower_priority_ignored_in_backup});
    accepted_master_ = false;
    follow(advert.source, out);
    return;
  }
  if (config_.version == Version::v3) master_adver_interval_ = advert.interval;
  arm(TimerKind::master_down, now + master_down(), out);
  track_preempt_delay(lower, now, out);
  accepted_master_ = true;
  follow(advert.source, out);
  want_master(false, out);  // a master we accept is there
}

// While preempt_delay holds, a lower-priority master is accepted like a better one.
// keepalived starts the delay at the first lower-priority advert (not at startup) and
// stops it when a master at least as good as us is heard again.
bool StateMachine::preempt_delay_holds(TimePoint now, Actions& out) {
  if (config_.preempt_delay <= Centiseconds{0}) return false;
  if (preempt_delay_ == PreemptDelay::idle) return true;
  if (preempt_delay_ == PreemptDelay::running) {
    const auto deadline = timer_deadline(TimerKind::preempt_delay);
    if (deadline && now < *deadline) return true;
    // Past the deadline but the timer event is not in yet: the delay is over all the same.
    cancel(TimerKind::preempt_delay, out);
    preempt_delay_ = PreemptDelay::expired;
  }
  return false;
}

void StateMachine::track_preempt_delay(bool lower, TimePoint now, Actions& out) {
  if (config_.preempt_delay <= Centiseconds{0}) return;
  if (!lower) {
    cancel(TimerKind::preempt_delay, out);
    preempt_delay_ = PreemptDelay::idle;
  } else if (preempt_delay_ == PreemptDelay::idle) {
    preempt_delay_ = PreemptDelay::running;
    arm(TimerKind::preempt_delay, now + config_.preempt_delay, out);
  }
}

// RFC 5798 6.4.3, plus keepalived's answer to a lower priority: an immediate advert, so that
// a backup that wrongly took over (a lost advert, a partition that healed) steps down now
// rather than at our next scheduled advert. Measured on 2.2.7: the answer comes within 10 ms
// and the next advert one interval after it, as for a priority-0 advert (RFC: "Reset the
// Adver_Timer"). lower_prio_no_advert restores the RFC's silence.
void StateMachine::advert_in_master(const AdvertReceived& advert, TimePoint now, Actions& out) {
  const auto answer = [&] {
    emit(out, SendAdvert{priority_});
    arm(TimerKind::advert, next_advert_time(now, config_.advert_interval), out);
  };
  if (advert.priority == kPriorityRelease) {
    answer();
    return;
  }
  const bool better = advert.priority > priority_ ||
                      (advert.priority == priority_ && advert.source > config_.primary_address);
  if (better) {
    if (config_.version == Version::v3) master_adver_interval_ = advert.interval;
    leave_master(State::backup,
                 "higher priority advert (" + std::to_string(advert.priority) + " from " +
                     advert.source.to_string() + ", ours " + std::to_string(priority_) + ")",
                 out);
    yield_to_master(advert, now, out);
    arm(TimerKind::master_down, now + master_down(), out);
    accepted_master_ = true;
    follow(advert.source, out);
    return;
  }
  if (!config_.lower_prio_no_advert) answer();
  lower_master_heard(advert, now, out);
}

// Split brain, the side that keeps Master. Clients that followed the other master's gratuitous
// ARP still send to its MAC, where the VIP is about to go: announce ours at once (keepalived
// does too) so their neighbour entries move within a round trip, not after the kernel's
// neighbour timeout. Once per other master: it yields at our advert.
void StateMachine::lower_master_heard(const AdvertReceived& advert, TimePoint now, Actions& out) {
  if (advert.source == preempted_) {  // a preemption: it yields when it hears us
    preempted_heard_at_ = now;
    return;
  }
  const auto known = std::find_if(rivals_.begin(), rivals_.end(),
                                  [&](const Rival& r) { return r.address == advert.source; });
  if (known != rivals_.end()) {
    known->last = now;
    known->priority = advert.priority;
    known->interval = advert.interval;
    return;
  }
  if (rivals_.size() >= kMaxRivals) return;
  rivals_.push_back(Rival{advert.source, advert.priority, advert.interval, now, now});
  emit(out, SplitBrain{SplitBrain::Phase::heard, advert.source, advert.priority, {}});
  emit(out, Announce{});
}

// Split brain, the side that yields, with the VIPs already removed. Our last advert makes sure
// the better master hears us: when its advert reached us first it would otherwise never learn
// that clients follow our MAC, and would not announce. To everyone else it is the advert our
// timer was about to send (the one advert a non-master sends besides a release).
void StateMachine::yield_to_master(const AdvertReceived& advert, TimePoint now, Actions& out) {
  emit(out, SendAdvert{priority_, true});
  emit(out, SplitBrain{SplitBrain::Phase::we_yield, advert.source, advert.priority,
                       now - master_since_});
}

// A master that yielded goes silent: two of its intervals without an advert (and at least two
// of ours) and the split brain is over. The master we preempted is one no longer once it went
// silent: when it advertises again later, that is a split brain.
void StateMachine::check_rival_gone(TimePoint now, Actions& out) {
  if (preempted_ &&
      now - preempted_heard_at_ >= 2 * std::max(master_adver_interval_, config_.advert_interval)) {
    preempted_.reset();
  }
  std::erase_if(rivals_, [&](const Rival& r) {
    if (now - r.last < 2 * std::max(r.interval, config_.advert_interval)) return false;
    emit(out, SplitBrain{SplitBrain::Phase::it_yielded, r.address, r.priority, r.last - r.first});
    return true;
  });
}

void StateMachine::on(const TimerFired& fired, TimePoint now, Actions& out) {
  auto& deadline = timers_[static_cast<std::size_t>(fired.timer)];
  // A completion for a timer we cancelled or re-armed since (Asio may already have queued
  // it) is stale: it must not act.
  if (!deadline || now < *deadline) return;
  deadline.reset();
  switch (fired.timer) {
    case TimerKind::advert:
      if (state_ != State::master) return;
      emit(out, SendAdvert{priority_});
      arm(TimerKind::advert, next_advert_time(now, config_.advert_interval), out);
      check_rival_gone(now, out);
      return;
    case TimerKind::master_down:
      if (state_ != State::backup) return;
      take_over("master down timer expired", now, out);
      return;
    case TimerKind::preempt_delay:
      if (preempt_delay_ == PreemptDelay::running) preempt_delay_ = PreemptDelay::expired;
      return;
    case TimerKind::promotion_retry:
      promotion_failure_.clear();
      if (state_ == State::fault && eligible_) leave_fault(now, out);
      return;
  }
}

// The agent could not make the service writable: the VIPs stay off. Held in Fault (releasing,
// so the others take over after their skew time) until the retry timer ends it; then as when
// eligible again.
void StateMachine::on(const PromotionFailed& failure, TimePoint now, Actions& out) {
  if (state_ != State::master) return;  // a shutdown or a better master came first
  leave_master(State::fault, "promotion failed: " + failure.reason, out);
  promotion_failure_ = failure.reason.empty() ? "failed" : failure.reason;
  arm(TimerKind::promotion_retry, now + config_.promotion_retry, out);
}

// The successor already holds the service (its Redis is master with every write): release at
// once, then follow it. The priority-0 advert tells it (and any other backup) to act now; the
// master-down timer is the fallback should the successor never advertise.
void StateMachine::on(const HandOver& handover, TimePoint now, Actions& out) {
  if (state_ != State::master) return;
  transition(State::backup, "handed over to " + handover.successor.to_string(), out);
  cancel_all(out);
  emit(out, SendAdvert{kPriorityRelease});
  accepted_master_ = true;  // the successor: not preempted while it is master
  follow(handover.successor, out);
  emit(out, ReleaseVips{});
  arm(TimerKind::master_down, now + master_down(), out);
  handed_over_ = true;
}

// Only right after the release of the master we followed, and before anybody else advertised:
// a late or foreign HandedOver does nothing (the skew timer decides as usual).
void StateMachine::on(const HandedOver& handed, TimePoint now, Actions& out) {
  if (state_ != State::backup || released_by_ != handed.from) return;
  take_over("handed over by " + handed.from.to_string(), now, out);
}

// Held in Master: leave as a release does (the backups take over after their skew time) and
// wait in Backup. Released in Backup while we want Master: take over now, as the expiry that
// made us want it would have (the live master, if any, is still the one to catch up with).
void StateMachine::on(const SyncHold& hold, TimePoint now, Actions& out) {
  if (hold.held == held_) return;
  held_ = hold.held;
  if (owner()) return;
  if (held_ && state_ == State::master) {
    transition(State::backup, hold.reason, out);
    cancel_all(out);
    emit(out, SendAdvert{kPriorityRelease});
    emit(out, ReleaseVips{});
    arm(TimerKind::master_down, now + master_down(), out);
  } else if (!held_ && state_ == State::backup && wants_master_) {
    become_master(wanted_because_ + " (sync group ready)", now, out);
  }
}

void StateMachine::leave_fault(TimePoint now, Actions& out) {
  master_adver_interval_ = config_.advert_interval;
  if (owner()) {
    become_master("eligible again as address owner", now, out);
  } else {
    become_backup("eligible again", now, out);
  }
}

// Heard within two of its intervals: alive (a master advertises every interval; after a
// priority-0 release we take over within one skew time). A master that went silent is last
// heard at least master-down ago, more than three intervals.
std::optional<IpAddress> StateMachine::live_master(TimePoint now) const {
  if (!last_heard_ || now - last_heard_at_ >= 2 * master_adver_interval_) return std::nullopt;
  return last_heard_;
}

// keepalived's down_instance / try_up_instance: Fault releases everything; leaving Fault
// goes to Backup with a full master-down wait (the owner straight to Master).
void StateMachine::on(const EligibilityChanged& change, TimePoint now, Actions& out) {
  if (change.eligible == eligible_) {
    if (!eligible_) not_eligible_reason_ = change.reason;
    return;
  }
  eligible_ = change.eligible;
  not_eligible_reason_ = eligible_ ? std::string{} : change.reason;
  const std::string why = "not eligible: " + change.reason;
  switch (state_) {
    case State::initialize:
      return;  // remembered for Startup
    case State::master:
      if (!eligible_) leave_master(State::fault, why, out);
      return;
    case State::backup:
      if (!eligible_) {
        transition(State::fault, why, out);
        cancel_all(out);
      }
      return;
    case State::fault:
      if (!eligible_ || !promotion_failure_.empty()) return;
      leave_fault(now, out);
      return;
  }
}

// The rule is HostResumed's (state_machine.hpp). A master that released (priority 0) is leaving:
// its backups take over after their skew, stall or not.
void StateMachine::on(const HostResumed& resumed, TimePoint now, Actions& out) {
  const auto deadline = timer_deadline(TimerKind::master_down);
  if (state_ != State::backup || !deadline || deferred_ || released_by_) return;
  const Microseconds grace{master_adver_interval_};
  if (*deadline >= now + grace) return;
  arm(TimerKind::master_down, now + grace, out);
  deferred_ = true;
  emit(out, MasterDownDeferred{resumed.stalled, grace});
}

// keepalived's vrrp_set_effective_priority: the owner keeps 255, others stay in 1..254.
// A master keeps its role whatever its new priority until a better advert arrives (RFC);
// its next adverts carry the new value. A backup moves its running master-down deadline
// by the change in skew, so it stays "last advert + 3 * interval + skew(priority)".
void StateMachine::on(const PriorityChanged& change, TimePoint, Actions& out) {
  if (owner()) return;
  const auto wanted = std::clamp<std::uint8_t>(change.priority, 1, kHighestNonOwner);
  if (wanted == priority_) return;
  const Microseconds old_skew = skew();
  priority_ = wanted;
  const auto deadline = timer_deadline(TimerKind::master_down);
  if (state_ == State::backup && deadline) {
    arm(TimerKind::master_down, *deadline - old_skew + skew(), out);
  }
}

void StateMachine::become_master(std::string reason, TimePoint now, Actions& out) {
  transition(State::master, std::move(reason), out);
  master_since_ = now;
  preempted_ = live_master(now);
  preempted_heard_at_ = now;
  rivals_.clear();
  // Nobody is master (it went silent or released): claim the VRID at once, before the service
  // is promoted. The other backups' timers run out within their skew of ours (3.9 ms for
  // priorities 90 and 80 at 0.1 s), sooner than a promotion takes: without this advert every one
  // of them promoted its Redis too. A master we preempt is not told yet: it must keep serving
  // until we hold its writes (it would yield on our advert). One that released has yielded
  // already; its service does not follow ours while ours still follows it (the agent's loop
  // guard). Should the promotion fail, the release (priority 0) follows.
  const bool released = preempted_.has_value() && last_heard_priority_ == 0;
  if (!preempted_ || released) emit(out, SendAdvert{priority_});
  emit(out, TakeVips{preempted_, released});
  emit(out, Announce{});
  emit(out, SendAdvert{priority_});
  arm(TimerKind::advert, next_advert_time(now, config_.advert_interval), out);
  cancel(TimerKind::master_down, out);
  cancel(TimerKind::preempt_delay, out);
  preempt_delay_ = PreemptDelay::idle;
}

void StateMachine::take_over(std::string reason, TimePoint now, Actions& out) {
  if (held_ && !owner()) {
    // Backup keeps its master-down timer: each expiry while held says "still ready".
    wanted_because_ = std::move(reason);
    want_master(true, out);
    arm(TimerKind::master_down, now + master_down(), out);
    return;
  }
  become_master(std::move(reason), now, out);
}

void StateMachine::want_master(bool wants, Actions& out) {
  if (wants == wants_master_) return;
  wants_master_ = wants;
  emit(out, WantsMaster{wants});
}

void StateMachine::become_backup(std::string reason, TimePoint now, Actions& out) {
  transition(State::backup, std::move(reason), out);
  preempt_delay_ = PreemptDelay::idle;
  arm(TimerKind::master_down, now + master_down(), out);
}

// Stop advertising, tell the backups to take over after their skew time (except when a
// better master already exists), and give the addresses up.
void StateMachine::leave_master(State to, std::string reason, Actions& out) {
  transition(to, std::move(reason), out);
  cancel_all(out);
  if (to != State::backup) emit(out, SendAdvert{kPriorityRelease});
  emit(out, ReleaseVips{});
}

void StateMachine::transition(State to, std::string reason, Actions& out) {
  emit(out, Transition{state_, to, std::move(reason)});
  state_ = to;
  accepted_master_ = false;
  want_master(false, out);  // only Backup wants it
  master_.reset();          // Backup is entered knowing no master; other states follow none
  released_by_.reset();
  // Kept through Backup and Fault (a short fault must not let us preempt the successor back);
  // ended when we become master again or stop. HandOver sets it after its transition.
  if (to == State::master || to == State::initialize) handed_over_ = false;
}

void StateMachine::follow(std::optional<IpAddress> master, Actions& out) {
  if (master == master_) return;
  master_ = master;
  emit(out, MasterChanged{std::move(master)});
}

void StateMachine::arm(TimerKind timer, TimePoint deadline, Actions& out) {
  timers_[static_cast<std::size_t>(timer)] = deadline;
  if (timer == TimerKind::master_down) deferred_ = false;
  emit(out, ArmTimer{timer, deadline});
}

void StateMachine::cancel(TimerKind timer, Actions& out) {
  auto& deadline = timers_[static_cast<std::size_t>(timer)];
  if (!deadline) return;
  deadline.reset();
  emit(out, CancelTimer{timer});
}

void StateMachine::cancel_all(Actions& out) {
  cancel(TimerKind::advert, out);
  cancel(TimerKind::master_down, out);
  cancel(TimerKind::preempt_delay, out);
  cancel(TimerKind::promotion_retry, out);
}

Microseconds StateMachine::skew() const {
  return skew_time(config_.version, priority_, master_adver_interval_);
}

Microseconds StateMachine::master_down() const {
  return master_down_interval(config_.version, priority_, master_adver_interval_);
}

std::string_view to_string(State state) {
  switch (state) {
    case State::initialize:
      return "INIT";
    case State::backup:
      return "BACKUP";
    case State::master:
      return "MASTER";
    case State::fault:
      return "FAULT";
  }
  return "?";
}

std::string_view to_string(TimerKind timer) {
  switch (timer) {
    case TimerKind::advert:
      return "advert";
    case TimerKind::master_down:
      return "master_down";
    case TimerKind::preempt_delay:
      return "preempt_delay";
    case TimerKind::promotion_retry:
      return "promotion_retry";
  }
  return "?";
}

std::string_view to_string(DropReason reason) {
  switch (reason) {
    case DropReason::interval_mismatch:
      return "interval_mismatch";
    case DropReason::lower_priority_ignored_in_backup:
      return "lower_priority_ignored_in_backup";
    case DropReason::interval_invalid:
      return "interval_invalid";
    case DropReason::own_address:
      return "own_address";
    case DropReason::not_active:
      return "not_active";
  }
  return "?";
}

}  // namespace redvip::vrrp
