#pragma once
// The daemon's configuration, as loaded from keepalived-syntax files (see config_parser.hpp).
// Every value here is resolved: instance settings that fall back to global_defs already hold
// the global value, so the daemon never has to know where a value came from.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vrrp/advert.hpp"
#include "vrrp/ip_address.hpp"

namespace redvip::agent {

// Gratuitous ARP / unsolicited NA timing, keepalived's garp_master_* settings.
struct GarpSettings {
  std::chrono::seconds master_delay{5};    // second burst after becoming master; 0 = none
  unsigned master_repeat = 5;              // messages per burst
  std::chrono::seconds master_refresh{0};  // periodic refresh while master; 0 = none
  unsigned master_refresh_repeat = 1;      // messages per refresh

  friend bool operator==(const GarpSettings&, const GarpSettings&) = default;
};

struct GlobalSettings {
  std::string router_id;  // empty when not configured (the daemon may use the host name)
  vrrp::Version default_version = vrrp::Version::v2;  // keepalived's default
  GarpSettings garp;
  vrrp::IpAddress mcast_group4 = vrrp::IpAddress::v4(224, 0, 0, 18);
  vrrp::IpAddress mcast_group6 = *vrrp::IpAddress::parse("ff02::12");
  // keepalived's vrrp_rt_priority: run the event loop SCHED_RR at this priority (1..99);
  // none: the normal scheduler. vrrp_no_swap: lock every page in memory (mlockall).
  std::optional<int> rt_priority;
  bool no_swap = false;
  std::string notify_fifo;  // notify_fifo / vrrp_notify_fifo; empty: none
  std::string script_user;  // the user scripts run as when they name none; empty: ours
  std::string script_group;

  friend bool operator==(const GlobalSettings&, const GlobalSettings&) = default;
};

struct HostPort {
  vrrp::IpAddress host;
  std::uint16_t port = 0;

  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// redvip's own top-level block.
struct RedvipSettings {
  std::string control_socket = "/run/redvip/redvip.sock";
  std::optional<HostPort> metrics_address;          // none: no metrics listener
  std::chrono::milliseconds notify_timeout{10000};  // a notify script is killed after this

  friend bool operator==(const RedvipSettings&, const RedvipSettings&) = default;
};

struct VirtualAddress {
  vrrp::IpAddress address;
  std::uint8_t prefix = 32;  // default /32 (IPv4) or /128 (IPv6), like keepalived
  std::string dev;           // empty: the instance's interface (or its VMAC)
  std::string label;         // empty: none (IPv4 only)

  friend bool operator==(const VirtualAddress&, const VirtualAddress&) = default;
};

struct RedisSettings {
  vrrp::IpAddress address = vrrp::IpAddress::v4(127, 0, 0, 1);  // the local Redis
  std::uint16_t port = 6379;
  std::uint16_t peer_port = 6379;  // the Redis port on the other nodes (default: port)
  // The nodes whose Redis ours may replicate from, catch up with or ask about their data: the
  // block's peers { } or else the instance's unicast peers; never empty. An advert from any
  // other address may cost the VIP but never a REPLICAOF, a connection or data.
  std::vector<vrrp::IpAddress> peers;
  std::string user;                     // empty: no ACL user (AUTH with the password only)
  std::optional<std::string> password;  // the secret itself; never log it
  std::string password_file;            // where the secret came from, if from a file
  std::chrono::milliseconds check_interval{100};
  std::chrono::milliseconds check_timeout{100};
  unsigned fall = 2;  // consecutive failed checks before the node is unhealthy
  unsigned rise = 2;  // consecutive good checks before it is healthy again
  std::chrono::milliseconds handover_timeout{2000};
  // Split brain (redvip.conf(5)): where the yielding side's writes since the fork are saved
  // (empty: not saved), and whether they are replayed onto the keeper.
  std::string diverged_writes_dir;
  bool diverged_writes_merge = false;
  // peer_loss_pause: does the master hold its writes while a peer's Redis is silent (a cut it
  // may take over in), and for how long after its last answer: `window` when set, else
  // computed from the advert interval (auto; redis/model/peer_loss.hpp).
  struct PeerLossPause {
    bool on = false;
    std::optional<std::chrono::milliseconds> window;
    friend bool operator==(const PeerLossPause&, const PeerLossPause&) = default;
  };
  PeerLossPause peer_loss_pause;

  friend bool operator==(const RedisSettings&, const RedisSettings&) = default;
};

enum class InitialState : std::uint8_t { backup, master };

// A script as keepalived runs it: a command line (split into words like keepalived, quotes
// keep words together; no shell), run as `user` (empty: redvipd's own user).
struct ScriptCommand {
  std::string command;
  std::string user;
  std::string group;   // empty: the user's own group
  std::string source;  // "FILE:LINE" where it is written, for logs and -t

  friend bool operator==(const ScriptCommand&, const ScriptCommand&) = default;
};

// keepalived's notifications of one instance, run after a transition (agent/notify/).
struct NotifySettings {
  std::optional<ScriptCommand> any;  // "notify": INSTANCE NAME STATE PRIORITY appended
  std::optional<ScriptCommand> master, backup, fault, stop;
  std::string fifo;                          // global_defs notify_fifo: one line per transition
  std::chrono::milliseconds timeout{10000};  // a notify script is killed after this

  bool empty() const { return !any && !master && !backup && !fault && !stop && fifo.empty(); }
  friend bool operator==(const NotifySettings&, const NotifySettings&) = default;
};

// A vrrp_script block (keepalived's defaults).
struct VrrpScriptSettings {
  std::string name;
  ScriptCommand script;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{1000};  // default: the interval
  int weight = 0;  // 0: a failing script puts the instance in Fault; else priority +/- weight
  unsigned rise = 1;
  unsigned fall = 1;
  bool init_fail = false;

  friend bool operator==(const VrrpScriptSettings&, const VrrpScriptSettings&) = default;
};

// A vrrp_track_file block: a number written to a file by someone else.
struct TrackFileSettings {
  std::string name;
  std::string path;
  int weight = 1;  // priority += value * weight; 0: a non-zero value puts the instance in Fault

  friend bool operator==(const TrackFileSettings&, const TrackFileSettings&) = default;
};

// What an instance tracks, resolved: the definition with the instance's own weight.
struct TrackedScript {
  VrrpScriptSettings script;  // .weight is the instance's weight when it gives one
  friend bool operator==(const TrackedScript&, const TrackedScript&) = default;
};
struct TrackedFile {
  TrackFileSettings file;  // .weight likewise
  friend bool operator==(const TrackedFile&, const TrackedFile&) = default;
};

// A track_interface line. Weight 0 (none given): the instance is in Fault while the interface
// is down; otherwise the interface moves the priority as a script's weight does
// (tracking_rules.hpp), keepalived's rule.
struct TrackedInterface {
  std::string name;
  int weight = 0;
  friend bool operator==(const TrackedInterface&, const TrackedInterface&) = default;
};

struct InstanceSettings {
  std::string name;
  std::string source_file;  // where the vrrp_instance block starts
  int source_line = 0;

  InitialState initial_state = InitialState::backup;
  std::string interface;
  std::uint8_t vrid = 0;
  std::uint8_t priority = 100;
  vrrp::Centiseconds advert_interval{100};
  vrrp::Version version = vrrp::Version::v2;
  vrrp::Family family = vrrp::Family::ipv4;  // the family of the VIPs
  bool preempt = true;
  vrrp::Centiseconds preempt_delay{0};

  std::vector<VirtualAddress> vips;
  std::optional<vrrp::IpAddress> unicast_src;
  std::vector<vrrp::IpAddress> unicast_peers;  // empty: multicast
  std::optional<std::string> auth_password;    // v2 PASS, at most 8 bytes
  std::vector<TrackedInterface> track_interfaces;
  bool use_vmac = false;
  std::string vmac_name;  // set when use_vmac: the given name or keepalived's "vrrp.<VRID>"
  GarpSettings garp;
  bool dont_track_primary = false;
  std::optional<RedisSettings> redis;
  NotifySettings notify;
  std::vector<TrackedScript> track_scripts;
  std::vector<TrackedFile> track_files;
  std::string sync_group;  // the vrrp_sync_group it belongs to; empty: none

  friend bool operator==(const InstanceSettings&, const InstanceSettings&) = default;
};

// A vrrp_sync_group: instances that change state together (agent/instance/sync_group.hpp).
struct SyncGroupSettings {
  std::string name;
  std::vector<std::string> members;  // vrrp_instance names, each in one group at most
  NotifySettings notify;             // keepalived's: "notify" gets GROUP NAME STATE 0
  std::string source_file;
  int source_line = 0;

  friend bool operator==(const SyncGroupSettings&, const SyncGroupSettings&) = default;
};

struct Config {
  GlobalSettings globals;
  RedvipSettings redvip;
  std::vector<InstanceSettings> instances;
  std::vector<SyncGroupSettings> sync_groups;

  friend bool operator==(const Config&, const Config&) = default;
};

}  // namespace redvip::agent
