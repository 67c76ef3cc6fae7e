#include "agent/instance/timer_hub.hpp"

#include <algorithm>

namespace redvip::agent {

TimerHub::~TimerHub() { timer_.cancel(); }

TimerHub::Id TimerHub::add(std::function<void()> fire) {
  Id id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<Id>(slots_.size());
    slots_.emplace_back();
  }
  slots_[id].fire = std::move(fire);
  return id;
}

void TimerHub::remove(Id id) {
  auto& slot = slots_.at(id);
  slot.deadline.reset();
  slot.fire = nullptr;
  ++slot.generation;
  free_.push_back(id);
}

void TimerHub::arm(Id id, vrrp::TimePoint deadline) {
  auto& slot = slots_.at(id);
  slot.deadline = deadline;
  heap_.push_back(Entry{deadline, id, slot.generation});
  std::push_heap(heap_.begin(), heap_.end());
  if (!scheduled_ || deadline < *scheduled_) schedule();
}

void TimerHub::cancel(Id id) { slots_.at(id).deadline.reset(); }

bool TimerHub::current(const Entry& entry) const {
  const auto& slot = slots_[entry.id];
  return slot.generation == entry.generation && slot.deadline == entry.deadline;
}

// Waits for the earliest entry still standing (superseded ones on top are dropped first).
void TimerHub::schedule() {
  while (!heap_.empty() && !current(heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end());
    heap_.pop_back();
  }
  if (heap_.empty()) {
    scheduled_.reset();
    timer_.cancel();
    return;
  }
  const auto next = heap_.front().deadline;
  if (scheduled_ == next) return;
  scheduled_ = next;
  timer_.expires_at(next);
  timer_.async_wait(
      [this, alive = lifetime_.watch(), next](const boost::system::error_code& error) {
        if (error || alive.expired() || scheduled_ != next) return;
        scheduled_.reset();
        // Running at awake_at_ (awake()), we cannot have been frozen before it.
        const auto late = vrrp::Clock::now() - std::max(next, awake_at_);
        if (!watchers_.empty() && late >= watch_period_) {
          tell_watchers(late);
          if (alive.expired()) return;
        }
        on_timer();
      });
}

TimerHub::Id TimerHub::watch(vrrp::Clock::duration period,
                             std::function<void(vrrp::Clock::duration)> resumed) {
  const Id id = next_watcher_++;
  watchers_.push_back(Watcher{id, period, std::move(resumed)});
  watch_changed();
  return id;
}

void TimerHub::unwatch(Id watcher) {
  std::erase_if(watchers_, [watcher](const Watcher& w) { return w.id == watcher; });
  watch_changed();
}

void TimerHub::watch_changed() {
  if (watchers_.empty()) {
    if (canary_) cancel(*canary_);
    return;
  }
  watch_period_ =
      std::min_element(watchers_.begin(), watchers_.end(), [](const auto& a, const auto& b) {
        return a.period < b.period;
      })->period;
  if (!canary_) {
    canary_ = add([this] {
      if (!watchers_.empty()) arm(*canary_, vrrp::Clock::now() + watch_period_);
    });
  }
  arm(*canary_, vrrp::Clock::now() + watch_period_);
}

void TimerHub::awake() {
  if (watchers_.empty() || !canary_) return;
  const auto& due = slots_[*canary_].deadline;
  if (!due) return;
  const auto now = vrrp::Clock::now();
  const auto was = *due;
  awake_at_ = now;
  if (now - was >= watch_period_) {
    const auto alive = lifetime_.watch();
    tell_watchers(now - was);
    if (alive.expired() || watchers_.empty() || !canary_) return;
  }
  arm(*canary_, now + watch_period_);
  // arm() only brings the wait forward; the Asio timer waited for the canary's old deadline:
  // wait for what is earliest now.
  if (scheduled_ == was) schedule();
}

// A watcher may arm timers or stop watching: each is called from a copy of the list.
void TimerHub::tell_watchers(vrrp::Clock::duration late) {
  const auto watchers = watchers_;
  for (const auto& w : watchers) w.resumed(late);
}

void TimerHub::on_timer() {
  const auto now = vrrp::Clock::now();
  while (!heap_.empty() && heap_.front().deadline <= now) {
    const Entry entry = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end());
    heap_.pop_back();
    if (!current(entry)) continue;
    auto& slot = slots_[entry.id];
    slot.deadline.reset();
    // May arm or remove timers (ours included): the heap is consistent here.
    if (auto fire = slot.fire) fire();
  }
  schedule();
}

HubTimers::HubTimers(TimerHub& hub) : hub_(hub) {
  for (std::size_t k = 0; k < ids_.size(); ++k) {
    ids_[k] = hub_.add([this, kind = static_cast<vrrp::TimerKind>(k)] {
      if (fire_) fire_(kind);
    });
  }
}

HubTimers::~HubTimers() {
  if (watcher_) hub_.unwatch(*watcher_);
  for (const auto id : ids_) hub_.remove(id);
}

void HubTimers::watch_stalls(vrrp::Clock::duration period,
                             std::function<void(vrrp::Clock::duration)> resumed) {
  if (watcher_) hub_.unwatch(*watcher_);
  watcher_ = hub_.watch(period, std::move(resumed));
}

void HubTimers::arm(vrrp::TimerKind kind, vrrp::TimePoint deadline) {
  hub_.arm(ids_[static_cast<std::size_t>(kind)], deadline);
}

void HubTimers::cancel(vrrp::TimerKind kind) { hub_.cancel(ids_[static_cast<std::size_t>(kind)]); }

}  // namespace redvip::agent
