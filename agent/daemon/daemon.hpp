#pragma once
// redvipd at run time: the instances of one config, the netlink watchers, the control socket,
// metrics and signals, all on one io_context.
#include <map>
#include <set>
#include <functional>
#include <memory>
#include <vector>
#include <string>

#include "agent/config/settings.hpp"
#include "agent/control/control_server.hpp"
#include "agent/control/handover_request.hpp"
#include "agent/control/metrics_server.hpp"
#include "agent/redis/roles/role_controller.hpp"
#include "agent/scripts/notifier.hpp"
#include "agent/scripts/script_runner.hpp"
#include "agent/scripts/tracker.hpp"
#include "agent/control/status_report.hpp"
#include "agent/daemon/watchdog.hpp"
#include "agent/instance/live_ports.hpp"
#include "agent/instance/sync_group.hpp"
#include "agent/instance/vrrp_instance.hpp"
#include "netlink/address_manager.hpp"
#include "netlink/asio.hpp"
#include "netlink/link_monitor.hpp"
#include "netlink/vrrp_receiver.hpp"

namespace redvip::agent {

class Daemon {
 public:
  Daemon(boost::asio::io_context& io, std::string config_path);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Opens netlink, the control socket and metrics, then starts every instance. A false return
  // comes with one clear message; nothing is left half-started.
  bool start(Config config, std::string& error);
  // Releases every instance (priority-0 advert, VIPs removed), then stops the io_context.
  void shutdown(const std::string& why);
  // Re-reads the config file; a bad file is refused and the running config stays.
  std::string reload();
  int exit_code() const { return exit_code_; }

  std::vector<InstanceView> views() const;

 private:
  void watch_signals();
  void start_watchdog();
  std::error_code start_instance(const InstanceSettings& settings, std::string& error);
  // vrrp_rt_priority / vrrp_no_swap as config_ asks.
  void apply_scheduling();
  // Starts the instance of that name as config_ describes it now (nothing if it is gone).
  void start_configured(const std::string& name);
  void stop_instance(const std::string& name, std::function<void()> done);
  std::error_code start_endpoints(std::string& error);
  void feed_initial_links(VrrpInstance& instance);
  // daemon_scripts.cpp: an instance's notifications and tracked scripts/files.
  void attach_scripts(const InstanceSettings& settings, VrrpInstance& instance);
  void instance_stopped(const std::string& name, std::uint8_t priority);
  // done() once no notify script runs any more (each is bounded by its timeout).
  void wait_for_scripts(std::function<void()> done);
  // daemon_sync_groups.cpp: the vrrp_sync_groups of config_ over the running instances (kept
  // when unchanged, replaced or dropped otherwise), each looked at once.
  void rebuild_sync_groups();
  void join_sync_group(const InstanceSettings& settings, VrrpInstance& instance);
  void control(const std::string& request, ControlServer::Reply reply);
  void handover(const HandoverRequest& request, ControlServer::Reply reply);

  boost::asio::io_context& io_;
  std::string config_path_;
  Config config_;
  std::unique_ptr<netlink::AddressManager> addresses_;
  std::unique_ptr<netlink::LinkMonitor> links_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<MetricsServer> metrics_;
  boost::asio::signal_set signals_;
  std::unique_ptr<Watchdog> watchdog_;
  // One receive path per interface and family, shared by the instances (before instances_:
  // they hold channels on it).
  std::unique_ptr<netlink::VrrpReceivers> receivers_;
  std::unique_ptr<TimerHub> timer_hub_;  // every instance's timers
  // Every script's child process (before the instances and what runs scripts for them).
  std::unique_ptr<ScriptRunner> scripts_;
  // Notifiers by instance; one whose instance is gone runs what it has queued, then goes.
  std::map<std::string, std::shared_ptr<Notifier>> notifiers_;
  std::map<std::string, std::unique_ptr<VrrpInstance>> instances_;
  // Declared after instances_ so it is destroyed first: a controller refers to its instance.
  std::map<std::string, std::unique_ptr<RedisRoleController>> controllers_;
  // Likewise: a tracker calls into its instance.
  std::map<std::string, std::unique_ptr<Tracker>> trackers_;
  // The sync groups, after instances_ so they go first: a group finds its members by name in
  // instances_ whenever it looks, so a member restarted by a reload is simply found again.
  struct RunningSyncGroup {
    SyncGroupSettings settings;
    std::unique_ptr<SyncGroup> group;
    // Shared with the group's callback, so a reload can swap the notifier under it.
    std::shared_ptr<std::shared_ptr<Notifier>> notifier;
  };
  std::map<std::string, RunningSyncGroup> sync_groups_;
  // Instances releasing before they are destroyed, and who waits for each to be gone.
  std::map<std::string, std::vector<std::function<void()>>> stopping_;
  // Instances in the middle of a redvipctl handover (a second one is refused), and the stops
  // (SIGTERM, a reload removing the instance) that wait for it to end before they begin: two
  // switchovers at once would pause, release and promote twice.
  std::set<std::string> switching_;
  std::map<std::string, std::vector<std::function<void()>>> after_switchover_;
  void switchover_ended(const std::string& name);
  bool signals_added_ = false;
  bool shutting_down_ = false;
  int exit_code_ = 0;
};

}  // namespace redvip::agent
