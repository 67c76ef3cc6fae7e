// The daemon's part in keepalived's vrrp_sync_group (agent/instance/sync_group.hpp): one group
// object per configured group, finding its members among the running instances by name, and its
// notify scripts ("GROUP" NAME STATE 0).
#include <algorithm>

#include "agent/daemon/daemon.hpp"
#include "agent/log/log.hpp"

namespace redvip::agent {
namespace {

NotifyState group_notify_state(SyncGroupState state) {
  switch (state) {
    case SyncGroupState::master:
      return NotifyState::master;
    case SyncGroupState::fault:
      return NotifyState::fault;
    case SyncGroupState::backup:
      break;
  }
  return NotifyState::backup;
}

// A group's notify scripts, or none when it has no notify settings.
std::shared_ptr<Notifier> group_notifier(ScriptRunner& scripts, const SyncGroupSettings& settings) {
  if (settings.notify.empty()) return nullptr;
  return std::make_shared<Notifier>(scripts, settings.name, settings.notify, NotifyKind::group);
}

}  // namespace

void Daemon::join_sync_group(const InstanceSettings& settings, VrrpInstance& instance) {
  if (settings.sync_group.empty()) return;
  instance.set_sync_listener([this, group = settings.sync_group] {
    if (auto it = sync_groups_.find(group); it != sync_groups_.end()) it->second.group->changed();
  });
}

void Daemon::rebuild_sync_groups() {
  // A group whose members changed is made anew: its first look sets every member's fault and
  // hold afresh (an instance that joined or left a group is restarted by the reload anyway: its
  // settings name its group). A group whose members stayed keeps its state; only its notify
  // settings may have changed.
  for (auto it = sync_groups_.begin(); it != sync_groups_.end();) {
    const auto wanted =
        std::find_if(config_.sync_groups.begin(), config_.sync_groups.end(),
                     [&](const SyncGroupSettings& g) { return g.name == it->first; });
    if (wanted == config_.sync_groups.end() || wanted->members != it->second.settings.members) {
      it = sync_groups_.erase(it);
      continue;
    }
    if (wanted->notify != it->second.settings.notify) {
      *it->second.notifier = group_notifier(*scripts_, *wanted);
    }
    it->second.settings = *wanted;
    ++it;
  }
  for (const auto& settings : config_.sync_groups) {
    if (sync_groups_.count(settings.name)) continue;
    auto notifier =
        std::make_shared<std::shared_ptr<Notifier>>(group_notifier(*scripts_, settings));
    auto group = std::make_unique<SyncGroup>(
        io_, settings.name, settings.members,
        [this](const std::string& name) -> VrrpInstance* {
          // Stopping members (a reload, a shutdown, a SIGTERM's hand-off under way) are left
          // out: what they do on their way out is not the group's to change.
          if (shutting_down_ || stopping_.count(name)) return nullptr;
          const auto it = instances_.find(name);
          return it == instances_.end() ? nullptr : it->second.get();
        },
        [notifier](SyncGroupState state) {
          if (*notifier) (*notifier)->notify(group_notify_state(state), 0);
        });
    log(Level::info, "", "sync group {}: {} members", settings.name, settings.members.size());
    sync_groups_.emplace(settings.name, RunningSyncGroup{settings, std::move(group), notifier});
  }
  for (auto& [name, running] : sync_groups_) running.group->changed();
}

}  // namespace redvip::agent
