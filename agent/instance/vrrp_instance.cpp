#include "agent/instance/vrrp_instance.hpp"

#include <algorithm>
#include <tuple>

#include "agent/instance/derived.hpp"
#include "agent/instance/replication_rule.hpp"
#include "agent/log/log.hpp"

namespace redvip::agent {

VrrpInstance::VrrpInstance(InstanceSettings settings, InstancePorts ports)
    : settings_(std::move(settings)),
      ports_(std::move(ports)),
      vips_(instance_vips(settings_)),
      advert_(own_advert(settings_)),
      checks_(advert_checks(settings_)),
      machine_(machine_config(settings_, ports_.adverts->source_address())) {
  const auto alive = lifetime_.watch();
  ports_.timers->set_handler([this, alive](vrrp::TimerKind kind) {
    if (alive.expired()) return;
    if (kind == vrrp::TimerKind::master_down) {
      // An advert waiting in a read batch re-arms the timer, making this expiry stale.
      ports_.adverts->receive_pending();
      if (alive.expired()) return;
    }
    feed(vrrp::TimerFired{kind});
  });
  // A freeze of this host (a VM its hypervisor paused) silences a master on it too: the machine
  // gives that master an advert interval to speak before master-down counts (vrrp::HostResumed).
  ports_.timers->watch_stalls(settings_.advert_interval,
                              [this, alive](vrrp::Clock::duration stalled) {
                                if (alive.expired() || !started_ || stopping_) return;
                                feed(vrrp::HostResumed{stalled});
                              });
}

VrrpInstance::~VrrpInstance() {
  lifetime_.end();
  ports_.timers.reset();
  ports_.announcer.reset();
  ports_.adverts.reset();
  if (ports_.on_destroy) ports_.on_destroy();
}

void VrrpInstance::start() {
  if (started_) return;
  started_ = true;
  log(Level::info, settings_.name,
      "started: vrid {} priority {} on {} from {} ({}, advert every {} ms)", settings_.vrid,
      settings_.priority, vip_interface(settings_), ports_.adverts->source_address().to_string(),
      settings_.version == vrrp::Version::v2 ? "VRRPv2" : "VRRPv3",
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.advert_interval).count());
  // Blocked already (the Redis side blocks until its first checks pass and its Redis synced):
  // the machine remembers it and starts in Fault, as its header says and keepalived does, not
  // in Backup and then in Fault a moment later (two transitions, two notifications).
  if (!eligibility_.eligible()) feed(vrrp::EligibilityChanged{false, eligibility_.summary()});
  feed(vrrp::Startup{});
}

void VrrpInstance::stop(std::function<void()> done) {
  if (!started_) {
    if (done) done();
    return;
  }
  stopping_ = true;
  stop_done_ = std::move(done);
  feed(vrrp::Shutdown{});
}

void VrrpInstance::hand_over(const vrrp::IpAddress& successor) {
  if (!started_ || stopping_) return;
  feed(vrrp::HandOver{successor});
}

void VrrpInstance::set_blocked(const std::string& cause, bool blocking, const std::string& detail) {
  const bool own_before = sync_listener_ && own_fault();
  const auto changed = eligibility_.set(cause, blocking, detail);
  // A fault of our own (anything but the group's) is the group's business even before the
  // machine acts on it.
  if (sync_listener_ && own_fault() != own_before) sync_listener_();
  if (!changed || !started_ || stopping_) return;
  feed(
      vrrp::EligibilityChanged{*changed, *changed ? cause + " recovered" : eligibility_.summary()});
}

void VrrpInstance::on_link(const netlink::LinkEvent& event) {
  const bool primary = event.name == settings_.interface || event.name == vip_interface(settings_);
  // A weighted track_interface moves the priority through the tracker instead (keepalived).
  const auto& tracked_list = settings_.track_interfaces;
  const bool tracked =
      std::any_of(tracked_list.begin(), tracked_list.end(),
                  [&](const TrackedInterface& t) { return t.name == event.name && t.weight == 0; });
  if (!tracked && !(primary && !settings_.dont_track_primary)) return;
  const auto cause = fmt::format("link {}", event.name);
  if (!event.up)
    log(Level::warning, settings_.name, "{} is down", event.name);
  else if (eligibility_.causes().count(cause))
    log(Level::info, settings_.name, "{} is up", event.name);
  set_blocked(cause, !event.up, "down");
}

void VrrpInstance::on_address(const netlink::AddressEvent& event) {
  if (event.added || !vips_held_) return;
  for (const auto& vip : vips_) {
    if (vip.address != event.address) continue;
    // Someone removed a VIP we hold as master: clients would lose it, so put it back.
    log(Level::warning, settings_.name, "{} was removed from {} by someone else; adding it back",
        vip.address.to_string(), vip.device);
    if (auto ec = ports_.vips->add(vip)) {
      ++counters_.vip_errors;
      log(Level::error, settings_.name, "{}", netlink::AddressManager::describe_error(vip, ec));
    }
  }
}

void VrrpInstance::recheck_vips() {
  if (!vips_held_) return;
  for (const auto& vip : vips_) {
    std::error_code error;
    if (ports_.vips->present(vip, &error)) continue;
    if (error) {
      ++counters_.vip_errors;
      log(Level::error, settings_.name, "{}",
          netlink::AddressManager::describe_error(vip, error, netlink::VipOperation::check));
      continue;
    }
    log(Level::warning, settings_.name,
        "{} is no longer on {} (address events were lost); adding it back", vip.address.to_string(),
        vip.device);
    if (auto ec = ports_.vips->add(vip)) {
      ++counters_.vip_errors;
      log(Level::error, settings_.name, "{}", netlink::AddressManager::describe_error(vip, ec));
    }
  }
}

void VrrpInstance::warm() const {
  const auto* bytes = reinterpret_cast<const char*>(this);
  for (std::size_t at = 0; at < sizeof *this; at += 64) __builtin_prefetch(bytes + at, 1, 2);
}

void VrrpInstance::on_packet(const vrrp::DecodeResult& result, const vrrp::IpMeta& meta,
                             vrrp::TimePoint received_at) {
  if (stopping_ || !started_) return;
  const auto* advert = std::get_if<vrrp::Advert>(&result);
  const auto reject = advert ? vrrp::check_for_instance(*advert, checks_)
                             : std::optional(std::get<vrrp::Reject>(result));
  if (reject) {
    ++counters_.rejected[static_cast<std::size_t>(*reject)];
    const auto source = meta.source.to_string();
    drop_log_.log(Level::debug, settings_.name,
                  fmt::format("{} {}", vrrp::to_string(*reject), source),
                  "dropped advert from {}: {}", source, vrrp::to_string(*reject));
    return;
  }
  ++counters_.adverts_received;
  // Never later than now: the machine's other events were fed at now.
  handling_ = Handling{meta.source, advert->interval};
  feed(vrrp::AdvertReceived{meta.source, advert->priority, advert->interval},
       std::min(received_at, ports_.timers->now()));
  handling_.reset();
  if (hooks_ && advert->priority != vrrp::kPriorityRelease) hooks_->advert_heard(meta.source);
  if (hooks_ &&
      replicate_from_sender(machine_.state(), machine_.master(), advert->priority, meta.source)) {
    hooks_->master_seen(meta.source, advert->interval);
  }
  // The master released: when it handed its service to us, take over without the skew wait.
  if (hooks_ && advert->priority == vrrp::kPriorityRelease &&
      machine_.released_by() == meta.source) {
    const auto alive = lifetime_.watch();
    const auto from = meta.source;
    hooks_->master_released(from, [this, alive, from] {
      if (!alive.expired() && !stopping_) feed(vrrp::HandedOver{from});
    });
  }
}

void VrrpInstance::feed(const vrrp::Event& event) { feed(event, ports_.timers->now()); }

void VrrpInstance::feed(const vrrp::Event& event, vrrp::TimePoint at) {
  event_at_ = at;  // when a transition's cause was seen
  const auto before =
      std::tuple(machine_.state(), machine_.wants_master(), machine_.follows_master());
  for (auto& action : machine_.handle(event, at)) {
    queue_.push_back(std::move(action));
  }
  // The group hears of it now, also when the actions wait behind a Redis promotion.
  if (sync_listener_ &&
      std::tuple(machine_.state(), machine_.wants_master(), machine_.follows_master()) != before)
    sync_listener_();
  run_queue();
}

void VrrpInstance::run_queue() {
  while (!waiting_ && !queue_.empty()) {
    const auto action = std::move(queue_.front());
    queue_.pop_front();
    if (!std::visit([this](const auto& a) { return act(a); }, action)) return;
  }
  if (!waiting_ && queue_.empty()) transition_settled();
  if (!waiting_ && queue_.empty() && stopping_ && stop_done_) {
    auto done = std::move(stop_done_);
    stop_done_ = nullptr;
    done();
  }
}

bool VrrpInstance::act(const vrrp::SendAdvert& send) {
  if (send.yielding && !released_vips_) return true;  // never served: nobody follows our MAC
  advert_.priority = send.priority;
  if (auto ec = ports_.adverts->send(advert_)) {
    log(Level::warning, settings_.name, "advert not sent: {}", ec.message());
  } else {
    ++counters_.adverts_sent;
  }
  return true;
}

bool VrrpInstance::act(const vrrp::ArmTimer& arm) {
  ports_.timers->arm(arm.timer, arm.deadline);
  return true;
}

bool VrrpInstance::act(const vrrp::CancelTimer& cancel) {
  ports_.timers->cancel(cancel.timer);
  return true;
}

bool VrrpInstance::act(const vrrp::TakeVips& take) {
  if (!hooks_) {
    add_vips();
    return true;
  }
  // The service behind the VIP must be writable before the VIP points at it.
  waiting_ = true;
  const auto alive = lifetime_.watch();
  hooks_->promote(take.live_master, take.released, [this, alive](bool ok, const std::string& why) {
    if (!alive.expired()) promoted(ok, why);
  });
  return false;
}

void VrrpInstance::promoted(bool ok, const std::string& why) {
  waiting_ = false;
  timeline_.step(ok ? "redis promoted" : "redis promotion failed", ports_.timers->now());
  if (ok) {
    add_vips();
    if (sync_listener_) sync_listener_();  // Master for its group from now on
    run_queue();
    return;
  }
  log(Level::error, settings_.name, "not taking the VIP: {}", why);
  // The rest of this master entry (announce, adverts) is void; what the machine decided after
  // it (a shutdown, say) starts with its Transition and still runs.
  while (!queue_.empty() && !std::holds_alternative<vrrp::Transition>(queue_.front())) {
    queue_.pop_front();
  }
  feed(vrrp::PromotionFailed{why});
}

bool VrrpInstance::act(const vrrp::ReleaseVips&) {
  released_vips_ = vips_held_;
  remove_vips();
  // The machine follows the better master it yielded to; after a shutdown or fault, none. A
  // yield in a split brain (its SplitBrain action is queued behind) goes to split_brain().
  const bool split = std::any_of(queue_.begin(), queue_.end(), [](const vrrp::Action& a) {
    const auto* s = std::get_if<vrrp::SplitBrain>(&a);
    return s && s->phase == vrrp::SplitBrain::Phase::we_yield;
  });
  if (hooks_ && !split) {
    hooks_->demoted(machine_.master());
    timeline_.step("redis told to follow", ports_.timers->now());
  }
  return true;
}

bool VrrpInstance::act(const vrrp::Announce&) {
  if (!vips_held_) return true;
  std::vector<vrrp::IpAddress> addresses;
  for (const auto& v : settings_.vips) addresses.push_back(v.address);
  if (auto ec = ports_.announcer->start(addresses)) {
    log(Level::warning, settings_.name, "cannot announce the VIPs on {}: {}",
        vip_interface(settings_), ec.message());
  } else {
    timeline_.step("announced", ports_.timers->now());
  }
  return true;
}

bool VrrpInstance::act(const vrrp::Transition& t) {
  ++counters_.transitions;
  last_reason_ = t.reason;
  const bool waits = only_waiting(eligibility_.causes()) && machine_.promotion_failure().empty();
  log(Level::notice, settings_.name, "{}",
      transition_text(t.from, t.to, t.reason, waits ? eligibility_.summary() : std::string{},
                      in_wait_));
  in_wait_ = t.to == vrrp::State::fault && waits && t.from != vrrp::State::master;
  timeline_.begin(t.from, t.to, t.reason, event_at_, ports_.timers->now(),
                  std::chrono::system_clock::now());
  if (t.to == vrrp::State::master) ++counters_.became_master;
  if (t.from == vrrp::State::master) ports_.announcer->stop();
  return true;
}

bool VrrpInstance::act(const vrrp::DropAdvert& drop) {
  ++counters_.dropped[static_cast<std::size_t>(drop.reason)];
  if (drop.reason == vrrp::DropReason::interval_mismatch && handling_) {
    const auto source = handling_->source.to_string();
    drop_log_.log(Level::warning, settings_.name, "interval " + source,
                  "advert from {} dropped: its interval {} ms differs from ours, {} ms (VRRPv2 "
                  "needs equal intervals)",
                  source, handling_->interval.count() * 10, settings_.advert_interval.count() * 10);
  }
  return true;
}

bool VrrpInstance::act(const vrrp::MasterChanged& changed) {
  if (changed.master)
    log(Level::info, settings_.name, "following master {}", changed.master->to_string());
  return true;
}

// Counted once per side: the keeper when it first hears the other, the yielder when it yields.
bool VrrpInstance::act(const vrrp::SplitBrain& split) {
  using Phase = vrrp::SplitBrain::Phase;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(split.duration).count();
  switch (split.phase) {
    case Phase::heard:
      ++counters_.split_brains;
      log(Level::warning, settings_.name,
          "split brain: {} (priority {}) is master too; staying master (priority {}), answering "
          "and announcing the VIPs",
          split.other.to_string(), split.other_priority, machine_.effective_priority());
      if (hooks_) hooks_->split_brain(split.other, split.other_priority, false);
      break;
    case Phase::it_yielded:
      log(Level::notice, settings_.name,
          "split brain over: {} yielded {} ms after we first heard it", split.other.to_string(),
          ms);
      break;
    case Phase::we_yield:
      ++counters_.split_brains;
      log(Level::warning, settings_.name,
          "split brain: {} (priority {}) is master too; yielding after {} ms as master",
          split.other.to_string(), split.other_priority, ms);
      if (hooks_) hooks_->split_brain(split.other, split.other_priority, true);
      break;
  }
  return true;
}

bool VrrpInstance::act(const vrrp::WantsMaster& wants) {
  if (wants.wants)
    log(Level::info, settings_.name,
        "ready to take over; waits until every member of its sync group is");
  return true;
}

bool VrrpInstance::act(const vrrp::MasterDownDeferred& deferred) {
  ++counters_.master_down_deferred;
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto ms = duration_cast<milliseconds>(deferred.stalled).count();
  const auto grace_ms = duration_cast<milliseconds>(deferred.grace).count();
  stall_log_.log(Level::warning, settings_.name, "stall",
                 "this host ran nothing of ours for {} ms (timers fired that late): the master "
                 "gets {} ms to advertise before this backup takes over. Stalls this long come "
                 "from the machine (a VM's host, memory reclaim, CPU starvation; see "
                 "vrrp_rt_priority and vrrp_no_swap in redvip.conf(5))",
                 ms, grace_ms);
  return true;
}

bool VrrpInstance::own_fault() const {
  const auto& causes = eligibility_.causes();
  const bool own_cause = std::any_of(causes.begin(), causes.end(), [](const auto& cause) {
    return cause.first != kSyncGroupCause;
  });
  return own_cause || !machine_.promotion_failure().empty();
}

SyncMemberView VrrpInstance::sync_view() const {
  // Master for the group only once its VIPs are up: a member still promoting its Redis (the
  // catch-up may take up to handover_timeout, and be refused) keeps its partners waiting.
  const bool promoting = machine_.state() == vrrp::State::master && waiting_;
  return SyncMemberView{settings_.name, promoting ? vrrp::State::backup : machine_.state(),
                        own_fault(), !promoting && machine_.wants_master(),
                        machine_.follows_master()};
}

void VrrpInstance::set_sync_hold(bool held, const std::string& why) {
  if (!started_ || stopping_) return;
  sync_hold_reason_ = held ? why : std::string{};
  if (held == machine_.held()) return;
  log(Level::info, settings_.name, "{}", held ? why : "sync group: hold lifted");
  feed(vrrp::SyncHold{held, why});
}

void VrrpInstance::add_vips() {
  for (const auto& vip : vips_) {
    if (auto ec = ports_.vips->add(vip)) {
      ++counters_.vip_errors;
      log(Level::error, settings_.name, "{}", netlink::AddressManager::describe_error(vip, ec));
    }
  }
  vips_held_ = true;
  timeline_.step("VIP added", ports_.timers->now());
  log(Level::info, settings_.name, "VIPs added");
}

void VrrpInstance::remove_vips() {
  ports_.announcer->stop();
  for (const auto& vip : vips_) {
    if (auto ec = ports_.vips->remove(vip)) {
      ++counters_.vip_errors;
      log(Level::error, settings_.name, "{}",
          netlink::AddressManager::describe_error(vip, ec, netlink::VipOperation::remove));
    }
  }
  if (vips_held_) {
    timeline_.step("VIP removed", ports_.timers->now());
    log(Level::info, settings_.name, "VIPs removed");
  }
  vips_held_ = false;
}

const vrrp::IpAddress* VrrpInstance::source_address() const {
  return &ports_.adverts->source_address();
}

InstanceStatus VrrpInstance::status() const {
  InstanceStatus s;
  s.name = settings_.name;
  s.state = machine_.state();
  s.priority = machine_.effective_priority();
  s.master = machine_.state() == vrrp::State::master
                 ? std::optional(ports_.adverts->source_address())
                 : machine_.master();
  s.not_eligible_because = eligibility_.summary();
  if (const auto& failure = machine_.promotion_failure(); !failure.empty()) {
    if (!s.not_eligible_because.empty()) s.not_eligible_because += "; ";
    s.not_eligible_because += "promotion: " + failure;
  }
  if (machine_.held()) s.held_by_sync_group = sync_hold_reason_;
  s.last_transition_reason = last_reason_;
  s.counters = counters_;
  s.socket = ports_.adverts->counters();
  s.last_timeline = timeline_.last();
  s.master_durations = timeline_.master_durations();
  return s;
}

}  // namespace redvip::agent
