// The instance's small hooks for tracked scripts and notifications (agent/scripts/).
#include "agent/instance/vrrp_instance.hpp"
#include "agent/log/log.hpp"

namespace redvip::agent {

void VrrpInstance::set_tracked_priority(std::uint8_t priority) {
  // The machine keeps an address owner at 255 and clamps the rest to 1..254.
  feed(vrrp::PriorityChanged{priority});
}

void VrrpInstance::transition_settled() {
  // Status keeps every transition's timeline; the log only those that did something to time.
  if (auto done = timeline_.finish(); done && done->has_actions())
    log(Level::info, settings_.name, "timeline: {}", done->text());
  const vrrp::State now = machine_.state();
  if (now == settled_ || now == vrrp::State::initialize) return;
  settled_ = now;
  if (observer_) observer_(now, machine_.effective_priority());
}

}  // namespace redvip::agent
