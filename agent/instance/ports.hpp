#pragma once
// Everything a VrrpInstance touches outside itself, behind small interfaces, so an instance runs
// in a unit test with fakes (tests/unit/instance_fakes.hpp) and on the daemon's io_context with
// the real thing (live_ports.hpp).
#include <functional>
#include <memory>
#include <system_error>
#include <vector>

#include "netlink/address_manager.hpp"
#include "netlink/vrrp_socket.hpp"
#include "vrrp/advert.hpp"
#include "vrrp/state_machine.hpp"

namespace redvip::agent {

// The instance's adverts out (its packets in arrive through VrrpInstance::on_packet).
class AdvertPort {
 public:
  virtual ~AdvertPort() = default;
  virtual std::error_code send(const vrrp::Advert& advert) = 0;
  // Our adverts' source: breaks priority ties, and is what peers' Redis replicates from.
  virtual const vrrp::IpAddress& source_address() const = 0;
  virtual netlink::SocketCounters counters() const = 0;
  // Packets already queued for us are handed to on_packet now: a master-down timeout must not
  // win against an advert that arrived in time but waits in a read batch.
  virtual void receive_pending() {}
};

// Gratuitous ARP / unsolicited NA for the VIPs after a takeover.
class AnnouncePort {
 public:
  virtual ~AnnouncePort() = default;
  virtual std::error_code start(const std::vector<vrrp::IpAddress>& vips) = 0;
  virtual void stop() = 0;
};

// The clock and the state machine's timers. fire(kind) must run, on the instance's executor and
// not from inside arm() or cancel(), once now() has reached the last deadline armed for that
// kind; a late or extra call is harmless (the state machine ignores a stale TimerFired).
class TimerPort {
 public:
  virtual ~TimerPort() = default;
  virtual vrrp::TimePoint now() const = 0;
  virtual void set_handler(std::function<void(vrrp::TimerKind)> fire) = 0;
  virtual void arm(vrrp::TimerKind kind, vrrp::TimePoint deadline) = 0;
  virtual void cancel(vrrp::TimerKind kind) = 0;
  // Calls resumed(stalled) when this process is found to have run nothing for `stalled`, at
  // least `period` (its timers fired that late), before the timers due meanwhile fire. A fake
  // that never stalls may ignore it.
  virtual void watch_stalls(vrrp::Clock::duration period,
                            std::function<void(vrrp::Clock::duration)> resumed) {
    (void)period;
    (void)resumed;
  }
};

struct InstancePorts {
  std::unique_ptr<AdvertPort> adverts;
  netlink::VipTable* vips = nullptr;  // shared by every instance; must outlive them
  std::unique_ptr<AnnouncePort> announcer;
  std::unique_ptr<TimerPort> timers;
  // Runs when the instance is destroyed, after its ports: undoes what opening it created (the
  // VMAC link).
  std::function<void()> on_destroy;
};

}  // namespace redvip::agent
