// redvipd: keeps a virtual IP in front of a Redis master/replica group.
#include <fmt/format.h>
#include <unistd.h>

#include <string>

#include "agent/config/parser.hpp"
#include "agent/redis/model/peer_loss.hpp"
#include "agent/control/control_server.hpp"
#include "agent/instance/derived.hpp"
#include "agent/daemon/daemon.hpp"
#include "agent/log/log.hpp"
#include "agent/daemon/privileges.hpp"
#include "agent/daemon/systemd_notify.hpp"
#include "netlink/address_manager.hpp"
#include "netlink/interface.hpp"
#include "netlink/vmac.hpp"

namespace {
constexpr const char* kDefaultConfig = "/etc/redvip/redvip.conf";

int usage(int code) {
  fmt::print(code ? stderr : stdout,
             "usage: redvipd [-f FILE] [-t] [-l LEVEL] [--version]\n"
             "  -f, --config-file FILE  configuration (default {})\n"
             "  -t, --config-test       check the configuration and exit 0 (good) or 1 (bad)\n"
             "  --cleanup               remove the configured VIPs and VMAC links (after a crash)\n"
             "  -l, --log-level LEVEL   error, warning, notice, info (default), debug\n"
             "  -u, --user NAME         started as root: become NAME after opening everything\n"
             "                          (it must be able to read the config for SIGHUP)\n"
             "  --version               print the version and exit\n"
             "Runs in the foreground and logs to stderr. SIGHUP reloads; SIGTERM releases the\n"
             "VIPs (priority-0 advert) and exits.\n",
             kDefaultConfig);
  return code;
}
// What a daemon that died without releasing leaves behind; systemd runs this after a stop.
int remove_leftovers(const redvip::agent::Config& config) {
  using namespace redvip;
  auto [addresses, ec] = netlink::AddressManager::open();
  if (ec) {
    agent::log(agent::Level::error, "", "cannot open netlink: {}", ec.message());
    return 1;
  }
  int failures = 0;
  for (const auto& instance : config.instances) {
    const auto result = addresses->remove_stale(agent::instance_vips(instance));
    for (const auto& vip : result.removed) {
      agent::log(agent::Level::notice, instance.name, "removed {} from {}", netlink::to_string(vip),
                 vip.device);
    }
    for (const auto& [vip, error] : result.failed) {
      agent::log(
          agent::Level::error, instance.name, "{}",
          netlink::AddressManager::describe_error(vip, error, netlink::VipOperation::remove));
      ++failures;
    }
    if (instance.use_vmac) {
      if (auto vec = netlink::remove_vmac(instance.vmac_name)) {
        agent::log(agent::Level::error, instance.name, "cannot remove {}: {}", instance.vmac_name,
                   vec.message());
        ++failures;
      }
    }
  }
  return failures == 0 ? 0 : 1;
}
// A split brain's settings as they will act (redvip.conf(5)), the auto window computed.
void print_split_brain_settings(const std::string& path, const std::string& name,
                                const redvip::agent::RedisSettings& redis,
                                redvip::vrrp::Centiseconds advert_interval) {
  using std::chrono::milliseconds;
  const std::string saved =
      redis.diverged_writes_dir.empty()
          ? "a split brain's losing writes, and a resumed hung master's, are discarded (no "
            "diverged_writes_dir)"
          : fmt::format(
                "a split brain's losing writes, and a resumed hung master's, are saved "
                "in {}{}; a master whose Redis hangs hands off at once",
                redis.diverged_writes_dir,
                redis.diverged_writes_merge ? " and merged onto the winner" : "");
  std::string pause = "peer_loss_pause off";
  if (redis.peer_loss_pause.on) {
    const auto window = redvip::agent::peer_loss_window(
        redis.peer_loss_pause.window, std::chrono::duration_cast<milliseconds>(advert_interval),
        redis.check_interval, redis.check_timeout);
    pause =
        fmt::format("writes held up to {} ms after a silent peer's last answer", window.count());
  }
  fmt::print("{}: {}:   {}; {}\n", path, name, saved, pause);
}

// What -t checked, for a person reading it: each instance as it will run, and what will not work
// on this host as it is now (an interface that does not exist) without failing the check: the
// file may be checked before the interface is created.
int report_config_test(const std::string& path, const redvip::agent::Config& config) {
  using namespace redvip;
  for (const auto& i : config.instances) {
    std::string redis = "no redis block (VRRP only)";
    if (i.redis) {
      redis = fmt::format("redis {}:{} (peers' port {})", i.redis->address.to_string(),
                          i.redis->port, i.redis->peer_port);
    }
    fmt::print("{}: {} vrid {} priority {} on {}, VRRPv{} every {} ms, {} VIP{} ({}), {}, {}\n",
               path, i.name, i.vrid, i.priority, i.interface, static_cast<int>(i.version),
               std::chrono::duration_cast<std::chrono::milliseconds>(i.advert_interval).count(),
               i.vips.size(), i.vips.size() == 1 ? "" : "s", i.vips.front().address.to_string(),
               i.unicast_peers.empty() ? "multicast"
                                       : fmt::format("unicast to {} peer{}", i.unicast_peers.size(),
                                                     i.unicast_peers.size() == 1 ? "" : "s"),
               redis);
    // The scripts it will run, so a converted keepalived file shows what it kept.
    std::vector<std::string> scripts;
    for (const auto* n :
         {&i.notify.master, &i.notify.backup, &i.notify.fault, &i.notify.stop, &i.notify.any}) {
      if (*n) scripts.push_back(fmt::format("{} ({})", (*n)->command, (*n)->source));
    }
    if (!i.notify.fifo.empty()) scripts.push_back("fifo " + i.notify.fifo);
    for (const auto& t : i.track_scripts)
      scripts.push_back(fmt::format("track_script {} every {} ms, weight {}", t.script.name,
                                    t.script.interval.count(), t.script.weight));
    for (const auto& t : i.track_interfaces)
      if (t.weight != 0)
        scripts.push_back(fmt::format("track_interface {}, weight {}", t.name, t.weight));
    for (const auto& t : i.track_files)
      scripts.push_back(
          fmt::format("track_file {} ({}), weight {}", t.file.name, t.file.path, t.file.weight));
    for (const auto& line : scripts) fmt::print("{}: {}:   {}\n", path, i.name, line);
    if (i.redis) print_split_brain_settings(path, i.name, *i.redis, i.advert_interval);
    std::vector<std::string> interfaces{i.interface};
    for (const auto& t : i.track_interfaces) interfaces.push_back(t.name);
    for (const auto& v : i.vips) {
      if (!v.dev.empty()) interfaces.push_back(v.dev);
    }
    for (const auto& name : interfaces) {
      if (netlink::interface_index(name).error) {
        fmt::print(stderr,
                   "{}: warning: {}: interface {} does not exist here (now): redvipd will "
                   "not start until it does\n",
                   path, i.name, name);
      }
    }
  }
  for (const auto& g : config.sync_groups) {
    std::string members;
    for (const auto& m : g.members) members += (members.empty() ? "" : ", ") + m;
    fmt::print("{}: vrrp_sync_group {}: {} change state together\n", path, g.name, members);
  }
  fmt::print("redvipd: configuration {} is valid ({} instance{})\n", path, config.instances.size(),
             config.instances.size() == 1 ? "" : "s");
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace redvip::agent;
  std::string config_path = kDefaultConfig;
  bool test_only = false;
  bool cleanup = false;
  std::string run_as;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") return usage(0);
    if (arg == "--version" || arg == "-v") {
      fmt::print("redvipd {}\n", REDVIP_VERSION);
      return 0;
    }
    if (arg == "-t" || arg == "--config-test") {
      test_only = true;
    } else if (arg == "--cleanup") {
      cleanup = true;
    } else if (arg == "-f" || arg == "--config-file" || arg == "--use-file") {
      if (++i >= argc) return usage(2);
      config_path = argv[i];
    } else if (arg == "-u" || arg == "--user") {
      if (++i >= argc) return usage(2);
      run_as = argv[i];
    } else if (arg == "-l" || arg == "--log-level") {
      if (++i >= argc) return usage(2);
      const std::string level = argv[i];
      if (level == "error")
        set_log_level(Level::error);
      else if (level == "warning")
        set_log_level(Level::warning);
      else if (level == "notice")
        set_log_level(Level::notice);
      else if (level == "info")
        set_log_level(Level::info);
      else if (level == "debug")
        set_log_level(Level::debug);
      else
        return usage(2);
    } else {
      fmt::print(stderr, "redvipd: unknown option {}\n", arg);
      return usage(2);
    }
  }
  // journald takes the priority prefix and supplies timestamps; people reading a terminal or a
  // file want timestamps and no prefix.
  set_log_to_journal(stderr_is_journal());

  auto loaded = load_config_file(config_path);
  for (const auto& w : loaded.warnings) log(Level::warning, "", "{}", w);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) log(Level::error, "", "{}", e.to_string());
    log(Level::error, "", "configuration {} is not valid", config_path);
    return 1;
  }
  if (test_only) {
    // What start would refuse about the control socket path, said now (ExecStartPre runs -t).
    const auto& socket_path = loaded.config->redvip.control_socket;
    if (auto ec = check_control_socket_path(socket_path)) {
      log(Level::error, "", "control_socket {}: {}", socket_path, ec.message());
      log(Level::error, "", "configuration {} is not valid", config_path);
      return 1;
    }
    return report_config_test(config_path, *loaded.config);
  }

  if (cleanup) return remove_leftovers(*loaded.config);

  boost::asio::io_context io;
  Daemon daemon(io, config_path);
  std::string error;
  if (!daemon.start(std::move(*loaded.config), error)) {
    log(Level::error, "", "{}", error);
    return 1;
  }
  // Everything privileged is open now: keep only CAP_NET_RAW and CAP_NET_ADMIN. The user stays
  // unless asked: a reload must still read a config that only root may read.
  std::string report;
  if (auto ec = drop_privileges(run_as, report)) {
    log(Level::error, "", "cannot drop privileges: {}", report);
    return 1;
  }
  log(Level::info, "", "{}", report);
  log(Level::notice, "", "redvipd {} running with {}", REDVIP_VERSION, config_path);
  notify_ready();
  io.run();
  return daemon.exit_code();
}
