#pragma once
// What an instance reports about itself: state, who is master, why it may not be, counters.
// Plain data for status, JSON and metrics.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "agent/instance/failover_timeline.hpp"
#include "netlink/vrrp_socket.hpp"
#include "vrrp/codec.hpp"
#include "vrrp/state_machine.hpp"

namespace redvip::agent {

struct InstanceCounters {
  std::uint64_t adverts_received = 0;
  std::uint64_t adverts_sent = 0;
  std::uint64_t became_master = 0;
  std::uint64_t transitions = 0;
  std::uint64_t vip_errors = 0;
  std::uint64_t split_brains = 0;  // another master heard while we were master (vrrp::SplitBrain)
  std::uint64_t master_down_deferred = 0;  // after a stall of this host (vrrp::MasterDownDeferred)
  std::array<std::uint64_t, vrrp::kRejectCount> rejected{};
  std::array<std::uint64_t, vrrp::kDropReasonCount> dropped{};
};

struct InstanceStatus {
  std::string name;
  vrrp::State state = vrrp::State::initialize;
  std::uint8_t priority = 0;
  std::optional<vrrp::IpAddress> master;  // who we last heard as master (ourselves when master)
  std::string not_eligible_because;       // empty when eligible
  std::string held_by_sync_group;         // why its vrrp_sync_group keeps it out of Master
  std::string last_transition_reason;
  InstanceCounters counters;
  netlink::SocketCounters socket;
  std::optional<FailoverTimeline> last_timeline;  // the last transition, step by step
  DurationHistogram master_durations;             // becoming master: cause seen to announced
};

}  // namespace redvip::agent
