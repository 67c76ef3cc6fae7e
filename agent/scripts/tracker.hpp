#pragma once
// One instance's track_script, track_file and weighted track_interface, as keepalived runs
// them: each vrrp_script every `interval` (never two runs of it at once), killed at `timeout`,
// its result through rise/fall; each track file read once a second (a few bytes of a local
// file); each weighted interface as the daemon's link events say. Whenever the verdict of
// tracking_rules.hpp changes, the instance hears it through two callbacks: a cause that blocks
// it (weight 0) and the priority it advertises (weights).
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "support/lifetime.hpp"
#include "agent/config/settings.hpp"
#include "agent/redis/model/health_counter.hpp"
#include "agent/scripts/script_runner.hpp"
#include "agent/scripts/tracking_rules.hpp"

namespace redvip::agent {

class Tracker {
 public:
  using Blocked =
      std::function<void(const std::string& cause, bool blocking, const std::string& detail)>;
  using Priority = std::function<void(std::uint8_t priority)>;

  // How often track files are read.
  static constexpr std::chrono::milliseconds kFileInterval{1000};

  Tracker(boost::asio::io_context& io, ScriptRunner& runner, const InstanceSettings& settings,
          Blocked blocked, Priority priority);
  ~Tracker();
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  // Reports the initial verdict (scripts as init_fail says, files as read now), then runs.
  void start();
  bool empty() const { return scripts_.empty() && files_.empty() && interfaces_.empty(); }
  // A link event; only weighted track_interface entries are ours. Before start() it sets the
  // initial state without reporting.
  void on_link(const std::string& interface, bool up);

  std::vector<ScriptState> script_states() const;
  std::vector<FileState> file_states() const;

 private:
  struct Script {
    VrrpScriptSettings settings;
    HealthCounter counter;
    bool ok = true;
    std::string last;  // the last run's outcome, for the log and status
    std::unique_ptr<boost::asio::steady_timer> timer;
    int running = 0;  // the pid of the run under way
  };
  void run_script(std::size_t index);
  void read_files();
  void apply();

  boost::asio::io_context& io_;
  ScriptRunner& runner_;
  std::string name_;
  std::uint8_t base_priority_;
  Blocked blocked_;
  Priority priority_;
  std::vector<Script> scripts_;
  std::vector<TrackFileSettings> file_settings_;
  std::vector<FileState> files_;
  std::vector<InterfaceState> interfaces_;
  boost::asio::steady_timer file_timer_;
  TrackingVerdict verdict_;
  bool applied_ = false;
  Lifetime lifetime_;
};

}  // namespace redvip::agent
