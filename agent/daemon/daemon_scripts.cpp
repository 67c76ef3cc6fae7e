// The daemon's part in keepalived's scripts: each instance's notifier and tracker (agent/scripts/).
#include "agent/daemon/daemon.hpp"

#include <algorithm>

#include "agent/log/log.hpp"

namespace redvip::agent {
namespace {

NotifyState notify_state(vrrp::State state) {
  switch (state) {
    case vrrp::State::master:
      return NotifyState::master;
    case vrrp::State::backup:
      return NotifyState::backup;
    default:
      return NotifyState::fault;
  }
}

}  // namespace

void Daemon::attach_scripts(const InstanceSettings& settings, VrrpInstance& instance) {
  notifiers_.erase(settings.name);  // a restarted instance's old notifier finishes on its own
  if (!settings.notify.empty()) {
    auto notifier = std::make_shared<Notifier>(*scripts_, settings.name, settings.notify);
    instance.set_transition_observer([notifier](vrrp::State state, std::uint8_t priority) {
      notifier->notify(notify_state(state), priority);
    });
    notifiers_[settings.name] = std::move(notifier);
  }
  const bool weighted_interface =
      std::any_of(settings.track_interfaces.begin(), settings.track_interfaces.end(),
                  [](const TrackedInterface& t) { return t.weight != 0; });
  if (settings.track_scripts.empty() && settings.track_files.empty() && !weighted_interface) return;
  VrrpInstance* target = &instance;
  auto tracker = std::make_unique<Tracker>(
      io_, *scripts_, settings,
      [target](const std::string& cause, bool blocking, const std::string& detail) {
        target->set_blocked(cause, blocking, detail);
      },
      [target](std::uint8_t priority) { target->set_tracked_priority(priority); });
  // Before the instance starts: a failing init_fail script or track file starts it in Fault,
  // and the priority it starts with counts the weighted interfaces as they are now (one that
  // does not exist is down, as keepalived counts it).
  for (const auto& t : settings.track_interfaces)
    if (t.weight != 0) tracker->on_link(t.name, links_->link_up(t.name).value_or(false));
  tracker->start();
  trackers_[settings.name] = std::move(tracker);
}

void Daemon::instance_stopped(const std::string& name, std::uint8_t priority) {
  auto it = notifiers_.find(name);
  if (it == notifiers_.end()) return;
  it->second->notify(NotifyState::stop, priority);
  notifiers_.erase(it);  // it lives on while its queue runs
}

void Daemon::wait_for_scripts(std::function<void()> done) {
  // A finished script may start the next in the queue before the idle callback runs.
  scripts_->when_idle([this, done = std::move(done)]() mutable {
    if (scripts_->running() == 0) {
      done();
      return;
    }
    wait_for_scripts(std::move(done));
  });
}

}  // namespace redvip::agent
