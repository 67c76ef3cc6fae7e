#pragma once
// The Redis side of one vrrp_instance: health checks that gate eligibility, and the role
// changes in the order design.md gives. Becoming master: catch up with a live old master
// (its writes paused), REPLICAOF NO ONE, confirm; only then may the VIP be added. Leaving:
// follow the new master and drop clients. A Redis that restarted (new replication history)
// or never synced stays ineligible until it completed a sync, unless no peer holds data.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/config/settings.hpp"
#include "agent/redis/client/connection.hpp"
#include "agent/redis/ops/health_checker.hpp"
#include "agent/redis/ops/peer_probe.hpp"
#include "agent/redis/ops/operations.hpp"
#include "agent/instance/role_hooks.hpp"
#include "agent/redis/roles/redis_status.hpp"
#include "netlink/asio.hpp"

namespace redvip::agent {

class RedisRoleController : public RoleHooks {
 public:
  RedisRoleController(boost::asio::io_context& io, const InstanceSettings& settings,
                      InstanceControl& instance);
  ~RedisRoleController() override;
  RedisRoleController(const RedisRoleController&) = delete;
  RedisRoleController& operator=(const RedisRoleController&) = delete;

  void start();
  void stop();

  // Planned handover on the master: pause writes, wait until a replica has every write,
  // then release(); afterwards wait (bounded) until our Redis follows the new master and drop
  // its clients. done() when finished, whatever happened (it is logged).
  void handover(std::function<void(std::function<void()>)> release, std::function<void()> done);

  void promote(const std::optional<vrrp::IpAddress>& live_master,
               std::function<void(bool ok, const std::string& why)> done) override;
  void demoted(const std::optional<vrrp::IpAddress>& new_master) override;
  void master_seen(const vrrp::IpAddress& master) override;

  RedisStatusView view() const;

 private:
  using Ms = std::chrono::milliseconds;
  using Done = std::function<void(bool ok, const std::string& why)>;

  RedisConnectionOptions options_for(const std::string& host, std::uint16_t port) const;
  void on_health(Health health, const std::string& reason);
  void on_check(bool ok);
  void judge_promotable(const ReplicationInfo& info);
  void set_promotable(bool yes, const std::string& why);
  void maybe_cold_start(const ReplicationInfo& info);
  void follow(const vrrp::IpAddress& master);
  void catch_up_then_promote(const vrrp::IpAddress& old_master, Done done);
  void approach(std::shared_ptr<RedisConnection> peer, std::chrono::steady_clock::time_point deadline,
                const vrrp::IpAddress& old_master, Done done, long long first_offset = -1);
  void pause_and_catch_up(std::shared_ptr<RedisConnection> peer, const vrrp::IpAddress& old_master,
                          Done done);
  void poll_catch_up(std::shared_ptr<RedisConnection> peer, std::chrono::steady_clock::time_point deadline,
                     const vrrp::IpAddress& old_master, Done done);
  void promote_now(std::optional<vrrp::IpAddress> old_master, std::shared_ptr<RedisConnection> peer,
                   Done done);
  void wait_replicas_caught_up(const ReplicationInfo& ours, std::chrono::steady_clock::time_point deadline,
                               std::function<void(bool, const std::string&)> done);
  void wait_until_replica(std::chrono::steady_clock::time_point deadline, std::function<void()> done);
  void after(Ms delay, std::function<void()> then);

  boost::asio::io_context& io_;
  InstanceSettings settings_;
  RedisSettings redis_;
  InstanceControl& instance_;
  std::shared_ptr<RedisConnection> connection_;
  std::unique_ptr<RedisHealthChecker> checker_;
  std::unique_ptr<RedisRoles> roles_;

  bool promotable_ = false;    // may become master: synced in this history, or cold start won
  std::string history_;        // the replication id our data belongs to
  std::uint64_t connects_seen_ = 0;
  std::string not_promotable_why_ = "not yet checked";
  std::optional<vrrp::IpAddress> following_;  // the master we pointed our Redis at
  bool follow_in_flight_ = false;
  std::chrono::steady_clock::time_point last_follow_{};
  std::optional<vrrp::IpAddress> last_follow_target_;
  std::chrono::steady_clock::time_point started_{};
  std::optional<vrrp::IpAddress> master_heard_;  // the VRRP master, while we are backup
  bool cold_check_in_flight_ = false;
  std::chrono::steady_clock::time_point last_cold_check_{};
  std::vector<vrrp::IpAddress> peers_heard_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace redvip::agent
