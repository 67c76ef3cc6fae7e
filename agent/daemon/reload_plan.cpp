#include "agent/daemon/reload_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace redvip::agent {
namespace {

const vrrp::IpAddress& group_of(const GlobalSettings& globals, vrrp::Family family) {
  return family == vrrp::Family::ipv4 ? globals.mcast_group4 : globals.mcast_group6;
}

// Where the block stands in the files is not a setting: an edit above it must not restart it.
bool same_settings(InstanceSettings a, InstanceSettings b) {
  a.source_file = b.source_file;
  a.source_line = b.source_line;
  return a == b;
}

std::map<std::string, const InstanceSettings*> by_name(const Config& config) {
  std::map<std::string, const InstanceSettings*> out;
  for (const auto& s : config.instances) out.emplace(s.name, &s);
  return out;
}

}  // namespace

std::string ReloadPlan::summary() const {
  return fmt::format("{} kept, {} restarted, {} added, {} removed", kept.size(), restarted.size(),
                     added.size(), removed.size());
}

ReloadPlan plan_reload(const Config& running, const Config& next) {
  ReloadPlan plan;
  const auto before = by_name(running);
  const auto after = by_name(next);
  for (const auto& [name, old_settings] : before) {
    const auto it = after.find(name);
    if (it == after.end()) {
      plan.removed.push_back(name);
      continue;
    }
    const InstanceSettings& now = *it->second;
    const bool same = same_settings(*old_settings, now) &&
                      group_of(running.globals, now.family) == group_of(next.globals, now.family);
    (same ? plan.kept : plan.restarted).push_back(name);
  }
  for (const auto& [name, settings] : after) {
    if (!before.count(name)) plan.added.push_back(name);
  }
  plan.endpoints_changed = running.redvip.control_socket != next.redvip.control_socket ||
                           running.redvip.metrics_address != next.redvip.metrics_address;
  return plan;
}

}  // namespace redvip::agent
