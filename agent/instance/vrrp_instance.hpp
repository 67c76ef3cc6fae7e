#pragma once
// One configured vrrp_instance at run time: the pure state machine (vrrp/state_machine.hpp)
// wired to its ports (ports.hpp): adverts, VIPs, announcements, timers and clock. It executes the
// machine's actions one handler each, in order, and asks the Redis role controller (RoleHooks)
// before a VIP is added. Everything the machine knows (state, master, whether the previous master
// is alive, when to retry a failed promotion) stays in the machine.
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/lifetime.hpp"
#include "agent/config/settings.hpp"
#include "agent/instance/eligibility.hpp"
#include "agent/instance/failover_timeline.hpp"
#include "agent/instance/instance_status.hpp"
#include "agent/instance/ports.hpp"
#include "agent/instance/role_hooks.hpp"
#include "agent/instance/sync_group.hpp"
#include "agent/log/log_limiter.hpp"
#include "netlink/link_monitor.hpp"
#include "vrrp/codec.hpp"
#include "vrrp/state_machine.hpp"

namespace redvip::agent {

class VrrpInstance : public InstanceControl {
 public:
  // The ports are open: the instance is built but silent until start().
  VrrpInstance(InstanceSettings settings, InstancePorts ports);
  ~VrrpInstance() override;
  VrrpInstance(const VrrpInstance&) = delete;
  VrrpInstance& operator=(const VrrpInstance&) = delete;

  // Starts the state machine (Backup, Fault when not eligible, Master as address owner).
  void start();
  // Master: priority-0 advert and VIPs removed. done() runs once everything is done.
  void stop(std::function<void()> done);
  // Master whose service was handed to `successor` (redvipctl handover): priority-0 advert,
  // VIPs removed, Backup following the successor without preempting it. The actions run before
  // this returns.
  void hand_over(const vrrp::IpAddress& successor);

  // Brings this instance into the cache ahead of a batch of packets (VridDispatch::warm).
  void warm() const;
  // A packet for our VRID, as the shared receive path decoded it, and when it arrived (the
  // state machine counts from then, also when the packet was read later, in a batch).
  void on_packet(const vrrp::DecodeResult& result, const vrrp::IpMeta& meta,
                 vrrp::TimePoint received_at);
  void on_link(const netlink::LinkEvent& event);
  void on_address(const netlink::AddressEvent& event);
  // Address events were lost (the kernel's queue overran): as master, put back any VIP that is
  // no longer there.
  void recheck_vips();
  // Redis health, sync state, or anything else that may keep this node from being master.
  void set_blocked(const std::string& cause, bool blocking,
                   const std::string& detail = {}) override;
  void set_hooks(RoleHooks* hooks) { hooks_ = hooks; }
  const vrrp::IpAddress* source_address() const override;

  // instance_hooks.cpp: what tracked scripts and notifications need.
  // The priority tracked scripts and files make (keepalived's weights); the machine advertises it.
  void set_tracked_priority(std::uint8_t priority);
  // Called once each transition has finished (Redis promoted, VIPs added and announced, or
  // released), with the state reached and the priority; never for Initialize.
  using TransitionObserver = std::function<void(vrrp::State state, std::uint8_t priority)>;
  void set_transition_observer(TransitionObserver observer) { observer_ = std::move(observer); }

  // sync_group.hpp: what the group sees of this member, its hold (SyncHold), and who hears of
  // every change the group looks at (state, wanting Master, a fault of its own).
  SyncMemberView sync_view() const;
  void set_sync_hold(bool held, const std::string& why);
  void set_sync_listener(std::function<void()> listener) { sync_listener_ = std::move(listener); }

  const InstanceSettings& settings() const { return settings_; }
  InstanceStatus status() const;
  vrrp::State state() const { return machine_.state(); }

 private:
  void feed(const vrrp::Event& event);
  void feed(const vrrp::Event& event, vrrp::TimePoint at);
  void run_queue();
  // One handler per action; false when the action started something asynchronous (the Redis
  // promotion): the queue resumes when it completes.
  bool act(const vrrp::SendAdvert& send);
  bool act(const vrrp::ArmTimer& arm);
  bool act(const vrrp::CancelTimer& cancel);
  bool act(const vrrp::TakeVips& take);
  bool act(const vrrp::ReleaseVips& release);
  bool act(const vrrp::Announce& announce);
  bool act(const vrrp::Transition& transition);
  bool act(const vrrp::DropAdvert& drop);
  bool act(const vrrp::MasterChanged& changed);
  bool act(const vrrp::SplitBrain& split);
  bool act(const vrrp::WantsMaster& wants);
  bool act(const vrrp::MasterDownDeferred& deferred);
  void promoted(bool ok, const std::string& why);
  void transition_settled();
  // A cause of our own blocks us (anything but the sync group's), or our promotion failed.
  bool own_fault() const;
  void add_vips();
  void remove_vips();

  InstanceSettings settings_;
  InstancePorts ports_;
  std::vector<netlink::Vip> vips_;  // what this instance puts on its interfaces
  vrrp::Advert advert_;             // our advert; the priority varies
  vrrp::DecodeOptions checks_;      // what our adverts must match
  vrrp::StateMachine machine_;
  std::deque<vrrp::Action> queue_;
  bool started_ = false;
  bool waiting_ = false;  // a Redis promotion is in flight
  bool vips_held_ = false;
  bool released_vips_ = false;  // the last ReleaseVips removed VIPs we held
  bool stopping_ = false;
  std::function<void()> stop_done_;
  Eligibility eligibility_;
  RoleHooks* hooks_ = nullptr;
  std::string last_reason_;
  bool in_wait_ = false;  // in a Fault that only waits (eligibility.hpp: only_waiting)
  InstanceCounters counters_;
  // Adverts rejected or dropped are a remote host's doing: one line per reason and source per
  // 10 s, naming both; the advert being handled, for the state machine's DropAdvert.
  LogLimiter drop_log_{std::chrono::seconds(10)};
  // A host that stalls once stalls again (memory reclaim, a busy hypervisor): a line a minute.
  LogLimiter stall_log_{std::chrono::minutes(1)};
  struct Handling {
    vrrp::IpAddress source;
    vrrp::Centiseconds interval{0};
  };
  std::optional<Handling> handling_;
  Lifetime lifetime_;
  TransitionObserver observer_;
  std::function<void()> sync_listener_;
  std::string sync_hold_reason_;
  vrrp::TimePoint event_at_{};  // when the event being handled happened
  TimelineRecorder timeline_;
  vrrp::State settled_ = vrrp::State::initialize;  // the state the observer last heard
};

}  // namespace redvip::agent
