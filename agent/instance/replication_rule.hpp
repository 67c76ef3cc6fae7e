#pragma once
// Whose Redis ours replicates from while we are not master.
#include <optional>

#include "vrrp/ip_address.hpp"
#include "vrrp/state_machine.hpp"

namespace redvip::agent {

// Only a master advertises with a non-zero priority, so while we are not master (Backup, or held
// in Fault until our Redis has synced) an advert says whom to replicate from. A backup that
// follows a master already (the state machine's master()) ignores other senders: during a
// preemption the lower master we are about to replace still advertises.
inline bool replicate_from_sender(vrrp::State state, const std::optional<vrrp::IpAddress>& followed,
                                  std::uint8_t priority, const vrrp::IpAddress& sender) {
  if (priority == vrrp::kPriorityRelease || state == vrrp::State::master) return false;
  return state != vrrp::State::backup || !followed || *followed == sender;
}

}  // namespace redvip::agent
