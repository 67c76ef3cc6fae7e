#pragma once
// The real ports of an instance on the daemon's io_context, and open_instance(), which opens
// them (VMAC, channel on the shared receive path, announcer) and builds the instance.
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "agent/config/settings.hpp"
#include "agent/instance/vrrp_instance.hpp"
#include "netlink/address_manager.hpp"
#include "netlink/asio.hpp"
#include "netlink/vrrp_receiver.hpp"

namespace redvip::agent {

// The state machine's timers on Asio. A deadline that moves later (a backup re-arms master-down
// at every advert) only updates a field; the Asio wait that is pending fires early, finds the
// later deadline and waits again. So the cost is one timer operation per deadline that comes
// due, not one per advert.
class AsioTimers final : public TimerPort {
 public:
  explicit AsioTimers(boost::asio::io_context& io);
  ~AsioTimers() override;
  vrrp::TimePoint now() const override { return vrrp::Clock::now(); }
  void set_handler(std::function<void(vrrp::TimerKind)> fire) override { fire_ = std::move(fire); }
  void arm(vrrp::TimerKind kind, vrrp::TimePoint deadline) override;
  void cancel(vrrp::TimerKind kind) override;

 private:
  struct Slot {
    explicit Slot(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    std::optional<vrrp::TimePoint> deadline;  // armed, as the machine last said
    std::optional<vrrp::TimePoint> waiting;   // the expiry of the pending Asio wait
    std::uint64_t generation = 0;             // a completion of an older wait is stale
  };
  void wait(vrrp::TimerKind kind, vrrp::TimePoint until);
  Slot& slot(vrrp::TimerKind kind) { return *slots_[static_cast<std::size_t>(kind)]; }

  std::array<std::unique_ptr<Slot>, vrrp::kTimerKindCount> slots_;
  std::function<void(vrrp::TimerKind)> fire_;
  std::shared_ptr<char> lifetime_ = std::make_shared<char>();
};

struct InstanceEnvironment {
  boost::asio::io_context& io;
  const GlobalSettings& globals;
  netlink::AddressManager& addresses;
  netlink::VrrpReceivers& receivers;
};

// Creates the VMAC (use_vmac), claims the VRID on the shared receive path, removes VIPs a
// crashed run left behind, and returns the instance, not yet started. On failure: nullptr, the
// error, and `error` naming the instance and what failed; nothing is left behind.
std::pair<std::unique_ptr<VrrpInstance>, std::error_code> open_instance(
    const InstanceSettings& settings, const InstanceEnvironment& env, std::string& error);

}  // namespace redvip::agent
