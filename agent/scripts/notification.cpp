#include "agent/scripts/notification.hpp"

#include <fmt/format.h>

namespace redvip::agent {

std::string_view to_string(NotifyState state) {
  switch (state) {
    case NotifyState::master:
      return "MASTER";
    case NotifyState::backup:
      return "BACKUP";
    case NotifyState::fault:
      return "FAULT";
    case NotifyState::stop:
      return "STOP";
  }
  return "UNKNOWN";
}

namespace {
const char* kind_word(NotifyKind kind) { return kind == NotifyKind::group ? "GROUP" : "INSTANCE"; }
}  // namespace

std::vector<ScriptCall> notification_calls(const NotifySettings& settings,
                                           const std::string& instance, NotifyState state,
                                           std::uint8_t priority, NotifyKind kind) {
  std::vector<ScriptCall> calls;
  const std::optional<ScriptCommand>* specific = nullptr;
  switch (state) {
    case NotifyState::master:
      specific = &settings.master;
      break;
    case NotifyState::backup:
      specific = &settings.backup;
      break;
    case NotifyState::fault:
      specific = &settings.fault;
      break;
    case NotifyState::stop:
      specific = &settings.stop;
      break;
  }
  if (*specific) {
    calls.push_back({fmt::format("notify_{}",
                                 [&] {
                                   std::string s(to_string(state));
                                   for (auto& c : s) c = static_cast<char>(c - 'A' + 'a');
                                   return s;
                                 }()),
                     **specific,
                     {}});
  }
  if (settings.any)
    calls.push_back(
        {"notify",
         *settings.any,
         {kind_word(kind), instance, std::string(to_string(state)), std::to_string(priority)}});
  return calls;
}

std::string fifo_line(const std::string& instance, NotifyState state, std::uint8_t priority,
                      NotifyKind kind) {
  return fmt::format("{} \"{}\" {} {}\n", kind_word(kind), instance, to_string(state), priority);
}

}  // namespace redvip::agent
