#pragma once
// The seam between a VRRP instance and whatever stands behind its VIP (the Redis role
// controller), both ways. The instance calls RoleHooks at the points where the order matters;
// without a redis block there are no hooks and the instance behaves like keepalived. The
// service side sees the instance only as InstanceControl.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "vrrp/advert.hpp"
#include "vrrp/ip_address.hpp"

namespace redvip::agent {

class RoleHooks {
 public:
  virtual ~RoleHooks() = default;

  // Before any VIP is added: make the service writable here. `live_master` is the router
  // that was master until now when it is still alive (it released with priority 0, or we are
  // preempting it): its writes must reach us before we take over. nullopt when it went silent.
  // released: it released (priority 0); false when we preempt a master that still serves.
  // done(false, why) keeps the VIP off and the instance leaves Master.
  virtual void promote(const std::optional<vrrp::IpAddress>& live_master, bool released,
                       std::function<void(bool ok, const std::string& why)> done) = 0;
  // After the VIPs are removed: follow `new_master` when known, drop clients so they reconnect
  // through the VIP.
  virtual void demoted(const std::optional<vrrp::IpAddress>& new_master) = 0;
  // A backup heard the current master, advertising every `advert_interval`: keep following it.
  virtual void master_seen(const vrrp::IpAddress& master, vrrp::Centiseconds advert_interval) = 0;
  // Any router advertised with a priority above 0 (it is alive and claims the VRID), in any
  // state of ours, also while we are taking over: the master we take over from is not gone.
  virtual void advert_heard(const vrrp::IpAddress& router) { (void)router; }
  // A backup heard the master it followed release (priority 0). When that master handed its
  // service to us (our Redis is master now), call handed_to_us() — soon, or not at all: the
  // instance then takes over at once instead of after the skew time.
  virtual void master_released(const vrrp::IpAddress& old_master,
                               std::function<void()> handed_to_us) {
    (void)old_master;
    (void)handed_to_us;
  }
  // Split brain: `other` advertised as master while we were master. we_yield: VRRP made us leave
  // Master for it (the VIPs are removed; called instead of demoted()); else we stay master and
  // it yields. The default does what VRRP says and nothing more.
  virtual void split_brain(const vrrp::IpAddress& other, std::uint8_t other_priority,
                           bool we_yield) {
    (void)other_priority;
    if (we_yield) demoted(other);
  }
};

// What the service behind the VIP may ask of its instance.
class InstanceControl {
 public:
  virtual ~InstanceControl() = default;

  // Sets or clears one reason this node may not be master ("redis health", "redis sync").
  virtual void set_blocked(const std::string& cause, bool blocking,
                           const std::string& detail = {}) = 0;
  // The address our adverts carry (what peers' Redis must replicate from); null before start.
  virtual const vrrp::IpAddress* source_address() const = 0;
};

}  // namespace redvip::agent
