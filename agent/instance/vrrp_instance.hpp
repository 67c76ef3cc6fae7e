#pragma once
// One configured vrrp_instance at run time: the pure state machine wired to its raw socket,
// timers, VIPs and announcements, all on the daemon's io_context.
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/settings.hpp"
#include "agent/instance/eligibility.hpp"
#include "agent/instance/instance_status.hpp"
#include "agent/instance/role_hooks.hpp"
#include "netlink/address_manager.hpp"
#include "netlink/announcer.hpp"
#include "netlink/asio.hpp"
#include "netlink/link_monitor.hpp"
#include "netlink/vrrp_socket.hpp"
#include "vrrp/codec.hpp"
#include "vrrp/state_machine.hpp"

namespace redvip::agent {

class VrrpInstance : public InstanceControl {
 public:
  VrrpInstance(boost::asio::io_context& io, InstanceSettings settings, const GlobalSettings& globals,
               netlink::AddressManager& addresses);
  ~VrrpInstance() override;
  VrrpInstance(const VrrpInstance&) = delete;
  VrrpInstance& operator=(const VrrpInstance&) = delete;

  // Opens the socket, removes VIPs a crashed run left behind, and starts the state machine.
  // An error is returned with a message naming the instance and what failed.
  std::error_code start(std::string& error);
  // Master: priority-0 advert and VIPs removed. done() runs once everything is sent.
  void stop(std::function<void()> done);

  void on_link(const netlink::LinkEvent& event);
  void on_address(const netlink::AddressEvent& event);
  // Redis health, sync state, or anything else that may keep this node from being master.
  void set_blocked(const std::string& cause, bool blocking, const std::string& detail = {}) override;
  void set_hooks(RoleHooks* hooks) { hooks_ = hooks; }
  const vrrp::IpAddress* source_address() const override;

  const InstanceSettings& settings() const { return settings_; }
  InstanceStatus status() const;
  vrrp::State state() const;
  bool holds_vips() const { return vips_held_; }

 private:
  void feed(const vrrp::Event& event);
  void enqueue(std::vector<vrrp::Action> actions);
  void run_queue();
  // Returns false when the action started something asynchronous: the queue resumes later.
  bool execute(const vrrp::Action& action);
  void on_packet(const netlink::ReceivedPacket& packet);
  void arm_timer(vrrp::TimerKind kind, vrrp::TimePoint deadline);
  void cancel_timer(vrrp::TimerKind kind);
  void take_vips();
  void release_vips();
  void send_advert(std::uint8_t priority);
  std::vector<netlink::Vip> vips() const;
  std::string vip_device(const VirtualAddress& vip) const;
  std::string socket_interface() const;

  struct Timer {
    explicit Timer(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    std::uint64_t generation = 0;  // a completion from an older arming is stale
  };

  boost::asio::io_context& io_;
  InstanceSettings settings_;
  GlobalSettings globals_;
  netlink::AddressManager& addresses_;
  std::unique_ptr<netlink::VrrpSocket> socket_;
  std::unique_ptr<netlink::Announcer> announcer_;
  std::optional<vrrp::StateMachine> machine_;
  vrrp::DecodeOptions decode_options_;
  std::array<std::unique_ptr<Timer>, vrrp::kTimerKindCount> timers_;
  std::deque<vrrp::Action> queue_;
  bool waiting_ = false;  // an asynchronous step (Redis promotion) is in flight
  bool vips_held_ = false;
  bool vmac_created_ = false;
  bool stopping_ = false;
  std::function<void()> stop_done_;
  Eligibility eligibility_;
  RoleHooks* hooks_ = nullptr;
  std::optional<vrrp::IpAddress> master_;
  // The last other router we heard advertising (any priority) and when: tells a takeover from
  // a live master (preemption, priority-0 release) from one after the master went silent.
  std::optional<vrrp::IpAddress> last_heard_;
  vrrp::TimePoint last_heard_at_{};
  std::string last_reason_;
  InstanceCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace redvip::agent
