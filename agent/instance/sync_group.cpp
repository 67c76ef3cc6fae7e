#include "agent/instance/sync_group.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "agent/instance/vrrp_instance.hpp"
#include "agent/log/log.hpp"

namespace redvip::agent {

std::vector<SyncOrder> sync_orders(const std::string& group,
                                   const std::vector<SyncMemberView>& members) {
  std::vector<SyncOrder> orders(members.size());
  const auto faulty = std::find_if(members.begin(), members.end(),
                                   [](const SyncMemberView& m) { return m.own_fault; });
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (faulty != members.end() && &*faulty != &members[i])
      orders[i].fault_because = fmt::format("{} in group {} is in fault", faulty->name, group);
    // A master leaves only for a member that follows a better master; anyone else takes over
    // only with every other member master or ready to be (keepalived prefers Backup to
    // thrashing).
    const bool master = members[i].state == vrrp::State::master;
    for (std::size_t j = 0; j < members.size(); ++j) {
      const auto& other = members[j];
      if (j == i) continue;
      if (master ? !other.follows_master
                 : other.state == vrrp::State::master ||
                       (other.state == vrrp::State::backup && other.wants_master))
        continue;
      orders[i].held_because =
          other.follows_master
              ? fmt::format("sync group {}: {} follows a better master", group, other.name)
          : other.state == vrrp::State::backup
              ? fmt::format("sync group {}: {} is BACKUP, not ready for master", group, other.name)
              : fmt::format("sync group {}: {} is {}", group, other.name,
                            vrrp::to_string(other.state));
      break;
    }
  }
  return orders;
}

SyncGroupState sync_group_state(const std::vector<SyncMemberView>& members) {
  if (std::any_of(members.begin(), members.end(),
                  [](const SyncMemberView& m) { return m.own_fault; }))
    return SyncGroupState::fault;
  if (!members.empty() && std::all_of(members.begin(), members.end(), [](const SyncMemberView& m) {
        return m.state == vrrp::State::master;
      }))
    return SyncGroupState::master;
  return SyncGroupState::backup;
}

namespace {
const char* to_text(SyncGroupState state) {
  switch (state) {
    case SyncGroupState::master:
      return "MASTER";
    case SyncGroupState::fault:
      return "FAULT";
    case SyncGroupState::backup:
      break;
  }
  return "BACKUP";
}
}  // namespace

SyncGroup::SyncGroup(boost::asio::io_context& io, std::string name,
                     std::vector<std::string> members,
                     std::function<VrrpInstance*(const std::string&)> member,
                     std::function<void(SyncGroupState)> on_state)
    : io_(io),
      name_(std::move(name)),
      members_(std::move(members)),
      member_(std::move(member)),
      on_state_(std::move(on_state)) {}

void SyncGroup::changed() {
  if (pending_) return;
  pending_ = true;
  boost::asio::post(io_, [this, alive = lifetime_.watch()] {
    if (alive.expired()) return;
    pending_ = false;
    evaluate();
  });
}

void SyncGroup::evaluate() {
  std::vector<VrrpInstance*> running;
  std::vector<SyncMemberView> views;
  for (const auto& name : members_) {
    if (auto* instance = member_(name)) {
      running.push_back(instance);
      views.push_back(instance->sync_view());
    }
  }
  const auto orders = sync_orders(name_, views);
  // Each order may change that member's state at once; it tells us (changed()), and the next
  // look sees it.
  for (std::size_t i = 0; i < running.size(); ++i) {
    running[i]->set_blocked(kSyncGroupCause, !orders[i].fault_because.empty(),
                            orders[i].fault_because);
    running[i]->set_sync_hold(!orders[i].held_because.empty(), orders[i].held_because);
  }
  if (views.empty()) return;  // no member running (starting, or every one stopping)
  const auto state = sync_group_state(views);
  if (state_ == state) return;
  state_ = state;
  log(Level::notice, "", "sync group {}: {}", name_, to_text(state));
  if (on_state_) on_state_(state);
}

}  // namespace redvip::agent
