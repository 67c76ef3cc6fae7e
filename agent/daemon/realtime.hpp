#pragma once
// keepalived's vrrp_rt_priority and vrrp_no_swap for redvipd's one event loop: adverts and
// master-down timers keep their deadlines on a loaded host (SCHED_RR) and are never delayed by
// page faults on a host short of memory (mlockall). Off unless configured: a real-time loop that
// spun would starve the host, and both need privileges (root, or the systemd unit's
// LimitRTPRIO / LimitMEMLOCK).
#include <string>
#include <system_error>

#include "agent/config/settings.hpp"

namespace redvip::agent {

// Applies what `globals` asks (and undoes what it no longer asks: back to SCHED_OTHER,
// munlockall). `report` says what was done or, on error, what failed and what permits it.
std::error_code apply_realtime(const GlobalSettings& globals, std::string& report);

}  // namespace redvip::agent
