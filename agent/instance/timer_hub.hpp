#pragma once
// Every instance's timers on one Asio timer. A backup re-arms its master-down deadline at every
// advert, always later: with a timer each, either every advert costs a cancel and a new wait, or
// (lazily) each instance wakes the process once per master-down interval to find its deadline
// moved — 700 wakeups a second at 255 instances. Here arming is a push onto a heap; superseded
// entries are dropped when they come to the top; the one Asio timer waits for the earliest
// deadline still standing, so the process wakes for deadlines, not for adverts.
#include <array>
#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <vector>

#include "support/lifetime.hpp"
#include "agent/instance/ports.hpp"
#include "netlink/asio.hpp"
#include "vrrp/state_machine.hpp"

namespace redvip::agent {

class TimerHub {
 public:
  using Id = std::uint32_t;

  explicit TimerHub(boost::asio::io_context& io) : timer_(io) {}
  ~TimerHub();
  TimerHub(const TimerHub&) = delete;
  TimerHub& operator=(const TimerHub&) = delete;

  // A timer that runs `fire` (from the io_context, never from inside arm/cancel) once the last
  // deadline armed has come.
  Id add(std::function<void()> fire);
  void remove(Id id);
  void arm(Id id, vrrp::TimePoint deadline);
  void cancel(Id id);

  // Stall watch. A freeze of this process (the VM paused by its host, the process starved) shows
  // as the Asio timer firing late; a canary due every `period` (the shortest any watcher asked
  // for) makes one due even while nothing else is. Firing `period` or more past its expiry, the
  // hub tells every watcher `resumed(how late)` before any entry due meanwhile fires.
  Id watch(vrrp::Clock::duration period, std::function<void(vrrp::Clock::duration)> resumed);
  void unwatch(Id watcher);
  // The process is running now (the receive path read packets): the canary is checked as if it
  // fired (a freeze shows the same) and pushed a period on, so a process that wakes anyway for
  // adverts does not also wake for the canary.
  void awake();

  std::size_t queued() const { return heap_.size(); }

 private:
  struct Slot {
    std::optional<vrrp::TimePoint> deadline;
    std::uint32_t generation = 0;  // bumped by remove(): the id's old entries are stale
    std::function<void()> fire;
  };
  struct Entry {
    vrrp::TimePoint deadline;
    Id id;
    std::uint32_t generation;
    // std::push_heap keeps a max-heap: "less" is "later", so the top is the earliest.
    friend bool operator<(const Entry& a, const Entry& b) { return a.deadline > b.deadline; }
  };
  struct Watcher {
    Id id;
    vrrp::Clock::duration period;
    std::function<void(vrrp::Clock::duration)> resumed;
  };
  bool current(const Entry& entry) const;
  void on_timer();
  void schedule();
  void watch_changed();
  void tell_watchers(vrrp::Clock::duration late);

  boost::asio::steady_timer timer_;
  std::optional<vrrp::TimePoint> scheduled_;  // the expiry the Asio timer waits for
  std::vector<Slot> slots_;
  std::vector<Id> free_;
  std::vector<Entry> heap_;
  std::vector<Watcher> watchers_;
  Id next_watcher_ = 0;
  std::optional<Id> canary_;              // a slot of ours, re-armed every watch_period_
  vrrp::Clock::duration watch_period_{};  // the shortest period asked for
  vrrp::TimePoint awake_at_{};            // the last awake()
  Lifetime lifetime_;
};

// One instance's TimerPort on the hub.
class HubTimers final : public TimerPort {
 public:
  explicit HubTimers(TimerHub& hub);
  ~HubTimers() override;
  vrrp::TimePoint now() const override { return vrrp::Clock::now(); }
  void set_handler(std::function<void(vrrp::TimerKind)> fire) override { fire_ = std::move(fire); }
  void arm(vrrp::TimerKind kind, vrrp::TimePoint deadline) override;
  void cancel(vrrp::TimerKind kind) override;
  void watch_stalls(vrrp::Clock::duration period,
                    std::function<void(vrrp::Clock::duration)> resumed) override;

 private:
  TimerHub& hub_;
  std::optional<TimerHub::Id> watcher_;
  std::array<TimerHub::Id, vrrp::kTimerKindCount> ids_{};
  std::function<void(vrrp::TimerKind)> fire_;
};

}  // namespace redvip::agent
