#pragma once
// The real ports of an instance on the daemon's io_context, and open_instance(), which opens
// them (VMAC, channel on the shared receive path, announcer) and builds the instance.
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "agent/config/settings.hpp"
#include "agent/instance/timer_hub.hpp"
#include "agent/instance/vrrp_instance.hpp"
#include "netlink/address_manager.hpp"
#include "netlink/asio.hpp"
#include "netlink/vrrp_receiver.hpp"

namespace redvip::agent {

// What every instance shares; all of it must outlive the instances.
struct InstanceEnvironment {
  boost::asio::io_context& io;
  const GlobalSettings& globals;
  netlink::AddressManager& addresses;
  netlink::VrrpReceivers& receivers;
  TimerHub& timers;
};

// Creates the VMAC (use_vmac), claims the VRID on the shared receive path, removes VIPs a
// crashed run left behind, and returns the instance, not yet started. On failure: nullptr, the
// error, and `error` naming the instance and what failed; nothing is left behind.
std::pair<std::unique_ptr<VrrpInstance>, std::error_code> open_instance(
    const InstanceSettings& settings, const InstanceEnvironment& env, std::string& error);

}  // namespace redvip::agent
