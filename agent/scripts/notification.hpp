#pragma once
// What keepalived tells the world on a transition, pure: which scripts run in which order with
// which arguments, and the notify_fifo line. keepalived's formats, so existing receivers work:
//   notify_<state> SCRIPT              (no arguments), then
//   notify SCRIPT "INSTANCE" NAME STATE PRIORITY    ("GROUP" NAME STATE 0 for a sync group)
//   fifo: INSTANCE "NAME" STATE PRIORITY\n         (GROUP "NAME" STATE 0)
// STATE is MASTER, BACKUP, FAULT or STOP.
#include <cstdint>
#include <string>
#include <vector>

#include "agent/config/settings.hpp"

namespace redvip::agent {

enum class NotifyState { master, backup, fault, stop };
std::string_view to_string(NotifyState state);
// Whose transition: a vrrp_instance's ("INSTANCE") or a vrrp_sync_group's ("GROUP", priority 0).
enum class NotifyKind { instance, group };

struct ScriptCall {
  std::string label;  // "notify_master", "notify"
  ScriptCommand command;
  std::vector<std::string> args;
};

// The scripts one transition runs, in keepalived's order.
std::vector<ScriptCall> notification_calls(const NotifySettings& settings,
                                           const std::string& instance, NotifyState state,
                                           std::uint8_t priority,
                                           NotifyKind kind = NotifyKind::instance);
std::string fifo_line(const std::string& instance, NotifyState state, std::uint8_t priority,
                      NotifyKind kind = NotifyKind::instance);

}  // namespace redvip::agent
